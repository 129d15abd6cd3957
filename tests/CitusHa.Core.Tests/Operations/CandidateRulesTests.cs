using CitusHa.Core.Errors;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

namespace CitusHa.Core.Tests.Operations;

/// <summary>Who may take over, checked before any member is asked: one row per rule.</summary>
public sealed class CandidateRulesTests
{
    private static TopologyMember Member(string name, MemberRole role = MemberRole.Replica, string state = "streaming", long? lag = 0, bool noFailover = false, int timeline = 2) =>
        new("demo", 1, name, name, 5432, role, state, timeline, null, null, role == MemberRole.Leader ? null : lag, false,
            noFailover ? new Dictionary<string, string> { ["nofailover"] = "true" } : new Dictionary<string, string>(), $"http://{name}:8008/patroni", null, null);

    private static GroupTopology Group(string syncMode, params TopologyMember[] members) =>
        new("demo", 1, members.FirstOrDefault(m => m.Role == MemberRole.Leader)?.Name, null, false, syncMode, 100, members);

    private static readonly TopologyMember Leader = Member("a", MemberRole.Leader, "running");

    public static TheoryData<string, GroupTopology, string?, string?> SwitchoverRows => new()
    {
        { "a streaming standby within lag", Group("off", Leader, Member("b")), "b", null },
        { "no candidate named and one qualifies", Group("off", Leader, Member("b")), null, null },
        { "no leader", Group("off", Member("b")), "b", ErrorIds.NoLeader },
        { "an unknown member", Group("off", Leader, Member("b")), "ghost", ErrorIds.MemberNotFound },
        { "the leader itself", Group("off", Leader, Member("b")), "a", ErrorIds.CandidateIsLeader },
        { "tagged nofailover", Group("off", Leader, Member("b", noFailover: true)), "b", ErrorIds.CandidateNotEligible },
        { "PostgreSQL stopped", Group("off", Leader, Member("b", state: "stopped")), "b", ErrorIds.CandidateNotEligible },
        { "more than 1 MiB behind", Group("off", Leader, Member("b", lag: 1048577)), "b", ErrorIds.CandidateNotEligible },
        { "exactly 1 MiB behind", Group("off", Leader, Member("b", lag: 1048576)), "b", null },
        { "quorum mode, not a quorum standby", Group("quorum", Leader, Member("b")), "b", ErrorIds.CandidateNotEligible },
        { "quorum mode, a quorum standby", Group("quorum", Leader, Member("b", MemberRole.QuorumStandby)), "b", null },
        { "synchronous mode, the sync standby", Group("on", Leader, Member("b", MemberRole.SyncStandby)), "b", null },
        { "no candidate named and none qualifies", Group("off", Leader, Member("b", noFailover: true), Member("c", state: "starting")), null, ErrorIds.NoEligibleCandidate },
        { "the leader is alone", Group("off", Leader), null, ErrorIds.NoEligibleCandidate },
    };

    [Theory, MemberData(nameof(SwitchoverRows))]
    public void A_switchover_candidate_follows_the_rule_table(string situation, GroupTopology group, string? candidate, string? expectedError)
    {
        var problem = CandidateRules.CheckSwitchover(group, candidate);

        problem?.ErrorId.ShouldBe(expectedError, situation + ": " + problem.Message);
        if (expectedError is null)
        {
            problem.ShouldBeNull(situation);
        }
    }

    [Fact]
    public void A_failover_takes_a_lagging_or_asynchronous_running_member_but_not_a_stopped_or_excluded_one()
    {
        var group = Group("quorum", Leader, Member("lagging", lag: 500_000_000), Member("stopped", state: "stopped"), Member("excluded", noFailover: true));

        CandidateRules.CheckFailover(group, "lagging").ShouldBeNull();
        CandidateRules.CheckFailover(group, "stopped")!.ErrorId.ShouldBe(ErrorIds.CandidateNotEligible);
        CandidateRules.CheckFailover(group, "excluded")!.ErrorId.ShouldBe(ErrorIds.CandidateNotEligible);
        CandidateRules.CheckFailover(Group("off", Member("b")), "b").ShouldBeNull("a leaderless group is what failover is for");
    }

