namespace CitusHa.Core.Ha;

/// <summary>The leader's side of a <c>failover</c> request (Patroni's <c>process_manual_failover_from_leader</c>).</summary>
public static class Switchover
{
    /// <summary>The decision a pending request calls for, or null to carry on as leader.</summary>
    public static Decision? FromLeader(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Dcs?.Failover is not { } request || request.IsEmpty)
        {
            return null;
        }

        if (request.ScheduledAt is { } at)
        {
            if (at - view.WallNow > TimeSpan.Zero)
            {
                return new NoAction($"I am the leader; switchover scheduled at {at:O}");
            }

            if (view.WallNow - at > 1.5 * view.Settings.LoopWait + view.Settings.RetryTimeout)
            {
                return new ClearFailoverRequest($"the switchover scheduled at {at:O} is stale");
            }
        }

        if (request.Leader is { } leader && leader != view.Me.Name)
        {
            return new ClearFailoverRequest($"the switchover names {leader} as leader, but I am the leader");
        }

        if (request.Candidate == view.Me.Name)
        {
            return new ClearFailoverRequest("the requested candidate is already the leader");
        }

        if (view.Dcs.Paused && request.Candidate is null)
        {
            return new ClearFailoverRequest("a switchover in a paused group needs a candidate");
        }

        // Patroni's is_failover_possible, checked when the hand-over is due (a scheduled one may find
        // the group changed): never stop the primary for a candidate that cannot take over.
        if (WhyNot(view, request.Candidate) is { } why)
        {
            return new ClearFailoverRequest($"switchover cancelled: {why}");
        }

        return new HandOver(request.Candidate, request.Candidate is null
            ? "switchover requested: handing over to the best standby"
            : $"switchover requested: handing over to {request.Candidate}");
    }

    /// <summary>
    /// Why no member (or not the named one) could take over now, from the members' keys: running, not
    /// tagged nofailover, within maximum_lag_on_failover of my position and, with synchronous
    /// replication, one of the standbys in the sync key. Null when someone can.
    /// </summary>
    public static string? WhyNot(GroupView view, string? candidate)
    {
        ArgumentNullException.ThrowIfNull(view);
        var dcs = view.Dcs!;
        var myLsn = view.Postgres.Lsn ?? dcs.ClusterLsn;
        var syncActive = view.Settings.SynchronousMode != SynchronousMode.Off && dcs.Sync is { IsActive: true, Standbys.Count: > 0 };
        string? Problem(MemberInfo m)
        {
            if (m.NoFailover)
            {
                return $"{m.Name} is tagged nofailover";
            }

            if (!m.IsRunning || m.Role is "primary" or "master")
            {
                return $"{m.Name} is not running as a standby";
            }

            if (myLsn is { } leaderLsn && m.Lsn is { } lsn && leaderLsn - lsn > view.Settings.MaximumLagOnFailover)
            {
                return System.FormattableString.Invariant($"{m.Name} is {leaderLsn - lsn} bytes behind, over maximum_lag_on_failover ({view.Settings.MaximumLagOnFailover})");
            }

            return syncActive && !dcs.Sync!.Contains(m.Name) ? $"{m.Name} is not a synchronous standby" : null;
        }

        var others = dcs.Members.Where(m => m.Name != view.Me.Name).ToList();
        if (candidate is not null)
        {
            return others.FirstOrDefault(m => m.Name == candidate) is { } named ? Problem(named) : $"{candidate} is not a member";
        }

        var problems = others.Select(Problem).ToList();
        return problems.Any(p => p is null)
            ? null
            : others.Count == 0 ? "the group has no other member" : $"no standby can take over ({string.Join("; ", problems)})";
    }
}
