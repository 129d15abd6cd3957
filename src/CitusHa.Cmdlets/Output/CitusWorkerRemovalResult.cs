namespace CitusHa;

/// <summary>What Remove-CitusWorker did: the groups removed, the nodes drained and removed from pg_dist_node, the objects deleted.</summary>
public sealed class CitusWorkerRemovalResult
{
    public string Name { get; init; } = string.Empty;

    public IReadOnlyList<int> Groups { get; init; } = [];

    /// <summary>The groups' primaries whose shards citus_drain_node moved away (host:port).</summary>
    public IReadOnlyList<string> DrainedNodes { get; init; } = [];

    /// <summary>The Kubernetes objects deleted ("StatefulSet data/sales-worker-3").</summary>
    public IReadOnlyList<string> Deleted { get; init; } = [];

    /// <summary>The pg_dist_node rows removed (host:port).</summary>
    public IReadOnlyList<string> RemovedNodes { get; init; } = [];

    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Name}: removed group(s) {string.Join(", ", Groups)}";
}
