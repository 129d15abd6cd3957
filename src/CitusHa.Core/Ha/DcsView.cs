namespace CitusHa.Core.Ha;

/// <summary>One group's keys, decoded.</summary>
public sealed record DcsView
{
    /// <summary>The holder of the <c>leader</c> key, or null when the group is unlocked.</summary>
    public LeaderKey? Leader { get; init; }

    /// <summary>The <c>initialize</c> key: null absent (never bootstrapped), "" bootstrap in progress, else the system identifier.</summary>
    public string? Initialize { get; init; }

    /// <summary>The group's <c>config</c> key says <c>pause: true</c> (maintenance mode).</summary>
    public bool Paused { get; init; }

    /// <summary>The <c>sync</c> key; null or empty when synchronous replication is not active.</summary>
    public SyncState? Sync { get; init; }

    /// <summary>A pending switchover or manual failover (the <c>failover</c> key), null if none.</summary>
    public FailoverRequest? Failover { get; init; }

    /// <summary>The leader's last published WAL position (<c>status.optime</c>).</summary>
    public long? ClusterLsn { get; init; }

    /// <summary>The group's timeline from the <c>history</c> key (last line + 1), null if unknown.</summary>
    public int? ClusterTimeline { get; init; }

    /// <summary>PostgreSQL parameters from the group's <c>config</c> key (<c>postgresql.parameters</c>).</summary>
    public IReadOnlyDictionary<string, string> PostgresParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The <c>failsafe</c> key: every member's name and REST URL as the leader last wrote them, the
    /// members a primary must reach to keep running without etcd. Null when absent or not a JSON
    /// object of strings (Patroni discards such a key too).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Failsafe { get; init; }

    /// <summary>Members with live member keys, me included.</summary>
    public IReadOnlyList<MemberInfo> Members { get; init; } = [];

    public MemberInfo? Member(string name) => Members.FirstOrDefault(m => m.Name == name);
}
