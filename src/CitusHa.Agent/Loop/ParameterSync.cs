using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Applies the group's dynamic PostgreSQL parameters (<c>config.postgresql.parameters</c>) on this member
/// with ALTER SYSTEM and a reload; values that need a restart are reported as pending_restart, never
/// applied by surprise. Settings the agent owns (ports, replication) cannot be changed this way.
/// </summary>
internal sealed class ParameterSync(AgentContext context)
{
    private static readonly HashSet<string> Owned = new(StringComparer.Ordinal)
    {
        "listen_addresses", "port", "unix_socket_directories", "hot_standby", "wal_log_hints", "primary_conninfo",
        "primary_slot_name", "recovery_target_timeline", "synchronous_standby_names", "data_directory", "hba_file",
        "config_file", "ident_file",
    };

    private Dictionary<string, string>? applied;
    private DateTimeOffset? appliedForStart;

    /// <summary>Every parameter PostgreSQL reports as pending_restart (from the group's config or the local file).</summary>
    public IReadOnlyList<string> PendingRestart { get; private set; } = [];


    public async Task SyncAsync(GroupView view, PostgresObservation pg, CancellationToken cancellationToken)
    {
        if (view.Dcs is not { } dcs || !pg.AcceptingConnections)
        {
            return;
        }

        var group = dcs.PostgresParameters.Where(p => !Owned.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var desired = new Dictionary<string, string>(context.Citus.DynamicParameters(group, context.Settings), StringComparer.Ordinal);
        if (appliedForStart == pg.PostmasterStartTime && applied is not null
            && applied.Count == desired.Count && applied.All(a => desired.TryGetValue(a.Key, out var v) && v == a.Value))
        {
            // The server processes a reload asynchronously, late under load: asking only once after
            // applying could miss it for good. Ask every cycle, as Patroni's status query does (one
            // local query; the answer also changes when someone edits postgresql.auto.conf by hand).
            PendingRestart = await context.Postgres.PendingRestartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var reset = applied?.Keys.Where(k => !desired.ContainsKey(k)).ToList() ?? [];
        var (needRestart, unknown) = await context.Postgres.ApplyParametersAsync(desired, reset, cancellationToken).ConfigureAwait(false);
        foreach (var name in unknown)
        {
            LoopLog.ActionFailed(context.Logger, context.MyName, "apply parameters", $"unknown PostgreSQL parameter '{name}' in the group's config; ignored", new ArgumentException(name));
        }

        PendingRestart = needRestart;
        applied = desired;
        appliedForStart = pg.PostmasterStartTime;
    }
}
