using System.Globalization;

namespace CitusHa.Core.Ha;

/// <summary>
/// May I take the leader key of an unlocked group? Patroni's <c>is_healthiest_node</c>: every member
/// evaluates this on its own; the atomic create of the key decides among equals.
/// </summary>
public static class Eligibility
{
    public static (bool Eligible, string Reason) ForRace(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var dcs = view.Dcs ?? throw new ArgumentException("A race needs the group's keys.", nameof(view));
        var me = view.Me;
        var pg = view.Postgres;

        if (pg.RunState == PostgresRunState.Starting)
        {
            return (false, "PostgreSQL is still starting");
        }

        if (pg.RunState != PostgresRunState.Running)
        {
            // Patroni recovers a stopped PostgreSQL before it would ever race: a member that is down
            // (for example the leader that just handed over) must not take the key back.
            return (false, "PostgreSQL is not running");
        }

        if (pg.IsRunningPrimary)
        {
            // The key expired while I kept running as primary (agent stalled): take it back unless a
            // newer timeline shows that someone was promoted meanwhile.
            return dcs.ClusterTimeline is { } clusterTimeline && pg.Timeline is { } mine && mine < clusterTimeline
                ? (false, $"I run as primary on timeline {mine} but the group is on timeline {clusterTimeline}")
                : (true, "I am still running as primary");
        }

        if (dcs.Paused)
        {
            // Patroni's manual failover in pause: only the named candidate of a request that is due races.
            return dcs.Failover is { IsEmpty: false, ScheduledAt: null } pausedRequest && pausedRequest.Candidate == me.Name
                ? (true, "I am the requested candidate of a switchover in pause")
                : (false, "the group is paused");
        }

        if (dcs.Failover is { IsEmpty: false } request && (request.ScheduledAt is null || request.ScheduledAt <= view.WallNow))
        {
            return ForManualRequest(view, request);
        }

        if (!me.MayBecomeLeader)
        {
            return (false, "I am tagged nofailover");
        }

        return HealthiestAmong(view, checkLag: true);
    }

    private static (bool, string) ForManualRequest(GroupView view, FailoverRequest request)
    {
        if (request.Candidate == view.Me.Name)
        {
            return (true, "I am the requested candidate");
        }

        if (request.Candidate is { } candidate
            && view.Peers.TryGetValue(candidate, out var status) && status is { NoFailover: false })
        {
            return (false, $"{candidate} is the requested candidate and is healthy");
        }

        if (request.Leader == view.Me.Name)
        {
            return (false, "I am the member being switched away from");
        }

        // The candidate is gone or unhealthy: the best remaining member goes, lag ignored (Patroni §4.4).
        return view.Me.MayBecomeLeader ? HealthiestAmong(view, checkLag: false) : (false, "I am tagged nofailover");
    }

    private static (bool, string) HealthiestAmong(GroupView view, bool checkLag)
    {
        var dcs = view.Dcs!;
        var myLsn = view.Postgres.Lsn ?? 0;
        if (checkLag && dcs.ClusterLsn is { } clusterLsn && clusterLsn - myLsn > view.Settings.MaximumLagOnFailover)
        {
            return (false, string.Create(CultureInfo.InvariantCulture, $"my WAL position is {clusterLsn - myLsn} bytes behind the last primary position, over maximum_lag_on_failover ({view.Settings.MaximumLagOnFailover})"));
        }

        if (view.Settings.CheckTimeline && dcs.ClusterTimeline is { } timeline && (view.Postgres.Timeline is null || view.Postgres.Timeline < timeline))
        {
            return (false, $"my timeline is older than the group's ({timeline})");
        }

        // A sync key without voters means commits were not acknowledged synchronously by anyone:
        // nothing to protect, so the race works as without synchronous replication.
        var sync = dcs.Sync is { IsActive: true, Standbys.Count: > 0 } s ? s : null;
        var quorumMode = view.Settings.SynchronousMode == SynchronousMode.Quorum;
        if (sync is not null && view.Settings.SynchronousMode == SynchronousMode.On && !sync.Contains(view.Me.Name))
        {
            return (false, "synchronous_mode is on and I am not a synchronous standby");
        }

        var votes = sync is not null && sync.Contains(view.Me.Name) ? 0 : -1;
        foreach (var (name, status) in view.Peers)
        {
            if (name == view.Me.Name || status is null || status.NoFailover && !(quorumMode && sync?.Contains(name) == true))
            {
                continue;
            }

            if (sync is not null && !sync.Contains(name))
            {
                continue; // with synchronous replication active only the voters are compared
            }

            if (!status.InRecovery)
            {
                return (false, $"{name} is still running as primary");
            }

            var formerLeader = sync is not null && string.Equals(sync.Leader, name, StringComparison.OrdinalIgnoreCase);
            if (status.Lsn > myLsn && !formerLeader)
            {
                return (false, string.Create(CultureInfo.InvariantCulture, $"{name} is ahead of me ({status.Lsn} > {myLsn})"));
            }

            if (status.Lsn == myLsn && !formerLeader && status.FailoverPriority > view.Me.FailoverPriority)
            {
                return (false, $"{name} is as far as I am and has a higher failover_priority");
            }

            if (status.Lsn > 0 && status.Lsn <= myLsn)
            {
                votes++;
            }
        }

        if (sync is not null && quorumMode && votes < sync.Quorum && !string.Equals(sync.Leader, view.Me.Name, StringComparison.OrdinalIgnoreCase))
        {
            return (false, $"only {Math.Max(votes, 0)} of the {sync.Quorum} quorum votes needed confirm I have every acknowledged write");
        }

        return (true, "I am the healthiest member");
    }
}
