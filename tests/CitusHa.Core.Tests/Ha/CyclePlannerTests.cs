using CitusHa.Core.Ha;
using static CitusHa.Core.Tests.Ha.Views;

namespace CitusHa.Core.Tests.Ha;

/// <summary>
/// The whole cycle's intents, not only its main decision: when upkeep runs, when a reload or a
/// scheduled restart may touch PostgreSQL, what the watchdog is told.
/// </summary>
public sealed class CyclePlannerTests
{
    private static readonly TimeSpan S = TimeSpan.FromSeconds(1);

    private static readonly RestartRequest DueForReplicas = new() { Schedule = T0 - S, Role = "replica" };

    public static TheoryData<string, GroupView, LeaderWork, string> LeaderRows => new()
    {
        { "I lead a running primary with nothing else to do: upkeep", Leading(), LeaderWork.Upkeep, "leader with the lock" },
        { "I hold the key but promote this cycle: no upkeep yet", Leading(Replica()), LeaderWork.None, "promoting" },
        { "I hold the key, PostgreSQL is down: start it, no upkeep", Leading(Down(T0 - (2 * S))), LeaderWork.None, "starting PostgreSQL as primary" },
        { "I hold the key, PostgreSQL does not answer: no upkeep on a server I cannot query", Leading(Unanswering()), LeaderWork.None, "PostgreSQL is starting" },
        { "someone else leads: stand down", Following(), LeaderWork.StandDown, "a secondary" },
        { "someone else leads while I still run as primary: fence and stand down", Following(Primary()), LeaderWork.StandDown, "leader holds the leader key" },
        { "nobody leads: stand down (no metadata term, no sync set)", NoLeader().Peer("leader", 900), LeaderWork.StandDown, "taking the leader key" },
        { "the key has my name on an older lease: re-attach, stand down until it is mine", Leading() with { Lease = new LeaseView(MyLease + 1, T0 + (9 * S)) }, LeaderWork.StandDown, "re-attaching" },
        { "etcd did not answer: neither (nothing is known about the key)", EtcdDown().LeaseEndsIn(8 * S), LeaderWork.None, "etcd is not reachable" },
    };

    [Theory]
    [MemberData(nameof(LeaderRows))]
    public void Leader_upkeep_runs_only_for_a_running_primary_that_holds_the_key(string situation, GroupView view, LeaderWork expected, string reasonContains)
    {
        var plan = CyclePlanner.Plan(view);
        plan.Leader.ShouldBe(expected, situation);
        plan.Decision.Reason.ShouldContain(reasonContains, Case.Insensitive, situation);
    }

    public static TheoryData<string, GroupView, WatchdogStep, double?> WatchdogRows => new()
    {
        { "a leading primary: fire before the lease ends", Leading(), WatchdogStep.ArmUntilLeaseEnds, null },
        { "a primary that does not answer may be taking writes: stays armed", Leading(Unanswering()), WatchdogStep.ArmUntilLeaseEnds, null },
        { "a primary that lost the key: the deadline armed while it led stands (never moved past the key's end)", Following(Primary()), WatchdogStep.Keep, null },
        { "the key on my name but an older lease: armed until the lease it is re-attached to ends", Leading(Down(T0 - S)) with { Lease = new LeaseView(MyLease + 1, T0 + (9 * S)) }, WatchdogStep.ArmUntilLeaseEnds, null },
        { "a replica: disarmed", Following(), WatchdogStep.Disarm, null },
        { "a standby that does not answer (standby.signal): disarmed", Following(Unanswering(standbySignal: true)), WatchdogStep.Disarm, null },
        { "a replica's PostgreSQL down: disarmed", Following(Down(T0 - S)), WatchdogStep.Disarm, null },
        { "the leader's PostgreSQL down: armed, as it starts as a primary before the next cycle sees it", Leading(Down(T0 - S)), WatchdogStep.ArmUntilLeaseEnds, null },
        { "I hold the key and promote this cycle: armed before the promotion", Leading(Replica()), WatchdogStep.ArmUntilLeaseEnds, null },
        { "a primary whose etcd did not answer: armed until the lease (not renewed) ends", EtcdDown().LeaseEndsIn(8 * S), WatchdogStep.ArmUntilLeaseEnds, null },
        { "I take the key from a replica: armed before the promotion that follows in this cycle", NoLeader().Peer("leader", 900), WatchdogStep.ArmUntilLeaseEnds, null },
        { "a replica racing but not winning (a peer is ahead): disarmed", NoLeader(clusterLsn: 1000).Peer("leader", 1500), WatchdogStep.Disarm, null },
        { "I hold the key while a promotion runs: armed", Leading(Replica()).Running(OperationKind.Promote), WatchdogStep.ArmUntilLeaseEnds, null },
        { "a fresh cluster I bootstrap: armed (initdb, then a primary)", Fresh(), WatchdogStep.ArmUntilLeaseEnds, null },
        { "my bootstrap runs and its primary is up before I take the key: armed", Fresh().Running(OperationKind.Bootstrap) with { Postgres = Primary() }, WatchdogStep.ArmUntilLeaseEnds, null },
        { "the key holder in maintenance mode, PostgreSQL down: disarmed", Leading(Down(T0 - S)).Paused(), WatchdogStep.Disarm, null },
        { "maintenance mode: never armed (as Patroni)", Leading().Paused(), WatchdogStep.Disarm, null },
        { "no lease known this cycle: the deadline armed earlier stands", EtcdDown() with { Lease = null }, WatchdogStep.Keep, null },
        { "failsafe carries the primary past its lease: fire before the members' consent ends", EtcdDown().LeaseEndsIn(-5 * S).Failsafe(confirmedFor: 9 * S), WatchdogStep.ArmUntil, 9 },
        { "failsafe on but not every member accepted: the lease counts", EtcdDown().LeaseEndsIn(8 * S).Failsafe(), WatchdogStep.ArmUntilLeaseEnds, null },
    };

