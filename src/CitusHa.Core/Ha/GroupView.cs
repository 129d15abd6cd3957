namespace CitusHa.Core.Ha;

/// <summary>
/// Everything one HA cycle knows, observed before deciding: immutable, no I/O handles, and the time
/// as a value, so that <see cref="Decider.Decide"/> is a pure function of it.
/// </summary>
public sealed record GroupView
{
    /// <summary>
    /// The agent's monotonic clock (it never steps): every interval (lease, crash, start, waits) is
    /// measured on it.
    /// </summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>The wall clock, for times an operator gave (a scheduled switchover or restart); <see cref="Now"/> when not set.</summary>
    public DateTimeOffset WallNow
    {
        get => wallNow ?? Now;
        init => wallNow = value;
    }

    private readonly DateTimeOffset? wallNow;

    /// <summary>This member's name and tags.</summary>
    public required MemberIdentity Me { get; init; }

    /// <summary>The group's keys as read this cycle; null when etcd could not be read.</summary>
    public DcsView? Dcs { get; init; }

    /// <summary>This member's lease: id and when it ends by our (conservative) clock; null when we hold none.</summary>
    public LeaseView? Lease { get; init; }

    public required LocalPostgres Postgres { get; init; }

    /// <summary>Peers' positions, asked for only when the group has no leader; null value = no answer in time.</summary>
    public IReadOnlyDictionary<string, PeerStatus?> Peers { get; init; } = new Dictionary<string, PeerStatus?>();

    /// <summary>A long operation (bootstrap, base backup, promote, demote, rewind) still running.</summary>
    public RunningOperation? Operation { get; init; }

    public required HaSettings Settings { get; init; }

    /// <summary>
    /// failsafe_mode, on a primary cut off from etcd: every member of the last known <c>failsafe</c>
    /// topology accepted this primary this cycle, which lets it run until this time (ttl after the
    /// calls were sent). Null when not asked or not every member accepted.
    /// </summary>
    public DateTimeOffset? FailsafeUntil { get; init; }

    /// <summary>
    /// failsafe_mode, on a replica: the primary that called <c>POST /failsafe</c> on us within ttl. It
    /// kept running through an etcd outage; while this holds we leave the leader key to it.
    /// </summary>
    public string? FailsafeLeader { get; init; }

    /// <summary>The operator's scheduled restart this agent keeps (POST /restart with a schedule); null when none.</summary>
    public RestartRequest? ScheduledRestart { get; init; }

    /// <summary>A changed PostgreSQL parameter waits for a restart (Patroni's pending_restart).</summary>
    public bool PendingRestart { get; init; }

    /// <summary>How long before the right to run as primary ends the watchdog fences PostgreSQL (at most ttl / 2).</summary>
    public TimeSpan WatchdogSafetyMargin { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>True when failsafe_mode keeps this primary running although etcd cannot be reached.</summary>
    public bool FailsafeActive => Dcs is null && FailsafeUntil is { } until && until > Now;

    /// <summary>Patroni's failsafe_is_active: this primary runs on failsafe, or a failsafe primary called this member within ttl.</summary>
    public bool FailsafeReported => FailsafeActive || FailsafeLeader is not null;

    /// <summary>True when the DCS says I hold the leader key on my current lease.</summary>
    public bool HoldsLeaderKey =>
        Dcs?.Leader is { } leader && leader.Name == Me.Name && Lease is { } lease && leader.Lease == lease.Id;

    /// <summary>Time left on my lease (negative when it has run out); null without a lease.</summary>
    public TimeSpan? LeaseRemaining => Lease is { } lease ? lease.ExpiresAt - Now : null;
}
