namespace CitusHa.Core.Postgres;

/// <summary>What the local PostgreSQL looks like right now.</summary>
public sealed record PostgresObservation
{
    /// <summary>The data directory holds a cluster (PG_VERSION exists).</summary>
    public bool HasData { get; init; }

    public string? SystemIdentifier { get; init; }

    /// <summary>pg_controldata's "Database cluster state" (e.g. "in production", "shut down").</summary>
    public string? ControlState { get; init; }

    /// <summary>Our child postmaster is alive.</summary>
    public bool PostmasterAlive { get; init; }

    /// <summary>The postmaster is alive and answers queries.</summary>
    public bool AcceptingConnections { get; init; }

    public bool? InRecovery { get; init; }

    public int? Timeline { get; init; }

    /// <summary>Primary: pg_current_wal_lsn(); replica: max(receive, replay).</summary>
    public long? Lsn { get; init; }

    public long? ReceiveLsn { get; init; }

    public long? ReplayLsn { get; init; }

    /// <summary>The host and port the WAL receiver streams from (replicas), null otherwise.</summary>
    public string? UpstreamHost { get; init; }

    public int? UpstreamPort { get; init; }

    /// <summary>When the postmaster exited without us asking it to, null if it did not.</summary>
    public DateTimeOffset? ExitedUnexpectedlyAt { get; init; }

    /// <summary>
    /// When the agent started a postmaster that has not accepted a connection since (a start still in
    /// progress, e.g. a long crash recovery); null once it answered. A running server that stops
    /// answering for a moment is not "starting": primary_start_timeout must not fire for it.
    /// </summary>
    public DateTimeOffset? StartingSince { get; init; }

    public DateTimeOffset? PostmasterStartTime { get; init; }

    /// <summary>Our child postmaster's process id while it runs (what the watchdog fences).</summary>
    public int? PostmasterPid { get; init; }

    /// <summary>
    /// The postmaster may be taking writes: it answered as a primary, or it is alive without answering
    /// and its data directory has no standby.signal or recovery.signal (PostgreSQL 12+ runs read-only
    /// only with one of them). A primary the agent cannot query (hung, out of connections, frozen
    /// postmaster whose backends still serve) is still a primary to fence.
    /// </summary>
    public bool MayBeWritable { get; init; }

    /// <summary>
    /// A standby whose replay paused because the primary raised a hot-standby setting above ours
    /// ("max_connections 40 → 100"); empty otherwise. A restart (with the raised values) resumes it.
    /// </summary>
    public IReadOnlyList<string> HotStandbyShortfall { get; init; } = [];

    /// <summary><c>server_version_num</c> of the running server (150008 for 15.8), null when not connected.</summary>
    public int? ServerVersion { get; init; }
}
