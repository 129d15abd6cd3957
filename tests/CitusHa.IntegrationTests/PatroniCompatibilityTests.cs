using System.Diagnostics;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>A real client we did not write: Debian's patronictl lists and switches over our formation.</summary>
public sealed class PatroniCompatibilityTests(ITestOutputHelper output)
{
    private static async Task<(int ExitCode, string Output)> PatronictlAsync(string config, CancellationToken ct, params string[] arguments)
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

        var candidate = harness.Formation.Members.First(m => m.Name != leader).Name;
        var clock = Stopwatch.StartNew();
        var (switchExit, switched) = await PatronictlAsync(config, ct, "switchover", "--group", "0", "--leader", leader, "--candidate", candidate, "--force");
        output.WriteLine(switched);
        switchExit.ShouldBe(0, switched);
        switched.ShouldContain($"Successfully switched over to \"{candidate}\"");
        output.WriteLine($"patronictl switchover took {clock.Elapsed.TotalSeconds:0.0} s");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: candidate);
    }
}
