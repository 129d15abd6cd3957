using System.Diagnostics;
using CitusHa.Testing;
using CitusHa.Testing.Workloads;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>
/// A group stopped as a whole comes back by itself (a StatefulSet scaled to 0 and back, a node pool
/// upgraded, a power cut): every member starts PostgreSQL read-only, the most advanced one takes the
/// key, the others follow, and no acknowledged write is lost.
/// </summary>
public sealed class GroupRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_group_stopped_as_a_whole_by_SIGTERM_or_killed_outright_comes_back_with_every_acknowledged_write()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(5));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var formation = harness.Formation;

        foreach (var (how, stop) in new (string, Func<Task>)[]
        {
            ("SIGTERM", () => Task.WhenAll(formation.Members.Select(m => formation.StopAgentAsync(m, TimeSpan.FromSeconds(60), ct)))),
            ("kill -9 of agents and PostgreSQL", () => Task.WhenAll(formation.Members.Select(m => formation.KillAsync(m, postgresToo: true, ct)))),
        })
        {
            var writer = new NumberedWriter(harness.PrimaryConnectionString());
            await writer.StartAsync(ct);
            await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count > 50), TimeSpan.FromSeconds(20), "writes acknowledged", ct);
            await stop();
            await writer.DisposeAsync();
            var acknowledged = writer.Acknowledged;

            // Longer than a ttl: every lease, leader and member key is gone, as after a real outage.
            await Task.Delay(formation.Ttl + TimeSpan.FromSeconds(2), ct);
            (await harness.MembersAsync(ct)).ShouldBeEmpty("every member key expired while the group was down");

            var clock = Stopwatch.StartNew();
            foreach (var member in formation.Members)
            {
                formation.StartAgent(member);
            }

            await TestTimeouts.WaitUntilAsync(async () => await harness.LeaderAsync(ct) is not null, TimeSpan.FromSeconds(60), "a leader after the restart", ct).WithDiagnostics(harness, ct);
            var leaderAfter = clock.Elapsed;
            await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(90), ct).WithDiagnostics(harness, ct);
            output.WriteLine($"{how} of the whole group, {acknowledged.Count} writes acknowledged: leader {leaderAfter.TotalSeconds:0.0} s after the start, all streaming after {clock.Elapsed.TotalSeconds:0.0} s");

            (await writer.LostAsync(harness.PrimaryConnectionString(), ct)).ShouldBeEmpty("no acknowledged write is lost");
        }
    }

    [Fact]
    public async Task A_one_member_group_comes_back_after_its_agent_restarts()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(members: 1, synchronousMode: "off", cancellationToken: ct);
        var member = harness.Formation.Members.Single();
        await harness.Formation.KillAsync(member, postgresToo: true, ct);
        await Task.Delay(harness.Formation.Ttl + TimeSpan.FromSeconds(1), ct);

        harness.Formation.StartAgent(member);
        await harness.WaitForHealthyAsync(1, TimeSpan.FromSeconds(60), ct).WithDiagnostics(harness, ct);
        (await harness.LeaderAsync(ct)).ShouldBe(member.Name);
    }
}
