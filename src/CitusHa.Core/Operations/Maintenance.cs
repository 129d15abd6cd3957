using System.Text.Json.Nodes;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Operations;

/// <summary>
/// Maintenance mode (Patroni's pause) on or off for one group: <c>PATCH /config {"pause": true|null}</c>
/// through the first member that answers, leader first; returns once etcd shows the new state.
/// </summary>
public static class Maintenance
{
    /// <summary>The groups to act on: those asked for (each must exist), or every group of the cluster.</summary>
    public static async Task<IReadOnlyList<int?>> GroupsAsync(OperatorConnection connection, IReadOnlyCollection<int>? groups, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var request = new TopologyRequest(groups);
        var topology = await Topology.GetAsync(connection.Dcs.WithScope(connection.Scope), request, cancellationToken).ConfigureAwait(false);
        if (topology.MissingGroups.Count > 0)
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.GroupNotFound,
                $"Citus group {string.Join(", ", topology.MissingGroups)} does not exist in '{connection.Scope}'.", topology.MissingGroups[0]);
        }

        return topology.Clusters.SelectMany(c => c.Groups).Select(g => g.Group).ToList();
    }

    public static async Task<MaintenanceResult> SetAsync(OperatorConnection connection, int? group, bool pause, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var (current, _) = await GroupReader.ReadAsync(store, connection, group, cancellationToken).ConfigureAwait(false);
            if (current.Paused == pause)
            {
                return new MaintenanceResult(current.Scope, current.Group, pause, Changed: false);
            }

            await MemberApi.SendToAnyAsync(current, HttpMethod.Patch, "config", new JsonObject { ["pause"] = pause ? true : null }, connection, timeout, cancellationToken).ConfigureAwait(false);
            await GroupReader.WaitForAsync(store, connection, current.Group ?? group, g => g.Paused == pause ? g : null, timeout,
                $"{CandidateRules.Describe(current)} to {(pause ? "enter" : "leave")} maintenance mode", cancellationToken).ConfigureAwait(false);
            return new MaintenanceResult(current.Scope, current.Group, pause, Changed: true);
        }
    }
}

/// <summary>A group's maintenance state after Suspend/Resume; <see cref="Changed"/> false when it already was so.</summary>
public sealed record MaintenanceResult(string Scope, int? Group, bool Paused, bool Changed);