    [Fact]
    public void A_scheduled_switchover_checks_only_what_cannot_change_by_then()
    {
        var group = Group("quorum", Leader, Member("b", state: "starting", lag: 500_000_000), Member("c", noFailover: true));

        CandidateRules.CheckSwitchover(group, null, scheduled: true).ShouldBeNull();
        CandidateRules.CheckSwitchover(group, "b", scheduled: true).ShouldBeNull();
        CandidateRules.CheckSwitchover(group, "b")!.ErrorId.ShouldBe(ErrorIds.CandidateNotEligible);
        CandidateRules.CheckSwitchover(group, "c", scheduled: true)!.ErrorId.ShouldBe(ErrorIds.CandidateNotEligible);
        CandidateRules.CheckSwitchover(group, "ghost", scheduled: true)!.ErrorId.ShouldBe(ErrorIds.MemberNotFound);
    }

    [Fact]
    public void Eligible_standbys_come_least_lag_first()
    {
        var group = Group("off", Leader, Member("far", lag: 900), Member("near", lag: 10), Member("out", noFailover: true));

        CandidateRules.Eligible(group).Select(m => m.Name).ShouldBe(["near", "far"]);
    }

    [Fact]
    public void The_new_leader_counts_only_once_it_runs_on_a_newer_timeline()
    {
        var old = Leader;
        Switchover.HasNewWritableLeader(Group("off", old, Member("b")), old).ShouldBeFalse("the old leader still holds the key");
        Switchover.HasNewWritableLeader(Group("off", Member("b", MemberRole.Leader, "running", timeline: 2)), old).ShouldBeFalse("promoted but its record still shows the old timeline");
        Switchover.HasNewWritableLeader(Group("off", Member("b", MemberRole.Leader, "starting", timeline: 3)), old).ShouldBeFalse();
        Switchover.HasNewWritableLeader(Group("off", Member("b", MemberRole.Leader, "running", timeline: 3)), old).ShouldBeTrue();
    }

    [Theory]
    [InlineData(-1, null, false, "InvalidGroup")]
    [InlineData(0, null, true, "RequestRefused")]
    [InlineData(0, "b", true, null)]
    public void A_request_validates_itself(int group, string? candidate, bool failover, string? errorId)
    {
        var create = () => new SwitchoverRequest(group, candidate, failover: failover);
        if (errorId is null)
        {
            create().Candidate.ShouldBe(candidate);
        }
        else
        {
            Should.Throw<CitusHaException>(create).ErrorId.ShouldBe(errorId);
        }
    }

    [Fact]
    public void A_schedule_must_lie_in_the_future_and_a_failover_cannot_be_scheduled()
    {
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        Should.Throw<CitusHaException>(() => new SwitchoverRequest(1, scheduledAt: now, now: now)).Message.ShouldContain("not in the future");
        new SwitchoverRequest(1, scheduledAt: now.AddMinutes(1), now: now).ScheduledAt.ShouldBe(now.AddMinutes(1));
        Should.Throw<CitusHaException>(() => new SwitchoverRequest(1, "b", now.AddMinutes(1), failover: true, now: now)).Message.ShouldContain("cannot be scheduled");
    }

    [Fact]
    public void A_group_summary_counts_streaming_standbys_lag_and_pending_restarts()
    {
        var group = Group("quorum", Leader, Member("b", MemberRole.QuorumStandby, lag: 300) with { PendingRestart = true }, Member("c", state: "stopped", lag: null));

        var summary = GroupSummary.Of(group);

        summary.Leader.ShouldBe("a");
        summary.Members.ShouldBe(3);
        summary.StreamingStandbys.ShouldBe(1);
        summary.MaxLagBytes.ShouldBe(300);
        summary.PendingRestart.ShouldBe(["b"]);
        summary.Timeline.ShouldBe(2);
    }
}
