using CitusHa.Core.Citus;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;
using Npgsql;

namespace CitusHa.Core.Operations;

/// <summary>
/// Does Citus' pg_dist_node on the coordinator's leader say what etcd says? Per group: the leader as the
/// primary row and every other running member as a secondary, by the host and port of its conn_url (the
/// agents' own rule, <see cref="CitusTopology"/>). Reads the catalog with the credentials given.
/// </summary>
public static class CatalogCheck
{
    public static async Task<IReadOnlyList<HealthCheck>> RunAsync(OperatorConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var scope = connection.Scope;
        if (connection.Postgres is null)
        {
            return [new HealthCheck(scope, 0, HealthRules.PgDistNode, HealthStatus.Skipped, "no PostgreSQL credentials were given (-PostgresCredential)")];
        }

        var store = DcsConnection.Open(connection.Dcs);
        IReadOnlyList<DcsKeyValue> items;
        await using (store.ConfigureAwait(false))
        {
            items = (await store.ReadPrefixAsync(DcsPaths.ClusterPrefix(connection.Dcs.Namespace, scope), cancellationToken).ConfigureAwait(false)).Items;
        }

        var desired = new Dictionary<int, PgDistGroup?>();
        foreach (var group in items.Select(i => DcsPaths.TryParse(connection.Dcs.Namespace, i.Key, out var p) ? p.Group : null).OfType<int>().Distinct().Order())
        {
            var view = GroupKeys.Decode(DcsPaths.GroupPrefix(connection.Dcs.Namespace, scope, group), items, HaSettings.Defaults).View;
            desired[group] = CitusTopology.RunningPrimary(group, view);
        }

        if (!desired.TryGetValue(0, out var coordinator) || coordinator is null)
        {
            return [new HealthCheck(scope, 0, HealthRules.PgDistNode, HealthStatus.Failed, "the coordinator group has no running primary to read pg_dist_node from")];
        }

        var actual = await ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        return desired.Select(d => Compare(scope, d.Key, d.Value, actual.Where(r => r.Group == d.Key).ToList())).ToList();
    }

    /// <summary>Pure: one group's rows against what etcd wants; a group with no running primary is left as it is by the agents too.</summary>
    public static HealthCheck Compare(string scope, int group, PgDistGroup? desired, IReadOnlyList<(int Group, PgDistNode Node)> actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        if (desired is null)
        {
            return new HealthCheck(scope, group, HealthRules.PgDistNode, HealthStatus.Skipped, "the group has no running primary, so its rows are not checked");
        }

        var want = desired.Nodes.Select(n => n.ToString()).ToHashSet();
        var have = actual.Select(r => (r.Node with { NodeId = null }).ToString()).ToHashSet();
        var missing = want.Except(have).Order().ToList();
        var extra = have.Except(want).Order().ToList();
        return missing.Count == 0 && extra.Count == 0
            ? new HealthCheck(scope, group, HealthRules.PgDistNode, HealthStatus.Passed, $"pg_dist_node has {string.Join(", ", want.Order())}")
            : new HealthCheck(scope, group, HealthRules.PgDistNode, HealthStatus.Failed,
                $"pg_dist_node differs from etcd:{(missing.Count > 0 ? $" missing {string.Join(", ", missing)};" : string.Empty)}{(extra.Count > 0 ? $" not expected {string.Join(", ", extra)}" : string.Empty)}".TrimEnd(';'));
    }

    private static Task<IReadOnlyList<(int Group, PgDistNode Node)>> ReadAsync(OperatorConnection connection, CancellationToken cancellationToken) =>
        CoordinatorSql.RunAsync<IReadOnlyList<(int Group, PgDistNode Node)>>(connection, async (db, _) =>
        {
            await using var command = new NpgsqlCommand("SELECT groupid, nodename, nodeport, noderole::text FROM pg_catalog.pg_dist_node", db);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<(int, PgDistNode)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetInt32(0), PgDistNode.FromRow(reader.GetString(1), reader.GetInt32(2), reader.GetString(3), 0)));
            }

            return rows;
        }, cancellationToken);
}
