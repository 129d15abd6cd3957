namespace CitusHa.Core.Ha;

/// <summary>
/// What one cycle should do, and why. A closed set: the agent's executor performs exactly one of
/// these per cycle and chooses nothing itself. <see cref="Reason"/> goes to the log, to
/// <c>GET /patroni</c> and to the tests.
/// </summary>
public abstract record Decision(string Reason);

/// <summary>Nothing to change this cycle.</summary>
public sealed record NoAction(string Reason) : Decision(Reason);

/// <summary>Race for the <c>initialize</c> key; the winner runs initdb, starts PostgreSQL and takes the leader key.</summary>
public sealed record InitializeCluster(string Reason) : Decision(Reason);

/// <summary>Take a base backup from <paramref name="Source"/> and start streaming from the leader.</summary>
public sealed record CloneFromMember(string Source, string Reason) : Decision(Reason);

/// <summary>Create the leader key with my lease (compare-and-swap); on success promote, on failure follow.</summary>
public sealed record AcquireLeaderKey(string Reason) : Decision(Reason);

/// <summary>I hold the leader key and run as a replica: promote.</summary>
public sealed record Promote(string Reason) : Decision(Reason);

/// <summary>I hold the leader key and PostgreSQL is down: start it as primary.</summary>
public sealed record StartAsPrimary(string Reason) : Decision(Reason);

/// <summary>
/// Start PostgreSQL read-only (standby mode, no upstream) while the group has no leader, so its WAL
/// position is known and the race can pick the most advanced member (Patroni's recover). Without
/// it a group stopped as a whole never comes back: no member races with PostgreSQL down.
/// </summary>
public sealed record StartReadOnly(string Reason) : Decision(Reason);

/// <summary>Run as a replica of <paramref name="Leader"/>: start, repoint or rewind as needed.</summary>
public sealed record FollowLeader(string Leader, string Reason) : Decision(Reason);

/// <summary>
/// Stop accepting writes now (immediate shutdown, restart read-only) without touching the leader
/// key, which is not (or soon not) mine: the fencing action.
/// </summary>
public sealed record DemoteFenced(string Reason) : Decision(Reason);

/// <summary>
/// Hand over: checkpoint, stop, release the leader key (when a candidate has the shutdown
/// checkpoint) and follow the new leader. <paramref name="Candidate"/> null means the best one.
/// </summary>
public sealed record HandOver(string? Candidate, string Reason) : Decision(Reason);

/// <summary>Delete or empty a stale or impossible <c>failover</c> request.</summary>
public sealed record ClearFailoverRequest(string Reason) : Decision(Reason);

/// <summary>Write the <c>initialize</c> key with my system identifier (adopting an existing primary).</summary>
public sealed record AdoptInitialize(string SystemIdentifier, string Reason) : Decision(Reason);

/// <summary>Something is wrong that an operator must fix (system identifier mismatch): stop touching PostgreSQL.</summary>
public sealed record Halt(string Reason) : Decision(Reason);

/// <summary>The leader key has my name but an older lease of mine (the agent restarted): re-attach it to my lease.</summary>
public sealed record ReattachLeaderKey(string Reason) : Decision(Reason);

/// <summary>
/// Restart this standby: its replay paused because the primary raised a hot-standby setting above
/// its own; the start takes the primary's values (Patroni starts standbys the same way).
/// </summary>
public sealed record RestartStandby(string Reason) : Decision(Reason);

/// <summary>
/// Stop this standby and follow <paramref name="Leader"/> through the rewind check: it stayed on an
/// older timeline (it had diverged), which a running standby cannot leave by itself.
/// </summary>
public sealed record RejoinLeader(string Leader, string Reason) : Decision(Reason);
