namespace CitusHa.Core.Ha;

/// <summary>The local PostgreSQL as observed this cycle.</summary>
public sealed record LocalPostgres
{
    /// <summary>False when the data directory is missing or empty (nothing to start).</summary>
    public bool HasData { get; init; }

    /// <summary>The data directory's system identifier (pg_controldata), null without data.</summary>
    public string? SystemIdentifier { get; init; }

    public PostgresRunState RunState { get; init; }

    /// <summary>pg_is_in_recovery(); null when not running.</summary>
    public bool? InRecovery { get; init; }

    public int? Timeline { get; init; }

    /// <summary>server_version_num of the running server; null when not answering.</summary>
    public int? ServerVersion { get; init; }

    /// <summary>Primary: current WAL LSN; replica: max(receive, replay).</summary>
    public long? Lsn { get; init; }

    /// <summary>The member a replica streams from (from its primary_conninfo), null if none.</summary>
    public string? Upstream { get; init; }

    /// <summary>When PostgreSQL stopped without being asked to (crash), null otherwise.</summary>
    public DateTimeOffset? CrashedAt { get; init; }

    /// <summary>When the postmaster that is not yet accepting connections was started, null otherwise.</summary>
    public DateTimeOffset? StartingSince { get; init; }

    /// <summary>Alive but not answering, and without a standby/recovery signal file: it may be taking writes.</summary>
    public bool UnobservedMayBeWritable { get; init; }

    /// <summary>Replay paused below the primary's hot-standby settings ("max_connections 40 → 100"); empty otherwise.</summary>
    public IReadOnlyList<string> HotStandbyShortfall { get; init; } = [];

    /// <summary>
    /// Since when this running standby has stayed on an older timeline than the leader publishes (it
    /// received WAL the new leader does not have, and PostgreSQL cannot switch timelines past it); null
    /// when it is not behind.
    /// </summary>
    public DateTimeOffset? BehindLeaderTimelineSince { get; init; }

    public bool IsRunningPrimary => RunState == PostgresRunState.Running && InRecovery == false;

    /// <summary>What fencing must treat as a primary: a running one, or one that does not answer but may be one.</summary>
    public bool MayBePrimary => IsRunningPrimary || (RunState == PostgresRunState.Starting && UnobservedMayBeWritable);

    public bool IsRunningReplica => RunState == PostgresRunState.Running && InRecovery == true;
}
