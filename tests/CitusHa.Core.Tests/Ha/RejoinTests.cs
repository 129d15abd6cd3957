using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Ha;

public sealed class RejoinTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    public static TheoryData<string, string?, int?, int?, bool, double?, RejoinStep> Rows => new()
    {
        { "a standby on the leader's timeline: start streaming, nothing to rewind", "in archive recovery", 2, 2, false, null, RejoinStep.Start },
        { "a cleanly stopped standby: start", "shut down in recovery", 2, 2, false, null, RejoinStep.Start },
        { "a standby behind the leader's timeline: it may have received WAL the leader does not have", "in archive recovery", 1, 2, false, null, RejoinStep.Rewind },
        { "a former primary, the leader already on a newer timeline: rewind", "in production", 1, 2, false, null, RejoinStep.Rewind },
        { "a former primary after a clean stop, leader on a newer timeline: rewind", "shut down", 1, 2, false, null, RejoinStep.Rewind },
        { "a former primary, the leader still publishes the old timeline: wait (its promotion may not be done)", "in production", 1, 1, false, 0.0, RejoinStep.WaitForLeaderTimeline },
        { "a former primary, the leader publishes no timeline yet: wait", "shut down", 1, null, false, 3.0, RejoinStep.WaitForLeaderTimeline },
        { "a former primary that has waited a ttl: the leader stays on our timeline, pg_rewind decides (the leader is not known to run as a primary)", "in production", 1, 1, false, 10.0, RejoinStep.Rewind },
        { "a member that replayed on its own in a whole-group restart: treated as a former primary", "in archive recovery", 1, 1, true, 1.0, RejoinStep.WaitForLeaderTimeline },
        { "…and rewound once the leader is on a newer timeline", "in archive recovery", 1, 2, true, 1.0, RejoinStep.Rewind },
        { "a standby ahead of what the leader publishes (a stale member key): start", "in archive recovery", 3, 2, false, null, RejoinStep.Start },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Choose(string situation, string? controlState, int? mine, int? leaders, bool replayedAlone, double? waitedSeconds, RejoinStep expected) =>
        Rejoin.Choose(controlState, mine, leaders, replayedAlone, waitedSeconds is { } w ? TimeSpan.FromSeconds(w) : null, Ttl).ShouldBe(expected, situation);

    public static TheoryData<string, string?, int?, int?, bool, bool, RejoinStep> SameTimelineRows => new()
    {
        { "a former primary on the timeline the leader runs on as a primary: both promoted into it, copy anew", "in production", 2, 2, false, true, RejoinStep.BaseBackup },
        { "…also after a clean stop", "shut down", 3, 3, false, true, RejoinStep.BaseBackup },
        { "…but while the leader's record is not a primary yet, its promotion may be running: pg_rewind decides", "in production", 2, 2, false, false, RejoinStep.Rewind },
        { "a standby whose history of the shared timeline differs from the leader's: copy anew", "in archive recovery", 2, 2, true, true, RejoinStep.BaseBackup },
        { "a standby on the leader's timeline with the same history: start", "in archive recovery", 2, 2, false, true, RejoinStep.Start },
        { "a former primary, the leader on a newer timeline: pg_rewind handles different timeline numbers", "in production", 2, 3, false, true, RejoinStep.Rewind },
    };

    [Theory]
    [MemberData(nameof(SameTimelineRows))]
    public void Two_promotions_into_one_timeline_number_are_joined_by_a_new_copy(string situation, string? controlState, int? mine, int? leaders, bool historiesDiffer, bool leaderIsPrimary, RejoinStep expected) =>
        Rejoin.Choose(controlState, mine, leaders, replayedWithoutUpstream: false, waitingFor: Ttl, Ttl, historiesDiffer, leaderIsPrimary).ShouldBe(expected, situation);

    [Theory]
    [InlineData("1\t0/4025568\tno recovery target specified\n", "1\t0/4025568\tno recovery target specified\n", 2, 2, false)]
    [InlineData("1\t0/4025568\tno recovery target specified\n", "1\t0/4030000\tno recovery target specified\n", 2, 2, true)]
    [InlineData("1\t0/3000000\tx\n2\t0/4025568\tx\n", "1\t0/3000000\tx\n2\t0/4025568\tx\n", 3, 3, false)]
    [InlineData("1\t0/3000000\tx\n2\t0/4025568\tx\n", "1\t0/3000000\tx\n2\t0/5000000\tx\n", 3, 3, true)]
    [InlineData("1\t0/4025568\tx\n", "1\t0/4030000\tx\n", 2, 3, false)]
    [InlineData(null, "1\t0/4030000\tx\n", 2, 2, false)]
    public void Histories_of_one_timeline_number_diverge_when_their_switch_points_differ(string? mine, string? leaders, int myTimeline, int leaderTimeline, bool diverged) =>
        Rejoin.DivergedOnSameTimeline(myTimeline, leaderTimeline, mine is null ? null : TimelineHistory.Parse(mine), leaders is null ? null : TimelineHistory.Parse(leaders)).ShouldBe(diverged);

    [Fact]
    public void A_history_file_parses_as_postgres_writes_it_and_skips_comments()
    {
        var history = TimelineHistory.Parse("1\t0/4025568\tno recovery target specified\n\n# a comment\n2\t1/A0\tbefore 2026-11-30\n");
        history.Switches.ShouldBe([(1, 0x4025568L), (2, 0x1000000A0L)]);
    }
}
