using System.Diagnostics;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>A real client we did not write: Debian's patronictl lists and switches over our formation.</summary>
public sealed class PatroniCompatibilityTests(ITestOutputHelper output)
{
    internal static async Task<(int ExitCode, string Output)> PatronictlAsync(string config, CancellationToken ct, params string[] arguments)
    {
        var patronictl = ToolLocator.FindOnPath("patronictl")
            ?? throw new SetupException($"patronictl is not installed: it comes with Debian's patroni package. {ToolLocator.InstallHint}");
        return await OsUser.RunAsync(patronictl, new[] { "-c", config }.Concat(arguments), ct);
    }

    [Fact]
    public async Task Patronictl_lists_the_group_and_switches_it_over()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var config = Path.Combine(harness.Root, "patronictl.yml");
        await File.WriteAllTextAsync(config, $"scope: demo\nnamespace: /service/\netcd3:\n  hosts: {harness.Formation.EtcdEndpoint}\ncitus:\n  group: 0\n  database: postgres\n", ct);

        var (exit, list) = await PatronictlAsync(config, ct, "list");
        output.WriteLine(list);
        exit.ShouldBe(0, list);
        var leader = (await harness.LeaderAsync(ct))!;
        var rows = list.Split('\n').Where(l => l.StartsWith('|') && !l.Contains("Member", StringComparison.Ordinal)).ToList();
        rows.Count.ShouldBe(3, list);
        rows.Single(r => r.Contains($" {leader} ", StringComparison.Ordinal)).ShouldContain("Leader");
        // Patroni 3.0 shows State from the member's state (4.x prefers replication_state) and has no
        // quorum mode, so our quorum standbys appear as "Sync Standby".
        rows.Where(r => !r.Contains($" {leader} ", StringComparison.Ordinal)).ShouldAllBe(r => r.Contains("Standby") && r.Contains("running"), list);

        // Patroni's replication list on the primary (pg_stat_replication), which monitoring built for Patroni reads.
        var standbys = harness.Formation.Members.Where(m => m.Name != leader).Select(m => m.Name).Order().ToList();
        using (var http = new HttpClient())
        {
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                using var status = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri($"{harness.Formation.Member(leader).ApiUrl}/patroni"), ct));
                if (!status.RootElement.TryGetProperty("replication", out var replication))
                {
                    return false;
                }

                var rows = replication.EnumerateArray().ToList();
                rows.ShouldAllBe(r => r.GetProperty("usename").GetString() == "replicator" && r.GetProperty("client_addr").GetString() == "127.0.0.1" && r.GetProperty("sync_priority").ValueKind == System.Text.Json.JsonValueKind.Number);
                return rows.Where(r => r.GetProperty("state").GetString() == "streaming" && r.GetProperty("sync_state").GetString() == "quorum")
                    .Select(r => r.GetProperty("application_name").GetString()).Order().SequenceEqual(standbys);
            }, TimeSpan.FromSeconds(10), "both standbys streaming in the leader's replication list", ct);
        }

        var candidate = harness.Formation.Members.First(m => m.Name != leader).Name;
        var clock = Stopwatch.StartNew();
        var (switchExit, switched) = await PatronictlAsync(config, ct, "switchover", "--group", "0", "--leader", leader, "--candidate", candidate, "--force");
        output.WriteLine(switched);
        switchExit.ShouldBe(0, switched);
        switched.ShouldContain($"Successfully switched over to \"{candidate}\"");
        output.WriteLine($"patronictl switchover took {clock.Elapsed.TotalSeconds:0.0} s");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: candidate);
    }

    /// <summary>
    /// A plain group (no citus: section) keeps its keys where Patroni does, directly under the scope, so
    /// patronictl with the same kind of YAML lists it and switches it over, and the module reads it as
    /// one plain group.
    /// </summary>
    [Fact]
    public async Task A_plain_group_keeps_its_keys_where_Patroni_does_and_patronictl_lists_and_switches_it()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(customize: o => o with { Plain = true }, cancellationToken: ct);
        var store = CitusHa.Core.Operations.DcsConnection.Open(harness.Dcs);
        await using (store)
        {
            var keys = (await store.ReadPrefixAsync("/service/demo/", ct)).Items.Select(i => i.Key).ToList();
            keys.ShouldContain("/service/demo/leader", string.Join("\n", keys));
            keys.ShouldContain("/service/demo/initialize");
            keys.Count(k => k.StartsWith("/service/demo/members/", StringComparison.Ordinal)).ShouldBe(3, string.Join("\n", keys));
            keys.ShouldNotContain(k => k.StartsWith("/service/demo/0/", StringComparison.Ordinal), "no Citus group directory for a plain cluster");
        }

        var members = await harness.MembersAsync(ct);
        members.ShouldAllBe(m => m.Group == null, "the module reads one plain group");

        var config = Path.Combine(harness.Root, "patronictl.yml");
        await File.WriteAllTextAsync(config, $"scope: demo\nnamespace: /service/\netcd3:\n  hosts: {harness.Formation.EtcdEndpoint}\n", ct);
        var (exit, list) = await PatronictlAsync(config, ct, "list");
        output.WriteLine(list);
        exit.ShouldBe(0, list);
        var leader = (await harness.LeaderAsync(ct))!;
        var rows = list.Split('\n').Where(l => l.StartsWith('|') && !l.Contains("Member", StringComparison.Ordinal)).ToList();
        rows.Count.ShouldBe(3, list);
        rows.Single(r => r.Contains($" {leader} ", StringComparison.Ordinal)).ShouldContain("Leader");

        var candidate = harness.Formation.Members.First(m => m.Name != leader).Name;
        var (switchExit, switched) = await PatronictlAsync(config, ct, "switchover", "--leader", leader, "--candidate", candidate, "--force");
        output.WriteLine(switched);
        switchExit.ShouldBe(0, switched);
        switched.ShouldContain($"Successfully switched over to \"{candidate}\"");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: candidate);
    }
}
