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
    IReadOnlyList<TopologyMember> Members)
{
    /// <summary>Patroni's default <c>maximum_lag_on_failover</c>: 1 MiB.</summary>
    public const long DefaultMaximumLagOnFailover = 1048576;

    /// <summary>How far behind (bytes) a standby may be and still take over (the group's <c>config</c>).</summary>
    public long MaximumLagOnFailover { get; init; } = DefaultMaximumLagOnFailover;

    /// <summary>A switchover waiting for its time (the group's <c>failover</c> key with <c>scheduled_at</c>).</summary>
    public DateTimeOffset? ScheduledSwitchover { get; init; }

    /// <summary>The member named in a scheduled switchover, if any.</summary>
    public string? ScheduledCandidate { get; init; }

    /// <summary>The timeline switches of the group (its <c>history</c> key), oldest first.</summary>
    public IReadOnlyList<TimelineSwitch> History { get; init; } = [];

    /// <summary>The leader's timeline; else the highest any member reports.</summary>
    public int? Timeline => Members.FirstOrDefault(m => m.Name == Leader)?.Timeline ?? Members.Max(m => m.Timeline);

    public TopologyMember? LeaderMember => Members.FirstOrDefault(m => m.Name == Leader);
}
