using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>Reads who is who in a formation: one linearizable range read of etcd, no member is contacted.</summary>
public static class Topology
{
    /// <summary>Opens a connection for this one read and closes it again.</summary>
    public static async Task<TopologyResult> GetAsync(DcsSettings settings, TopologyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var store = DcsConnection.Open(settings);
        await using (store.ConfigureAwait(false))
        {
            return await GetAsync(store, settings, request, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<TopologyResult> GetAsync(IDcsStore store, DcsSettings settings, TopologyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(request);

        var prefix = settings.Scope is null
            ? DcsPaths.NamespacePrefix(settings.Namespace)
            : DcsPaths.ClusterPrefix(settings.Namespace, settings.Scope);
        var snapshot = await store.ReadPrefixAsync(prefix, cancellationToken).ConfigureAwait(false);
        var clusters = TopologyBuilder.Build(settings.Namespace, snapshot.Items);

        if (settings.Scope is not null && clusters.Count == 0)
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.ClusterNotFound,
                $"No cluster named '{settings.Scope}' under '{settings.Namespace}' in etcd at {store.Describe()}. Check the cluster name (Patroni's scope) and the etcd namespace.",
                settings.Scope);
        }

        var present = clusters.SelectMany(c => c.Groups).Select(g => g.Group).OfType<int>().ToHashSet();
        var missing = request.Groups?.Where(g => !present.Contains(g)).ToList() ?? [];
        return new TopologyResult(
            clusters.Select(c => c with { Groups = c.Groups.Where(g => request.Includes(g.Group)).ToList() }).ToList(),
            missing);
    }
}
