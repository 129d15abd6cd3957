namespace CitusHa.Core.Ha;

/// <summary>How a stopped or read-only member joins its leader: the rewind, wait or plain-start choice.</summary>
public enum RejoinStep
{
    /// <summary>Nothing can have diverged: start (or restart) streaming from the leader.</summary>
    Start,

    /// <summary>It may have diverged: stop, pg_rewind (a fresh base backup if that fails), then start.</summary>
    Rewind,

    /// <summary>
    /// Not yet: the leader has not published a newer timeline, so its promotion may not be done and
    /// pg_rewind would compare against the old timeline and answer "no rewind required".
    /// </summary>
    WaitForLeaderTimeline,

    /// <summary>
    /// Diverged on the very timeline the leader is on (two members promoted from one timeline: the
    /// histories differ, or this member ran as a primary on the timeline the leader runs on): pg_rewind
    /// sees "the same timeline" and does nothing, so only a fresh base backup can join.
    /// </summary>
    BaseBackup,
}

/// <summary>The pure rule behind <see cref="RejoinStep"/>, applied by the executor to what it observes inside the operation.</summary>
public static class Rejoin
{
    /// <summary>
    /// Whether two data directories on the same timeline number got there by different histories. Only
    /// then is it decided: a missing history on either side (timeline 1, a file not there) says nothing.
    /// </summary>
    public static bool DivergedOnSameTimeline(int? myTimeline, int? leaderTimeline, TimelineHistory? mine, TimelineHistory? leaders) =>
        myTimeline is > 1 && myTimeline == leaderTimeline && mine is not null && leaders is not null && !mine.SameAs(leaders);

    /// <param name="controlState">pg_controldata's cluster state ("in production", "shut down", "in archive recovery", …).</param>
    /// <param name="myTimeline">The local timeline; null when unknown.</param>
    /// <param name="leaderTimeline">The timeline the leader publishes; null before it published one.</param>
    /// <param name="replayedWithoutUpstream">PostgreSQL ran read-only on its own (a whole-group restart, a hand-over in pause): it may hold WAL the leader never received.</param>
    /// <param name="waitingFor">How long this member has waited for the leader's new timeline; null when it has not waited.</param>
    /// <param name="ttl">The longest wait: after a ttl the leader is on our timeline for good.</param>
    /// <param name="divergedOnSameTimeline">Our history of our timeline differs from the leader's history of that same timeline number.</param>
    /// <param name="leaderRunsAsPrimary">The leader's record says it runs as a primary (its promotion is done), so the timeline it publishes is its own.</param>
    public static RejoinStep Choose(string? controlState, int? myTimeline, int? leaderTimeline, bool replayedWithoutUpstream, TimeSpan? waitingFor, TimeSpan ttl, bool divergedOnSameTimeline = false, bool leaderRunsAsPrimary = false)
    {
        if (divergedOnSameTimeline)
        {
            // Whatever else holds: no rewind and no stream can join histories that split below this timeline.
            return RejoinStep.BaseBackup;
        }

        // A data directory that was a primary, or that replayed on its own while the group had no
        // leader (it may hold the old primary's shutdown checkpoint that the winner never received),
        // may have diverged: pg_rewind finds out, and says "no rewind required" when it has not.
        var wasPrimary = controlState is "in production" or "shut down" || replayedWithoutUpstream;
        if (wasPrimary && (leaderTimeline is null || leaderTimeline <= myTimeline) && (waitingFor is null || waitingFor < ttl))
        {
            // Wait for at most a ttl: after that the leader is on our timeline for good and pg_rewind decides.
            return RejoinStep.WaitForLeaderTimeline;
        }

        if (controlState is "in production" or "shut down" && leaderRunsAsPrimary && myTimeline is { } mine && mine == leaderTimeline)
        {
            // A primary on the very timeline the leader is on, after the wait: the leader promoted into
            // that timeline number as we did (we were promoted and killed before anyone followed). Each
            // wrote its own WAL past the same switch point; pg_rewind answers "same timeline, no rewind
            // required" and streaming then fails on the first record that differs.
            return RejoinStep.BaseBackup;
        }

        return wasPrimary || (leaderTimeline is { } theirs && myTimeline < theirs) ? RejoinStep.Rewind : RejoinStep.Start;
    }
}
