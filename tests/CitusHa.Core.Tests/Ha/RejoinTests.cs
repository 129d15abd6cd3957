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
        { "a former primary that has waited a ttl: the leader stays on our timeline, pg_rewind decides", "in production", 1, 1, false, 10.0, RejoinStep.Rewind },
        { "a member that replayed on its own in a whole-group restart: treated as a former primary", "in archive recovery", 1, 1, true, 1.0, RejoinStep.WaitForLeaderTimeline },
        { "…and rewound once the leader is on a newer timeline", "in archive recovery", 1, 2, true, 1.0, RejoinStep.Rewind },
        { "a standby ahead of what the leader publishes (a stale member key): start", "in archive recovery", 3, 2, false, null, RejoinStep.Start },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Choose(string situation, string? controlState, int? mine, int? leaders, bool replayedAlone, double? waitedSeconds, RejoinStep expected) =>
        Rejoin.Choose(controlState, mine, leaders, replayedAlone, waitedSeconds is { } w ? TimeSpan.FromSeconds(w) : null, Ttl).ShouldBe(expected, situation);
}
