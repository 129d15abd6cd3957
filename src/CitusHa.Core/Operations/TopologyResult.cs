using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>The clusters read, and any requested group that none of them has (reported, not fatal).</summary>
public sealed record TopologyResult(IReadOnlyList<ClusterTopology> Clusters, IReadOnlyList<int> MissingGroups);
