using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using CitusHa.Commands;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

namespace CitusHa.Completers;

/// <summary>
/// What tab completion reads: the clusters under the connection the command line would use (its
/// -Endpoint and -EtcdNamespace, else the session's default and the environment), from a cache of a
/// few seconds, or one etcd read bounded to 1.5 s. It never throws and never blocks the prompt longer:
/// when etcd does not answer in time, completion offers nothing.
/// </summary>
internal static class CompletionSource
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReadBudget = TimeSpan.FromMilliseconds(1500);
    private static readonly ConcurrentDictionary<string, (DateTime At, IReadOnlyList<ClusterTopology> Clusters)> Cache = new();

    public static IReadOnlyList<ClusterTopology> Clusters(IDictionary fakeBoundParameters)
    {
        try
        {
            var endpoint = fakeBoundParameters["Endpoint"] switch
            {
                string one => [one],
                string[] many => many,
                object[] many => many.Select(o => o.ToString()!).ToArray(),
                _ => null,
            };
            var connection = ConnectionParameters.ResolveOperator(endpoint, fakeBoundParameters["EtcdNamespace"] as string, null, null, null, null, null, null);
            var dcs = connection.Dcs.WithScope(null);
            var key = $"{string.Join(",", dcs.Endpoints)}|{dcs.Namespace}";
            if (Cache.TryGetValue(key, out var cached) && DateTime.UtcNow - cached.At < Fresh)
            {
                return cached.Clusters;
            }

            using var budget = new CancellationTokenSource(ReadBudget);
            var read = Topology.GetAsync(dcs, new TopologyRequest(), budget.Token);
            if (!read.Wait(ReadBudget))
            {
                return [];
            }

            var clusters = read.Result.Clusters;
            Cache[key] = (DateTime.UtcNow, clusters);
            return clusters;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return []; // completion must never surface an error at the prompt
        }
    }

    /// <summary>The cluster the command line names (-Name), else the only or default one.</summary>
    public static ClusterTopology? Cluster(IDictionary fakeBoundParameters)
    {
        var clusters = Clusters(fakeBoundParameters);
        var name = fakeBoundParameters["Name"] as string ?? Session.SessionConnection.Current?.Dcs.Scope;
        return name is null ? (clusters.Count == 1 ? clusters[0] : null) : clusters.FirstOrDefault(c => c.Scope == name);
    }

    public static IEnumerable<CompletionResult> Matching(IEnumerable<(string Text, string Tooltip)> values, string wordToComplete)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return values
            .Where(v => v.Text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(Quote(v.Text), v.Text, CompletionResultType.ParameterValue, v.Tooltip));
    }

    private static string Quote(string text) =>
        text.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`' or ';' or '(' or ')' or '{' or '}' or ',') ? $"'{text.Replace("'", "''", StringComparison.Ordinal)}'" : text;
}
