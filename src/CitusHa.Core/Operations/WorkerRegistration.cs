using System.Globalization;
using CitusHa.Core.Errors;
using Npgsql;

namespace CitusHa.Core.Operations;

/// <summary>
/// Add-CitusWorker -Rebalance: waits until the coordinator's pg_dist_node has an active primary for
/// every new group (the coordinator's agent registers each group's leader once it runs), then starts
/// Citus' rebalancer. Citus has no notification for catalog changes, so the catalog is read again every
/// <see cref="PollInterval"/> until the deadline (the rebalance cmdlets wait on jobs the same way).
/// </summary>
public static class WorkerRegistration
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<RebalanceStart> RebalanceWhenRegisteredAsync(OperatorConnection connection, IReadOnlyCollection<int> groups, RebalanceRequest request, TimeSpan timeout, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(groups);
        var activity = $"Waiting for worker group(s) {string.Join(", ", groups)} of {connection.Scope} in pg_dist_node";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var registered = 0;
        try
        {
            while (true)
            {
                try
                {
                    registered = await RegisteredAsync(connection, groups, deadline.Token).ConfigureAwait(false);
                }
                catch (CitusHaException e) when (e.ErrorId == ErrorIds.NoLeader && !deadline.IsCancellationRequested)
                {
                    // The coordinator is between primaries: ask again.
                }

                progress?.Report(new OperationProgress(activity, $"{registered} of {groups.Count} registered", registered * 100 / Math.Max(1, groups.Count)));
                if (registered == groups.Count)
                {
                    break;
                }

                await Task.Delay(PollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.OperationTimedOut,
                $"Only {registered} of the {groups.Count} new worker group(s) were registered in pg_dist_node after {timeout.TotalSeconds:0} s, so no rebalance was started. Check their pods and Get-CitusCluster, then run Start-CitusRebalance.", connection.Scope);
        }

        progress?.Report(new OperationProgress(activity, "Starting Citus' rebalancer", 100));
        return await Rebalance.StartAsync(connection, request, cancellationToken).ConfigureAwait(false);
    }

    private static Task<int> RegisteredAsync(OperatorConnection connection, IReadOnlyCollection<int> groups, CancellationToken cancellationToken) =>
        CoordinatorSql.RunAsync(connection, async (db, _) =>
        {
            await using var query = new NpgsqlCommand(
                "SELECT count(DISTINCT groupid)::int FROM pg_catalog.pg_dist_node WHERE groupid = ANY($1) AND noderole = 'primary' AND isactive", db);
            query.Parameters.AddWithValue(groups.ToArray());
            return Convert.ToInt32(await query.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }, cancellationToken);
}
