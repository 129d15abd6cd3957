namespace CitusHa;

/// <summary>One group of a formation, as Get-CitusCluster writes it. Binds by property name (Name, Group) to the action cmdlets.</summary>
public sealed class CitusGroupStatus
{
    /// <summary>The cluster (Patroni's scope).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Citus group: 0 is the coordinator, 1..N workers; null for a plain Patroni cluster.</summary>
    public int? Group { get; init; }

    public string? Leader { get; init; }

    public int Members { get; init; }

    /// <summary>Standbys whose replication state is streaming.</summary>
    public int Streaming { get; init; }

    /// <summary>off, on (synchronous) or quorum.</summary>
    public string SynchronousMode { get; init; } = "off";

    /// <summary>Maintenance mode: no automatic failover while true.</summary>
    public bool Paused { get; init; }

    public int? Timeline { get; init; }

    /// <summary>The largest standby lag in bytes; null when there is no standby or it is unknown.</summary>
    public long? MaxLagBytes { get; init; }

    public long? MaxLagMB => MaxLagBytes is null ? null : (long)Math.Round(MaxLagBytes.Value / 1048576.0, MidpointRounding.AwayFromZero);

    /// <summary>Members whose PostgreSQL waits for a restart to apply settings.</summary>
    public string[] PendingRestart { get; init; } = [];

    public DateTimeOffset? ScheduledSwitchover { get; init; }

    public string? ScheduledCandidate { get; init; }

    public bool HasLeader => Leader is not null;

    public override string ToString() => $"{Name}/{Group}";
}