    [Fact]
    public void A_race_for_the_key_that_is_lost_leaves_a_replica_disarmed_and_a_primary_armed()
    {
        var racingReplica = CyclePlanner.Plan(NoLeader().Peer("leader", 900));
        racingReplica.Decision.ShouldBeOfType<AcquireLeaderKey>();
        racingReplica.Watchdog.Mode.ShouldBe(WatchdogStep.ArmUntilLeaseEnds, "armed before the promotion the race may bring");
        racingReplica.WatchdogIfTheKeyIsNotWon.ShouldNotBeNull().Mode.ShouldBe(WatchdogStep.Disarm, "another member won: a replica has nothing to fence");

        CyclePlanner.Plan(Leading()).WatchdogIfTheKeyIsNotWon.ShouldBeNull("only a race can be lost");
    }

    [Theory]
    [MemberData(nameof(WatchdogRows))]
    public void Watchdog_is_armed_while_PostgreSQL_may_be_a_primary(string situation, GroupView view, WatchdogStep expected, double? untilSeconds)
    {
        var plan = CyclePlanner.Plan(view);
        plan.Watchdog.Mode.ShouldBe(expected, situation);
        if (untilSeconds is { } seconds)
        {
            plan.Watchdog.Until.ShouldBe(view.Now + TimeSpan.FromSeconds(seconds), situation);
        }
    }

    [Theory]
    [InlineData(2, 10, 2)] // the configured margin
    [InlineData(8, 10, 5)] // never more than ttl / 2: a margin as long as the lease would fence at once
    [InlineData(0, 10, 0)]
    public void Watchdog_margin_is_the_configured_one_capped_at_half_a_ttl(int marginSeconds, int ttlSeconds, double expected)
    {
        var view = Leading() with { WatchdogSafetyMargin = TimeSpan.FromSeconds(marginSeconds), Settings = HaSettings.Defaults with { Ttl = TimeSpan.FromSeconds(ttlSeconds) } };
        CyclePlanner.Plan(view).Watchdog.Margin.ShouldBe(TimeSpan.FromSeconds(expected));
    }

