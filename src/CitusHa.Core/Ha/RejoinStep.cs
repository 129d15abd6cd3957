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
}

/// <summary>The pure rule behind <see cref="RejoinStep"/>, applied by the executor to what it observes inside the operation.</summary>
public static class Rejoin
{
    /// <param name="controlState">pg_controldata's cluster state ("in production", "shut down", "in archive recovery", …).</param>
    /// <param name="myTimeline">The local timeline; null when unknown.</param>
    /// <param name="leaderTimeline">The timeline the leader publishes; null before it published one.</param>
    /// <param name="replayedWithoutUpstream">PostgreSQL ran read-only on its own (a whole-group restart, a hand-over in pause): it may hold WAL the leader never received.</param>
    /// <param name="waitingFor">How long this member has waited for the leader's new timeline; null when it has not waited.</param>
    /// <param name="ttl">The longest wait: after a ttl the leader is on our timeline for good.</param>
    public static RejoinStep Choose(string? controlState, int? myTimeline, int? leaderTimeline, bool replayedWithoutUpstream, TimeSpan? waitingFor, TimeSpan ttl)
    {
        // A data directory that was a primary, or that replayed on its own while the group had no
        // leader (it may hold the old primary's shutdown checkpoint that the winner never received),
        // may have diverged: pg_rewind finds out, and says "no rewind required" when it has not.
        var wasPrimary = controlState is "in production" or "shut down" || replayedWithoutUpstream;
        if (wasPrimary && (leaderTimeline is null || leaderTimeline <= myTimeline) && (waitingFor is null || waitingFor < ttl))
        {
            // Wait for at most a ttl: after that the leader is on our timeline for good and pg_rewind decides.
            return RejoinStep.WaitForLeaderTimeline;
        }

        return wasPrimary || (leaderTimeline is { } theirs && myTimeline < theirs) ? RejoinStep.Rewind : RejoinStep.Start;
    }
}
