using CitusHa.Core.Tests.Dcs;
using CitusHa.Core.Tests.Postgres;

namespace CitusHa.Agent.Tests.Cycle;

/// <summary>
/// Whole HA cycles, no processes: the real loop (observer, planner, executor, leader upkeep) on an
/// in-memory etcd and a scripted PostgreSQL. The situations issue 15 found by running the agent.
/// </summary>
public sealed class WholeCycleTests
{
    private const string Sysid = "7000000000000000001";

    [Fact]
    public async Task A_fresh_single_member_group_bootstraps_and_leads()
    {
        await using var store = new InMemoryDcsStore();
        var pg = new ScriptedPostgres(TimeProvider.System);
        await using var rig = CycleRig.Create("a", store, pg);

        await rig.CycleUntilAsync(() => pg is { Running: true, Standby: false } && rig.LastDecision?.Contains("leader with the lock", StringComparison.Ordinal) == true, "bootstrap to a leading primary");

        (await rig.LeaderAsync()).ShouldBe("a");
        pg.Calls.ShouldContain("initdb");
        (await store.ReadPrefixAsync("/service/rig/", CancellationToken.None)).Items.ShouldContain(i => i.Key == "/service/rig/initialize" && i.Value.Length > 0);
    }

    [Fact]
    public async Task A_single_member_group_stopped_as_a_whole_comes_back_as_leader()
    {
        // Issue 15, finding 1: every member stopped (scaled to 0, power loss), started again: the
        // member starts read-only, so its position is known, and takes the key.
        await using var store = new InMemoryDcsStore();
        await store.PutAsync("/service/rig/initialize", Sysid, 0, CancellationToken.None);
        var pg = ScriptedPostgres.StoppedPrimary(TimeProvider.System);
        await using var rig = CycleRig.Create("a", store, pg);

        await rig.CycleUntilAsync(() => pg is { Running: true, Standby: false } && rig.LastDecision?.Contains("leader with the lock", StringComparison.Ordinal) == true, "the stopped member to lead again");

        (await rig.LeaderAsync()).ShouldBe("a");
        pg.Calls.ShouldBe(["start read-only", "promote"], "read-only first (its WAL position joins the race), then promoted");
    }

    [Fact]
    public async Task A_crashed_postmaster_under_a_leading_agent_is_started_again_as_primary_and_keeps_the_key()
    {
        await using var store = new InMemoryDcsStore();
        var pg = new ScriptedPostgres(TimeProvider.System);
        await using var rig = CycleRig.Create("a", store, pg);
        await rig.CycleUntilAsync(() => rig.LastDecision?.Contains("leader with the lock", StringComparison.Ordinal) == true, "bootstrap");
        pg.Calls.Clear();

        pg.Crash();
        await rig.CycleUntilAsync(() => pg.Running, "the restart in place", maxCycles: 5);

        pg.Calls.ShouldBe(["crash", "start as primary"]);
        (await rig.LeaderAsync()).ShouldBe("a");
    }

    [Fact]
    public async Task A_primary_in_a_crash_loop_hands_over_after_primary_start_timeout()
    {
        // Issue 15: the crash time was reset at every start attempt, so primary_start_timeout never
        // fired and the leader kept its lease over a PostgreSQL that never came back.
        const string timers = "    ttl: 4\n    loop_wait: 0.2\n    retry_timeout: 1\n    synchronous_mode: off\n    primary_start_timeout: 1";
        await using var store = new InMemoryDcsStore();
        var leaderPg = new ScriptedPostgres(TimeProvider.System);
        var standbyPg = new ScriptedPostgres(TimeProvider.System);
        await using var leader = CycleRig.Create("a", store, leaderPg, timers);
        await using var standby = CycleRig.Create("b", store, standbyPg, timers);
        CycleRig[] group = [leader, standby];
        await CycleRig.CycleAllUntilAsync(group, () => Task.FromResult(standbyPg is { Running: true, Standby: true } && leaderPg is { Running: true, Standby: false }), "bootstrap and a streaming standby");

        leaderPg.FailNextStarts = 1000;
        leaderPg.Crash();
        await CycleRig.CycleAllUntilAsync(group, () => Task.FromResult(standbyPg is { Running: true, Standby: false }), "the hand-over to the standby", maxRounds: 80, pause: TimeSpan.FromMilliseconds(100));

        leaderPg.Calls.Count(c => c == "start as primary").ShouldBeGreaterThan(2, "it kept trying to start in place first");
        (await standby.LeaderAsync()).ShouldBe("b");
    }

    [Theory]
    [InlineData("sync", "{not json")]
    [InlineData("sync", "{\"leader\": 7, \"sync_standby\": [1,2], \"quorum\": \"x\"}")]
    [InlineData("config", "{\"ttl\": 1e12, \"loop_wait\": -5}")]
    [InlineData("config", "[]")]
    [InlineData("failover", "{\"leader\": \"a\", \"scheduled_at\": \"not a time\"}")]
    [InlineData("status", "{\"optime\": \"soon\"}")]
    [InlineData("sync", "{\"leader\": \"a\", \"sync_standby\": \"b\", \"quorum\": \"x\"}")]
    [InlineData("config", "{\"ttl\": \"10\", \"maximum_lag_on_failover\": \"lots\", \"synchronous_node_count\": \"2\", \"primary_start_timeout\": []}")]
    [InlineData("history", "[[\"one\", 0, \"x\"]]")]
    [InlineData("members/ghost", "{\"conn_url\": 5, \"xlog_location\": \"far\", \"timeline\": \"two\", \"tags\": []}")]
    public async Task Garbage_in_a_group_key_neither_stops_the_cycle_nor_the_leader(string key, string garbage)
    {
        await using var store = new InMemoryDcsStore();
        var pg = new ScriptedPostgres(TimeProvider.System);
        await using var rig = CycleRig.Create("a", store, pg, "    ttl: 4\n    loop_wait: 0.2\n    retry_timeout: 1\n    synchronous_mode: quorum");
        await rig.CycleUntilAsync(() => rig.LastDecision?.Contains("leader with the lock", StringComparison.Ordinal) == true, "bootstrap");

        await store.PutAsync($"/service/rig/{key}", garbage, 0, CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await rig.CycleAsync();
        }

        (await rig.LeaderAsync()).ShouldBe("a");
        pg.Running.ShouldBeTrue();
        rig.Status.Last.ShouldNotBeNull().View.Dcs.ShouldNotBeNull("the group's keys are still read");
    }
}
