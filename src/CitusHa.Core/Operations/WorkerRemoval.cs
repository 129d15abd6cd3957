using System.Diagnostics;
using System.Globalization;
using CitusHa.Core.Errors;
using CitusHa.Core.Kubernetes;
using CitusHa.Core.Kubernetes.Apply;
using k8s;
using Npgsql;

namespace CitusHa.Core.Operations;

/// <summary>What Remove-CitusWorker will do, shown before it asks for confirmation.</summary>
public sealed record WorkerRemovalPlan(string Cluster, string Namespace, IReadOnlyList<int> Groups, IReadOnlyList<string> Deletes, IReadOnlyList<string> Updates)
{
    internal IReadOnlyList<IKubernetesObject> DeleteObjects { get; init; } = [];

    internal IReadOnlyList<IKubernetesObject> UpdateObjects { get; init; } = [];

    public string GroupList => string.Join(", ", Groups.Select(g => g.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>What Remove-CitusWorker did.</summary>
public sealed record WorkerRemovalResult(string Cluster, IReadOnlyList<int> Groups, IReadOnlyList<string> DrainedNodes, IReadOnlyList<string> Deleted, IReadOnlyList<string> RemovedNodes, TimeSpan Duration);

/// <summary>
/// Removes the last worker groups of a formation on Kubernetes, in the only order that loses no
/// shard and leaves no dead node in Citus' metadata: drain the groups' primaries on the coordinator
/// (citus_drain_node moves every shard away), delete their StatefulSets, Services and
/// PodDisruptionBudgets, apply the shrunk ConfigMap and Role, wait until etcd shows no leader in the
/// groups (their agents stopped, so the coordinator's agent no longer keeps their rows), then remove
/// their rows from pg_dist_node. A failure stops the walk where it is; running it again continues
/// (a drained node drains in no time, deleted objects are skipped). Volume claims are kept.
/// </summary>
public static class WorkerRemoval
{
    public static async Task<WorkerRemovalPlan> PlanAsync(ClusterPublishing kubernetes, string cluster, string ns, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kubernetes);
        var request = await kubernetes.ReadRequestAsync(cluster, ns, cancellationToken).ConfigureAwait(false);
        var (update, delete) = ClusterManifestRenderer.RenderRemovedWorkers(request, count);
        var groups = delete.Select(ClusterManifestRenderer.GroupOf).OfType<int>().Distinct().Order().ToList();
        return new WorkerRemovalPlan(cluster, ns, groups, [.. delete.Select(ClusterPublisher.TargetOf)], [.. update.Select(ClusterPublisher.TargetOf)])
        {
            DeleteObjects = delete,
            UpdateObjects = update,
        };
    }

    public static async Task<WorkerRemovalResult> RunAsync(OperatorConnection connection, ClusterPublishing kubernetes, WorkerRemovalPlan plan, ShardTransferMode transferMode, TimeSpan timeout, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(kubernetes);
        ArgumentNullException.ThrowIfNull(plan);
        var clock = Stopwatch.StartNew();
        var activity = $"Removing worker group(s) {plan.GroupList} of {plan.Cluster}";
        void Report(string status, int percent) => progress?.Report(new OperationProgress(activity, status, percent));

        // 1. Drain: every shard leaves the groups' primaries before anything stops.
        var drained = new List<string>();
        foreach (var group in plan.Groups)
        {
            foreach (var node in await NodesAsync(connection, group, primariesOnly: true, cancellationToken).ConfigureAwait(false))
            {
                Report($"Draining {node.Host}:{node.Port} (group {group}): moving its shards to the remaining workers", 10);
                await DrainAsync(connection, node, transferMode, timeout, cancellationToken).ConfigureAwait(false);
                drained.Add($"{node.Host}:{node.Port}");
            }
        }

        // 2. Delete the groups' objects, StatefulSets first (their pods stop, their agents hand over nothing: the group goes).
        var deleted = new List<string>();
        foreach (var value in plan.DeleteObjects.OrderBy(o => o is k8s.Models.V1StatefulSet ? 0 : 1))
        {
            var target = ClusterPublisher.TargetOf(value);
            Report($"Deleting {target}", 40);
            if (await kubernetes.DeleteAsync(value, cancellationToken).ConfigureAwait(false))
            {
                deleted.Add(target);
            }
        }

        // 3. The shrunk ConfigMap and Role.
        Report("Applying the ConfigMap and Role of the smaller formation", 55);
        await kubernetes.PublishAsync([.. plan.UpdateObjects], false, cancellationToken).ConfigureAwait(false);

        // 4. Wait for the groups' agents to be gone from etcd: until then the coordinator's agent keeps their rows.
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            foreach (var group in plan.Groups)
            {
                Report($"Waiting for group {group}'s members to stop (no leader in etcd)", 70);
                try
                {
                    await GroupReader.WaitForAsync(store, connection, group, g => g.Leader is null ? g : null, timeout, $"group {group} of '{plan.Cluster}' to have no leader (its pods to stop)", cancellationToken).ConfigureAwait(false);
                }
                catch (CitusHaException e) when (e.ErrorId == ErrorIds.GroupNotFound)
                {
                    // Every key of the group expired: gone.
                }
            }
        }

        // 5. Their rows leave Citus' metadata (primary and secondaries).
        var removed = new List<string>();
        foreach (var group in plan.Groups)
        {
            foreach (var node in await NodesAsync(connection, group, primariesOnly: false, cancellationToken).ConfigureAwait(false))
            {
                Report($"Removing {node.Host}:{node.Port} from pg_dist_node", 90);
                await CoordinatorSql.RunAsync(connection, async (db, _) =>
                {
                    await using var remove = new NpgsqlCommand("SELECT pg_catalog.citus_remove_node($1, $2)", db);
                    remove.Parameters.AddWithValue(node.Host);
                    remove.Parameters.AddWithValue(node.Port);
                    await remove.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                removed.Add($"{node.Host}:{node.Port}");
            }
        }

        Report("Done", 100);
        return new WorkerRemovalResult(plan.Cluster, plan.Groups, drained, deleted, removed, clock.Elapsed);
    }

    private sealed record Node(string Host, int Port);

    private static Task<List<Node>> NodesAsync(OperatorConnection connection, int group, bool primariesOnly, CancellationToken cancellationToken) =>
        CoordinatorSql.RunAsync(connection, async (db, _) =>
        {
            await using var query = new NpgsqlCommand(
                "SELECT nodename, nodeport FROM pg_catalog.pg_dist_node WHERE groupid = $1 AND (NOT $2 OR noderole = 'primary') ORDER BY nodeid", db);
            query.Parameters.AddWithValue(group);
            query.Parameters.AddWithValue(primariesOnly);
            var nodes = new List<Node>();
            await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                nodes.Add(new Node(reader.GetString(0), reader.GetInt32(1)));
            }

            return nodes;
        }, cancellationToken);

    private static Task<bool> DrainAsync(OperatorConnection connection, Node node, ShardTransferMode transferMode, TimeSpan timeout, CancellationToken cancellationToken) =>
        CoordinatorSql.RunAsync(connection, async (db, _) =>
        {
            var mode = new RebalanceRequest(TransferMode: transferMode).TransferModeValue;
            await using var drain = new NpgsqlCommand($"SELECT pg_catalog.citus_drain_node($1, $2, shard_transfer_mode => '{mode}'::citus.shard_transfer_mode)", db)
            {
                // The drain moves data: it takes as long as it takes, up to the caller's -TimeoutSec.
                CommandTimeout = (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalSeconds)),
            };
            drain.Parameters.AddWithValue(node.Host);
            drain.Parameters.AddWithValue(node.Port);
            await drain.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}
