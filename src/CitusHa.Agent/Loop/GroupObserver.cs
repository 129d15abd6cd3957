using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Builds one <see cref="GroupView"/>: lease keepalive, one range read of the group, the local
/// PostgreSQL, and, only when the group has no leader, the peers' positions. Failures become parts of
/// the view (no DCS view, unknown peers), never exceptions that stop the loop.
/// </summary>
internal sealed class GroupObserver(AgentSettings settings, IDcsStore store, LeaseKeeper lease, IPostgresControl postgres, PeerClient peers, AgentStatus status, TimeProvider time)
{
    // From the last successful read: what failsafe_mode needs once etcd cannot be read.
    private IReadOnlyDictionary<string, string>? lastFailsafe;
    private bool lastPaused;
    private DateTimeOffset? behindSince;

    public string GroupPrefix { get; } = DcsPaths.GroupPrefix(settings.Dcs.Namespace, settings.Dcs.Scope!, settings.DcsGroup);

    /// <summary>The revision of the last successful read (watches start after it).</summary>
    public long Revision { get; private set; }

    public async Task<(GroupView View, PostgresObservation Postgres)> ObserveAsync(HaSettings current, RunningOperation? operation, CancellationToken cancellationToken)
    {
        DcsView? dcs = null;
        var effective = current;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(current.RetryTimeout);
            await lease.RefreshAsync(current.Ttl, deadline.Token).ConfigureAwait(false);
            var snapshot = await store.ReadPrefixAsync(GroupPrefix, deadline.Token).ConfigureAwait(false);
            Revision = snapshot.Revision;
            (dcs, effective) = GroupKeys.Decode(GroupPrefix, snapshot.Items, settings.Ha);
            lastFailsafe = dcs.Failsafe;
            lastPaused = dcs.Paused;
        }
        catch (Exception e) when (e is CitusHaException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            dcs = null; // etcd unreachable or too slow this cycle: the rules decide what that means
        }

        PostgresObservation pg;
        try
        {
            pg = await postgres.ObserveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CitusHaException)
        {
            pg = new PostgresObservation();
        }

        var local = ToLocal(pg, dcs);
        local = local with { BehindLeaderTimelineSince = BehindSince(local, dcs) };
        IReadOnlyDictionary<string, PeerStatus?> peerStatus = new Dictionary<string, PeerStatus?>();
        if (dcs is { Leader: null } && operation is null)
        {
            var others = dcs.Members.Where(m => m.Name != settings.Name).ToList();
            var probe = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, effective.RetryTimeout.Ticks));
            peerStatus = await peers.AskAsync(others, probe, cancellationToken).ConfigureAwait(false);
        }

        var failsafeUntil = dcs is null ? await ConfirmFailsafeAsync(effective, pg, cancellationToken).ConfigureAwait(false) : null;
        var now = time.GetUtcNow();
        var view = new GroupView
        {
            Now = now,
            WallNow = Core.Adapters.Clock.MonotonicTimeProvider.WallOf(time).GetUtcNow(),
            Me = settings.Identity,
            Dcs = dcs,
            Lease = lease.Current,
            Postgres = local,
            Peers = peerStatus,
            Operation = operation,
            Settings = effective,
            FailsafeUntil = failsafeUntil,
            FailsafeLeader = status.LastFailsafeCall is { } call && now - call.At < effective.Ttl ? call.Leader : null,
        };
        return (view, pg);
    }

    /// <summary>
    /// failsafe_mode, etcd unreachable, PostgreSQL running as a primary: ask every other member of the
    /// last known failsafe topology to accept us (Patroni's check_failsafe_topology). Returns how long
    /// that consent lasts (ttl from when the calls were sent), or null: mode off, paused, not a primary,
    /// no topology, not in it, or someone did not accept.
    /// </summary>
    private async Task<DateTimeOffset?> ConfirmFailsafeAsync(HaSettings effective, PostgresObservation pg, CancellationToken cancellationToken)
    {
        if (!effective.FailsafeMode || lastPaused || pg is not { AcceptingConnections: true, InRecovery: false }
            || lastFailsafe is not { } topology || !topology.ContainsKey(settings.Name))
        {
            return null;
        }

        var sent = time.GetUtcNow();
        var others = topology.Where(m => m.Key != settings.Name).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var body = new System.Text.Json.Nodes.JsonObject { ["name"] = settings.Name, ["conn_url"] = settings.ConnUrl, ["api_url"] = settings.ApiUrl }.ToJsonString();
        var timeout = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, effective.RetryTimeout.Ticks));
        var accepted = await peers.ConfirmFailsafeAsync(others, body, settings.RestApiCredentials, timeout, cancellationToken).ConfigureAwait(false);
        return accepted ? sent + effective.Ttl : null;
    }

    /// <summary>When this running standby was first seen on an older timeline than its leader publishes (kept across cycles).</summary>
    private DateTimeOffset? BehindSince(LocalPostgres local, DcsView? dcs)
    {
        if (dcs is null)
        {
            return behindSince; // no news: neither start nor stop counting
        }

        var leaderTimeline = dcs.Leader is { } leader && leader.Name != settings.Name ? dcs.Member(leader.Name)?.Timeline : null;
        if (!local.IsRunningReplica || local.Timeline is not { } mine || leaderTimeline is not { } theirs || mine >= theirs)
        {
            behindSince = null;
            return null;
        }

        return behindSince ??= time.GetUtcNow();
    }

    private static LocalPostgres ToLocal(PostgresObservation pg, DcsView? dcs)
    {
        var state = pg switch
        {
            { AcceptingConnections: true } => PostgresRunState.Running,
            { PostmasterAlive: true } => PostgresRunState.Starting,
            { ExitedUnexpectedlyAt: not null } => PostgresRunState.Crashed,
            _ => PostgresRunState.Stopped,
        };
        return new LocalPostgres
        {
            HasData = pg.HasData,
            SystemIdentifier = pg.SystemIdentifier,
            RunState = state,
            InRecovery = state == PostgresRunState.Running ? pg.InRecovery : null,
            Timeline = pg.Timeline,
            ServerVersion = pg.ServerVersion,
            Lsn = pg.Lsn,
            Upstream = UpstreamName(pg, dcs),
            CrashedAt = pg.ExitedUnexpectedlyAt,
            StartingSince = state == PostgresRunState.Starting ? pg.StartingSince : null,
            UnobservedMayBeWritable = state == PostgresRunState.Starting && pg.MayBeWritable,
            HotStandbyShortfall = pg.HotStandbyShortfall,
        };
    }

    /// <summary>Which member the WAL receiver streams from, by matching host:port against members' conn_url.</summary>
    private static string? UpstreamName(PostgresObservation pg, DcsView? dcs)
    {
        if (pg.UpstreamHost is null || dcs is null)
        {
            return null;
        }

        foreach (var member in dcs.Members)
        {
            if (member.ConnUrl is not null && Uri.TryCreate(member.ConnUrl, UriKind.Absolute, out var uri)
                && string.Equals(uri.Host, pg.UpstreamHost, StringComparison.OrdinalIgnoreCase) && (uri.Port > 0 ? uri.Port : 5432) == pg.UpstreamPort)
            {
                return member.Name;
            }
        }

        return null;
    }
}
