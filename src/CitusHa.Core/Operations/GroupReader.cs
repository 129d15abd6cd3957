using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>Reads one group of a formation from etcd, and waits for it to reach a state (etcd watch, no polling).</summary>
public static class GroupReader
{
    /// <summary>The group as etcd shows it now; ClusterNotFound or GroupNotFound when it is not there.</summary>
    public static async Task<(GroupTopology Group, long Revision)> ReadAsync(IDcsStore store, OperatorConnection connection, int? group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(connection);
        var scope = connection.Scope;
        var snapshot = await store.ReadPrefixAsync(DcsPaths.ClusterPrefix(connection.Dcs.Namespace, scope), cancellationToken).ConfigureAwait(false);
        var cluster = TopologyBuilder.Build(connection.Dcs.Namespace, snapshot.Items).FirstOrDefault(c => c.Scope == scope)
            ?? throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.ClusterNotFound,
                $"No cluster named '{scope}' under '{connection.Dcs.Namespace}' in etcd at {store.Describe()}. Check the cluster name (Patroni's scope) and the etcd namespace.", scope);
        var found = group is null && cluster.Groups.Count == 1
            ? cluster.Groups[0]
            : cluster.Groups.FirstOrDefault(g => g.Group == group);
        if (found is null)
        {
            var known = string.Join(", ", cluster.Groups.Select(g => g.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(plain)"));
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.GroupNotFound, group is null
                ? $"'{scope}' is a Citus formation with groups {known}: name the group (-Group)."
                : $"Citus group {group} does not exist in '{scope}'; its groups are {known}.", group);
        }

        return (found, snapshot.Revision);
    }

    /// <summary>
    /// Re-reads the group on every change under it until <paramref name="done"/> returns a value, or
    /// throws Timeout after <paramref name="timeout"/>. Returns that value.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(IDcsStore store, OperatorConnection connection, int? group, Func<GroupTopology, T?> done, TimeSpan timeout, string waitingFor, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(done);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var (current, revision) = await ReadAsync(store, connection, group, deadline.Token).ConfigureAwait(false);
                if (done(current) is { } result)
                {
                    return result;
                }

                // Wait for the next change under the cluster, then look again.
                await foreach (var _ in store.WatchPrefixAsync(DcsPaths.ClusterPrefix(connection.Dcs.Namespace, connection.Scope), revision, deadline.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw GaveUp(null);
        }
        catch (CitusHaException e) when (e.Kind == CitusErrorKind.Timeout && !cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw GaveUp(e);
        }

        // The deadline ran out in our wait or inside an etcd call it cut short: the same answer either way.
        CitusHaException GaveUp(Exception? inner) => new(CitusErrorKind.Timeout, ErrorIds.OperationTimedOut,
            $"Gave up after {timeout.TotalSeconds:0.#} s waiting for {waitingFor}. It may still happen: check with Get-CitusTopology, or allow more time with -TimeoutSec.", connection.Scope, inner);
    }
}