    public static TheoryData<string, GroupView, bool, ScheduledRestartStep> QuietRows => new()
    {
        { "a quiet replica with a due restart for replicas: run it", Following() with { ScheduledRestart = DueForReplicas }, true, ScheduledRestartStep.Run },
        { "a due restart for replicas on the leader: dropped, not run", Leading() with { ScheduledRestart = DueForReplicas }, true, ScheduledRestartStep.Cancel },
        { "a restart scheduled for later: wait", Following() with { ScheduledRestart = DueForReplicas with { Schedule = T0 + (60 * S) } }, true, ScheduledRestartStep.Wait },
        { "the schedule is operator wall time, not the agent's monotonic clock", Following() with { ScheduledRestart = DueForReplicas with { Schedule = T0 + (60 * S) }, WallNow = T0 + (61 * S) }, true, ScheduledRestartStep.Run },
        { "only if a restart is pending, and one is", Following() with { ScheduledRestart = DueForReplicas with { OnlyIfPending = true }, PendingRestart = true }, true, ScheduledRestartStep.Run },
        { "only if a restart is pending, and none is", Following() with { ScheduledRestart = DueForReplicas with { OnlyIfPending = true } }, true, ScheduledRestartStep.Cancel },
        { "only below a version, and the server is older", Following(Replica() with { ServerVersion = 150004 }) with { ScheduledRestart = DueForReplicas with { PostgresVersionBelow = 150010 } }, true, ScheduledRestartStep.Run },
        { "only below a version, and the server is not older", Following(Replica() with { ServerVersion = 150018 }) with { ScheduledRestart = DueForReplicas with { PostgresVersionBelow = 150010 } }, true, ScheduledRestartStep.Cancel },
        { "an operation runs: no reload, no parameter sync, the restart waits", Following().Running(OperationKind.BaseBackup) with { ScheduledRestart = DueForReplicas }, false, ScheduledRestartStep.Wait },
        { "this cycle promotes: the restart waits for a quiet cycle", Leading(Replica()) with { ScheduledRestart = DueForReplicas with { Role = null } }, false, ScheduledRestartStep.Wait },
        { "this cycle fences: nothing else touches PostgreSQL", Following(Primary()) with { ScheduledRestart = DueForReplicas with { Role = null } }, false, ScheduledRestartStep.Wait },
    };

    [Theory]
    [MemberData(nameof(QuietRows))]
    public void Reload_parameter_sync_and_scheduled_restart_wait_for_a_cycle_that_starts_nothing(string situation, GroupView view, bool betweenOperations, ScheduledRestartStep expected)
    {
        var plan = CyclePlanner.Plan(view);
        plan.BetweenOperations.ShouldBe(betweenOperations, situation);
        plan.ScheduledRestart.ShouldBe(expected, situation);
    }

    public static TheoryData<string, GroupView, string?> PodRoleRows => new()
    {
        { "the leader running as primary: the primary Service selects it", Leading(), "primary" },
        { "the key holder still promoting: not yet", Leading(Replica()), null },
        { "the key holder's PostgreSQL down: no role", Leading(Down(T0 - S)), null },
        { "a streaming standby: the replica Service selects it", Following(), "replica" },
        { "a primary someone else leads (being fenced): no role at all", Following(Primary()), null },
        { "a standby in the race with no leader: no role", NoLeader().Peer("leader", 900), null },
        { "etcd unreachable: no role (no leader known)", EtcdDown(Replica()).LeaseEndsIn(8 * S), null },
        { "a standby stuck on an older timeline being rejoined: no role", Following(Replica(timeline: 1) with { BehindLeaderTimelineSince = T0 - (11 * S) }), null },
    };

    [Theory]
    [MemberData(nameof(PodRoleRows))]
    public void The_pod_role_label_names_only_a_settled_primary_or_a_following_standby(string situation, GroupView view, string? expected) =>
        CyclePlanner.Plan(view).PodRole.ShouldBe(expected, situation);

    [Fact]
    public void A_cycle_that_acts_observes_PostgreSQL_again_before_it_publishes_the_member_record()
    {
        CyclePlanner.Plan(Leading(Replica())).ObserveAgainBeforePublishing.ShouldBeTrue();
        CyclePlanner.Plan(Leading()).ObserveAgainBeforePublishing.ShouldBeFalse();
        CyclePlanner.Plan(Leading()).PublishMemberRecord.ShouldBeTrue();
        CyclePlanner.Plan(EtcdDown().LeaseEndsIn(8 * S)).PublishMemberRecord.ShouldBeFalse();
    }

    [Fact]
    public void The_plan_carries_the_deciders_decision_unchanged()
    {
        foreach (var view in new[] { Leading(), Following(), NoLeader().Peer("leader", 900), Fresh(), EtcdDown().LeaseEndsIn(3 * S) })
        {
            CyclePlanner.Plan(view).Decision.ShouldBe(Decider.Decide(view));
        }
    }
}
