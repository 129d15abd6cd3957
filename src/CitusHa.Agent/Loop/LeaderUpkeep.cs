using System.Globalization;
using System.Text.Json.Nodes;
using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>
/// What the primary that holds the leader key keeps true every cycle: the published position
/// (<c>status</c>), <c>initialize</c> and <c>config</c>, the timeline <c>history</c>, one physical slot
/// per member, and synchronous replication.
/// </summary>
internal sealed class LeaderUpkeep(AgentContext context, SyncReplication sync)
{
    private long lastOptime = -1;

    public async Task RunAsync(GroupView view, PostgresObservation pg, CancellationToken cancellationToken)
    {
        var dcs = view.Dcs!;
        if (pg.Lsn is { } lsn && lsn != lastOptime)
        {
            await context.Store.PutAsync(context.Key("status"), new JsonObject { ["optime"] = lsn }.ToJsonString(), 0, cancellationToken).ConfigureAwait(false);
            lastOptime = lsn;
        }

        if (pg.SystemIdentifier is { } sysid && dcs.Initialize != sysid)
        {
            await context.Store.PutAsync(context.Key("initialize"), sysid, 0, cancellationToken).ConfigureAwait(false);
        }

        await EnsureConfigAsync(cancellationToken).ConfigureAwait(false);
        await EnsureHistoryAsync(pg, dcs, cancellationToken).ConfigureAwait(false);
        if (view.Settings.FailsafeMode)
        {
            await EnsureFailsafeTopologyAsync(dcs, cancellationToken).ConfigureAwait(false);
        }

        var slots = dcs.Members.Where(m => m.Name != context.MyName).Select(m => PostgresOptions.SlotNameFor(m.Name)).ToList();
        await context.Postgres.EnsureSlotsAsync(slots, cancellationToken).ConfigureAwait(false);

        if (!dcs.Paused)
        {
            await sync.MaintainAsync(view, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Patroni's bootstrap.dcs: the group's dynamic configuration, written once by the leader.</summary>
    private async Task EnsureConfigAsync(CancellationToken cancellationToken)
    {
        var ha = context.Settings.Ha;
        var config = new JsonObject
        {
            ["ttl"] = (int)ha.Ttl.TotalSeconds,
            ["loop_wait"] = ha.LoopWait.TotalSeconds,
            ["retry_timeout"] = (int)ha.RetryTimeout.TotalSeconds,
            ["maximum_lag_on_failover"] = ha.MaximumLagOnFailover,
            ["primary_start_timeout"] = (int)ha.PrimaryStartTimeout.TotalSeconds,
            ["synchronous_mode"] = ha.SynchronousMode switch { SynchronousMode.Quorum => "quorum", SynchronousMode.On => "on", _ => "off" },
            ["synchronous_node_count"] = ha.SynchronousNodeCount,
            ["failsafe_mode"] = ha.FailsafeMode,
            ["postgresql"] = new JsonObject { ["use_pg_rewind"] = true, ["use_slots"] = true },
        };
        await context.Store.PutIfModRevisionAsync(context.Key("config"), config.ToJsonString(), 0, 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// failsafe_mode: the <c>failsafe</c> key names every member and its REST URL (me included), as
    /// Patroni's update_leader writes it. It is what this primary must reach to keep running if etcd
    /// goes away, so it is rewritten whenever the membership changes.
    /// </summary>
    private async Task EnsureFailsafeTopologyAsync(DcsView dcs, CancellationToken cancellationToken)
    {
        var topology = dcs.Members.Where(m => m.ApiUrl is not null).ToDictionary(m => m.Name, m => m.ApiUrl!, StringComparer.Ordinal);
        topology[context.MyName] = context.Settings.ApiUrl;
        if (dcs.Failsafe is { } known && known.Count == topology.Count && topology.All(m => known.TryGetValue(m.Key, out var url) && url == m.Value))
        {
            return;
        }

        var value = new JsonObject();
        foreach (var (name, url) in topology.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            value[name] = url;
        }

        await context.Store.PutAsync(context.Key(Core.Dcs.DcsPaths.Failsafe), value.ToJsonString(), 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The timeline history from PostgreSQL's own history file, as Patroni writes it.</summary>
    private async Task EnsureHistoryAsync(PostgresObservation pg, DcsView dcs, CancellationToken cancellationToken)
    {
        if (pg.Timeline is not { } timeline || dcs.ClusterTimeline == timeline)
        {
            return;
        }

        var lines = new JsonArray();
        if (timeline > 1)
        {
            var file = Path.Combine(context.Settings.Postgres.DataDirectory, "pg_wal", $"{timeline:X8}.history");
            if (!File.Exists(file))
            {
                return;
            }

            var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
            var content = await File.ReadAllLinesAsync(file, cancellationToken).ConfigureAwait(false);
            foreach (var line in content.Where(l => l.Length > 0 && char.IsDigit(l[0])))
            {
                var parts = line.Split('\t');
                if (parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var tli) && Core.Model.Lsn.TryParse(parts[1], out var lsn))
                {
                    lines.Add(new JsonArray(tli, lsn, parts.Length > 2 ? parts[2].Trim() : "no recovery target specified", modified, context.MyName));
                }
            }
        }

        await context.Store.PutAsync(context.Key("history"), lines.ToJsonString(), 0, cancellationToken).ConfigureAwait(false);
    }

    public void Reset()
    {
        lastOptime = -1;
        sync.Forget();
    }
}
