namespace CitusHa.Core.Model;

/// <summary>
/// One group (a Citus group, or a whole plain Patroni cluster when <see cref="Group"/> is null):
/// who leads, its members, and the group-wide state an operator cares about.
/// </summary>
public sealed record GroupTopology(
    string Scope,
    int? Group,
    string? Leader,
    string? SystemIdentifier,
    bool Paused,
    string SynchronousMode,
    long? ClusterLsn,
    IReadOnlyList<TopologyMember> Members);
