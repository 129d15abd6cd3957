using System.Text.Json.Nodes;
using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Publishes this member's record under <c>members/&lt;name&gt;</c> on our lease, with Patroni's field
/// names so patronictl and our cmdlets read it. Skipped when neither content nor lease changed.
/// </summary>
internal sealed class MemberRecordWriter(AgentSettings settings, IDcsStore store)
{
    public const string Version = "0.1.0";
    private string? lastJson;
    private long lastLease;

    public string Key { get; } = DcsPaths.MemberKey(settings.Dcs.Namespace, settings.Dcs.Scope!, settings.DcsGroup, settings.Name);

    public static string StateOf(PostgresObservation pg, string? operationState) =>
        operationState ?? pg switch
        {
            { AcceptingConnections: true } => "running",
            { PostmasterAlive: true } => "starting",
            { ExitedUnexpectedlyAt: not null } => "crashed",
            _ => "stopped",
        };

    public string Build(GroupView view, PostgresObservation pg, string? operationState, IReadOnlyList<string>? pendingRestart = null, JsonObject? scheduledRestart = null)
    {
        var role = !pg.HasData ? "uninitialized" : pg.InRecovery == false ? "primary" : "replica";
        var record = new JsonObject
        {
            ["conn_url"] = settings.ConnUrl,
            ["api_url"] = settings.ApiUrl,
            ["state"] = StateOf(pg, operationState),
            ["role"] = role,
            ["version"] = Version,
        };
        if (pg.AcceptingConnections && pg.Lsn is { } lsn)
        {
            record["xlog_location"] = lsn;
        }

        if (pg.InRecovery == true)
        {
            if (pg.ReceiveLsn is { } receive)
            {
                record["receive_lsn"] = receive;
            }

            if (pg.ReplayLsn is { } replay)
            {
                record["replay_lsn"] = replay;
            }

            record["replication_state"] = pg.UpstreamHost is null ? "in archive recovery" : "streaming";
        }

        if (pg.Timeline is { } timeline)
        {
            record["timeline"] = timeline;
        }

        if (Tags(settings) is { } tags)
        {
            record["tags"] = tags;
        }

        if (view.Dcs is { Paused: true })
        {
            record["pause"] = true;
        }

        AddRestartState(record, pendingRestart, view.Dcs, scheduledRestart);
        return record.ToJsonString();
    }

    /// <summary>The member's tags as Patroni publishes them (only those that differ from the defaults); null when none.</summary>
    public static JsonObject? Tags(AgentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var tags = new JsonObject();
        if (settings.NoFailover)
        {
            tags["nofailover"] = true;
        }

        if (settings.FailoverPriority != 1)
        {
            tags["failover_priority"] = settings.FailoverPriority;
        }

        if (settings.NoSync)
        {
            tags["nosync"] = true;
        }

        if (settings.NoLoadBalance)
        {
            tags["noloadbalance"] = true;
        }

        return tags.Count > 0 ? tags : null;
    }

    /// <summary><c>pending_restart</c>, its reasons (the configured values) and <c>scheduled_restart</c>, for the member record and <c>/patroni</c>.</summary>
    public static void AddRestartState(JsonObject target, IReadOnlyList<string>? pendingRestart, DcsView? dcs, JsonObject? scheduledRestart)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (pendingRestart is { Count: > 0 })
        {
            target["pending_restart"] = true;
            target["pending_restart_reason"] = new JsonObject(pendingRestart.Select(n => KeyValuePair.Create<string, JsonNode?>(n, dcs?.PostgresParameters.GetValueOrDefault(n))));
        }

        if (scheduledRestart is not null)
        {
            target["scheduled_restart"] = scheduledRestart;
        }
    }

    public async Task PublishAsync(string json, long lease, CancellationToken cancellationToken)
    {
        if (json == lastJson && lease == lastLease)
        {
            return;
        }

        await store.PutAsync(Key, json, lease, cancellationToken).ConfigureAwait(false);
        lastJson = json;
        lastLease = lease;
    }

    /// <summary>Forces the next publish (after a failed write or a lost lease).</summary>
    public void Invalidate() => lastJson = null;
}
