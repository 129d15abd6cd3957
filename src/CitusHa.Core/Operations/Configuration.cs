using System.Text.Json.Nodes;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>A group's dynamic configuration as etcd holds it now.</summary>
public sealed record GroupConfiguration(string Scope, int? Group, JsonObject Config);

/// <summary>
/// Reads and changes a group's dynamic configuration: the <c>config</c> key, changed through a member's
/// <c>PATCH /config</c> (as patronictl edit-config does), which merges with a compare-and-swap.
/// </summary>
public static class Configuration
{
    public static async Task<IReadOnlyList<GroupConfiguration>> GetAsync(OperatorConnection connection, IReadOnlyCollection<int>? groups, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var snapshot = await store.ReadPrefixAsync(DcsPaths.ClusterPrefix(connection.Dcs.Namespace, connection.Scope), cancellationToken).ConfigureAwait(false);
            var result = new List<GroupConfiguration>();
            var request = new TopologyRequest(groups);
            foreach (var group in TopologyBuilder.Build(connection.Dcs.Namespace, snapshot.Items).SelectMany(c => c.Groups).Where(g => request.Includes(g.Group)))
            {
                var key = group.Group is { } g ? DcsPaths.GroupKey(connection.Dcs.Namespace, connection.Scope, g, DcsPaths.Config) : DcsPaths.ClusterPrefix(connection.Dcs.Namespace, connection.Scope) + DcsPaths.Config;
                var value = snapshot.Items.FirstOrDefault(i => i.Key == key)?.Value;
                result.Add(new GroupConfiguration(group.Scope, group.Group, (value is null ? null : JsonNode.Parse(value) as JsonObject) ?? []));
            }

            if (result.Count == 0)
            {
                throw new CitusHaException(CitusErrorKind.NotFound, groups is { Count: > 0 } ? ErrorIds.GroupNotFound : ErrorIds.ClusterNotFound,
                    $"No configuration of {(groups is { Count: > 0 } ? $"group {string.Join(", ", groups)} of " : string.Empty)}'{connection.Scope}' under '{connection.Dcs.Namespace}' in etcd.", connection.Scope);
            }

            return result;
        }
    }

    /// <summary>Sends the plan's patch through the first member that answers (leader first); returns the configuration the member wrote.</summary>
    public static async Task<GroupConfiguration> ApplyAsync(OperatorConnection connection, int? group, ConfigurationPlan plan, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(plan);
        var store = DcsConnection.Open(connection.Dcs);
        await using (store.ConfigureAwait(false))
        {
            var (current, _) = await GroupReader.ReadAsync(store, connection, group, cancellationToken).ConfigureAwait(false);
            var text = await MemberApi.SendToAnyAsync(current, HttpMethod.Patch, "config", plan.Patch, connection, timeout, cancellationToken).ConfigureAwait(false);
            return new GroupConfiguration(current.Scope, current.Group, JsonNode.Parse(text) as JsonObject ?? plan.Merged);
        }
    }
}
