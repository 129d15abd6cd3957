using System.Text.Json.Nodes;
using CitusHa.Agent.Loop;

namespace CitusHa.Agent.Api;

/// <summary>Patroni's <c>GET /patroni</c> document: what peers read during a race and tools show.</summary>
internal static class StatusDocument
{
    /// <summary>How long <c>GET /patroni</c> waits for pg_stat_replication before answering without it.</summary>
    private static readonly TimeSpan ReplicationTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The document with, on a running primary, Patroni's <c>replication</c> list (pg_stat_replication
    /// read now, as Patroni does). Bounded: a slow or failing query leaves the list out, never the answer.
    /// </summary>
    public static async Task<JsonObject> BuildWithReplicationAsync(AgentStatus status, Core.Postgres.IPostgresControl postgres, CancellationToken cancellationToken)
    {
        var document = Build(status);
        if (status.Last?.Postgres is { AcceptingConnections: true, InRecovery: true })
        {
            await RefreshStandbyPositionAsync(document, postgres, cancellationToken).ConfigureAwait(false);
            return document;
        }

        if (status.Last?.Postgres is not { AcceptingConnections: true, InRecovery: false })
        {
            return document;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReplicationTimeout);
        try
        {
            var rows = await postgres.ReplicationAsync(deadline.Token).ConfigureAwait(false);
            document["replication"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
            {
                ["usename"] = r.UserName,
                ["application_name"] = r.ApplicationName,
                ["client_addr"] = r.ClientAddress,
                ["state"] = r.State,
                ["sync_state"] = r.SyncState,
                ["sync_priority"] = r.SyncPriority,
            })]);
        }
        catch (Exception e) when (e is Core.Errors.CitusHaException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The document is still true without the list; monitoring sees it missing, not wrong.
        }

        return document;
    }

    /// <summary>
    /// A standby's WAL positions read now, not at the last cycle: peers racing for the leader key
    /// compare them, and a position up to a loop_wait old let a less advanced member win (found by the
    /// fault soak: the winner lacked WAL another standby had received, which then could not follow).
    /// Patroni reads them per request too. The cycle's values stay when PostgreSQL does not answer in time.
    /// </summary>
    private static async Task RefreshStandbyPositionAsync(JsonObject document, Core.Postgres.IPostgresControl postgres, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReplicationTimeout);
        try
        {
            var now = await postgres.ObserveAsync(deadline.Token).ConfigureAwait(false);
            if (now is { AcceptingConnections: true, InRecovery: true })
            {
                document["xlog"] = StandbyXlog(now);
                if (now.Timeline is { } timeline)
                {
                    document["timeline"] = timeline;
                }
            }
        }
        catch (Exception e) when (e is Core.Errors.CitusHaException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The cycle's positions stand.
        }
    }

    private static JsonObject StandbyXlog(Core.Postgres.PostgresObservation pg) =>
        new() { ["received_location"] = pg.ReceiveLsn, ["replayed_location"] = pg.ReplayLsn, ["paused"] = false };

    public static JsonObject Build(AgentStatus status)
    {
        var settings = status.Settings;
        var snapshot = status.Last;
        var document = new JsonObject();
        if (snapshot is null)
        {
            document["state"] = "starting";
            document["role"] = "uninitialized";
        }
        else
        {
            var pg = snapshot.Postgres;
            document["state"] = snapshot.MemberState;
            if (pg.PostmasterStartTime is { } started)
            {
                document["postmaster_start_time"] = started.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
            }

            document["role"] = !pg.HasData ? "uninitialized" : pg.InRecovery == false ? "primary" : "replica";
            if (pg.ServerVersion is { } version)
            {
                document["server_version"] = version;
            }

            MemberRecordWriter.AddRestartState(document, snapshot.PendingRestart, snapshot.View.Dcs, snapshot.ScheduledRestart?.ToRecord(pg.PostmasterStartTime));
            if (pg.AcceptingConnections)
            {
                document["xlog"] = pg.InRecovery == false
                    ? new JsonObject { ["location"] = pg.Lsn }
                    : StandbyXlog(pg);
            }

            if (pg.Timeline is { } timeline)
            {
                document["timeline"] = timeline;
            }

            if (pg.InRecovery == true)
            {
                document["replication_state"] = pg.UpstreamHost is null ? "in archive recovery" : "streaming";
            }

            if (pg.SystemIdentifier is { } sysid)
            {
                document["database_system_identifier"] = sysid;
            }

            if (snapshot.View.Dcs is { } dcs)
            {
                if (dcs.Leader is null)
                {
                    document["cluster_unlocked"] = true;
                }

                if (dcs.Paused)
                {
                    document["pause"] = true;
                }

                if (dcs.Sync is { } sync && sync.Standbys.Contains(settings.Name, StringComparer.OrdinalIgnoreCase))
                {
                    document[snapshot.View.Settings.SynchronousMode == Core.Ha.SynchronousMode.Quorum ? "quorum_standby" : "sync_standby"] = true;
                }

                document["dcs_last_seen"] = snapshot.At.ToUnixTimeSeconds();
            }

            if (snapshot.View.FailsafeReported)
            {
                document["failsafe_mode_is_active"] = true;
            }

            document["citusha"] = new JsonObject { ["decision"] = snapshot.Decision.Reason };
            if (status.Citus is { Settings: { } citus } mode)
            {
                document["citusha"]!["citus"] = new JsonObject
                {
                    ["group"] = settings.Group,
                    ["database"] = citus.Database,
                    ["library"] = mode.UseLibrary,
                    ["mode"] = mode.Explanation,
                    ["pg_dist_node"] = status.CitusCatalogPresent() switch { true => "kept", false => "absent", null => null },
                };
            }
        }

        if (MemberRecordWriter.Tags(settings) is { } tags)
        {
            document["tags"] = tags;
        }

        document["patroni"] = new JsonObject { ["version"] = MemberRecordWriter.Version, ["scope"] = settings.Dcs.Scope, ["name"] = settings.Name };
        return document;
    }
}
