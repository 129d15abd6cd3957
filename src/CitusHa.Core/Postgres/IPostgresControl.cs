using CitusHa.Core.Ha;

namespace CitusHa.Core.Postgres;

/// <summary>
/// The local PostgreSQL in domain terms. The adapter starts the postmaster as its own child so that
/// its exit is an event (<see cref="PostmasterExited"/>), not something a timer discovers.
/// Failures surface as <see cref="Errors.CitusHaException"/>s; expected states are return values.
/// </summary>
public interface IPostgresControl : IAsyncDisposable
{
    /// <summary>Completes (and is replaced) each time the postmaster exits, wanted or not.</summary>
    Task PostmasterExited { get; }

    Task<PostgresObservation> ObserveAsync(CancellationToken cancellationToken);

    /// <summary>initdb into the empty data directory, then write our configuration and pg_hba.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="source"/> answers as a running primary now. Asked before a data directory
    /// is wiped for a new copy: a source that cannot give one must not cost the data we hold.
    /// </summary>
    Task<bool> AnswersAsPrimaryAsync(ReplicationSource source, CancellationToken cancellationToken);

    /// <summary>pg_basebackup from <paramref name="source"/> into the empty data directory.</summary>
    Task BaseBackupAsync(ReplicationSource source, CancellationToken cancellationToken);

    /// <summary>
    /// pg_rewind the stopped data directory against <paramref name="source"/> (crash recovery first
    /// if it was not shut down cleanly). Not succeeding is an expected outcome: the caller then
    /// falls back to a fresh base backup.
    /// </summary>
    Task<(bool Succeeded, string Detail)> RewindAsync(ReplicationSource source, CancellationToken cancellationToken);

    /// <summary>
    /// The history file of <paramref name="timeline"/>: of <paramref name="source"/> (asked over a
    /// replication connection, as Patroni does) or, when null, of the local data directory. Null when
    /// there is none (timeline 1, or the file is missing).
    /// </summary>
    Task<TimelineHistory?> TimelineHistoryAsync(ReplicationSource? source, int timeline, CancellationToken cancellationToken);

    /// <summary>Removes the data directory's contents (reinitialise, failed rewind).</summary>
    Task WipeAsync(CancellationToken cancellationToken);

    /// <summary>Starts as primary (<paramref name="replicaOf"/> null) or as a streaming replica, and waits until it accepts connections.</summary>
    Task StartAsync(ReplicationSource? replicaOf, CancellationToken cancellationToken);

    /// <summary>
    /// Starts read-only in standby mode with no upstream and waits until it accepts connections
    /// (Patroni's recover while the group has no leader): it replays the WAL it has, reports its
    /// position, and stays read-only until it is promoted or told whom to follow.
    /// </summary>
    Task StartReadOnlyAsync(CancellationToken cancellationToken);

    Task StopAsync(StopMode mode, CancellationToken cancellationToken);

    /// <summary>
    /// Configuration reload: writes the new local <c>postgresql.parameters</c> into our managed file and,
    /// when running, reloads PostgreSQL. Returns the parameters that now wait for a restart.
    /// </summary>
    Task<IReadOnlyList<string>> ReloadLocalParametersAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken);

    /// <summary>Points a running replica at a new upstream (reload; restart only if PostgreSQL needs it).</summary>
    Task FollowAsync(ReplicationSource source, CancellationToken cancellationToken);

    /// <summary>
    /// pg_ctl promote and wait until it accepts writes; <paramref name="whenWritable"/> runs at that
    /// moment, before the checkpoint that puts the new timeline into pg_control finishes the promotion.
    /// </summary>
    Task PromoteAsync(Func<Task>? whenWritable, CancellationToken cancellationToken);

    Task CheckpointAsync(CancellationToken cancellationToken);

    /// <summary>Makes the physical replication slots on this primary exactly <paramref name="slotNames"/> (slots of others, such as Citus' own, untouched unless prefixed as ours).</summary>
    Task EnsureSlotsAsync(IReadOnlyCollection<string> slotNames, CancellationToken cancellationToken);

    /// <summary>
    /// Applies dynamic parameters with ALTER SYSTEM and a reload (<paramref name="reset"/> are reset to
    /// their defaults). Returns the names whose new value needs a restart (context postmaster).
    /// Unknown names are skipped and returned in <c>Unknown</c>.
    /// </summary>
    Task<(IReadOnlyList<string> NeedRestart, IReadOnlyList<string> Unknown)> ApplyParametersAsync(IReadOnlyDictionary<string, string> values, IReadOnlyCollection<string> reset, CancellationToken cancellationToken);

    /// <summary>Parameters whose configured value waits for a restart (pg_settings.pending_restart).</summary>
    Task<IReadOnlyList<string>> PendingRestartAsync(CancellationToken cancellationToken);

    /// <summary>Sets synchronous_standby_names and reloads.</summary>
    Task SetSynchronousStandbyNamesAsync(string value, CancellationToken cancellationToken);

    /// <summary>Standby names (application_name) currently streaming from this primary, with their flush position.</summary>
    Task<IReadOnlyList<(string Name, long FlushLsn)>> StreamingStandbysAsync(CancellationToken cancellationToken);

    /// <summary>Every connection in pg_stat_replication (standbys, pg_basebackup, logical walsenders), for the REST API.</summary>
    Task<IReadOnlyList<ReplicationConnection>> ReplicationAsync(CancellationToken cancellationToken);
}
