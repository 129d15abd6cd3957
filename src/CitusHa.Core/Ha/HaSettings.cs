using CitusHa.Core.Errors;

namespace CitusHa.Core.Ha;

/// <summary>
/// The timing and safety settings the decision rules use (Patroni's dynamic configuration names in
/// comments). Validated on creation: <c>loop_wait + 2 × retry_timeout ≤ ttl</c>, so a primary that
/// cannot renew its lease demotes itself before the lease can expire.
/// </summary>
public sealed record HaSettings
{
    /// <summary>Our defaults: ttl 10 s, renewal every second, retry_timeout 3 s, quorum commit.</summary>
    public static readonly HaSettings Defaults = new();

    /// <summary><c>ttl</c>: the lease carrying the leader and member keys.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>loop_wait</c>: the backup timer between cycles (watches wake the loop sooner).</summary>
    public TimeSpan LoopWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>retry_timeout</c>: how long one etcd or PostgreSQL request may take.</summary>
    public TimeSpan RetryTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary><c>maximum_lag_on_failover</c> in bytes.</summary>
    public long MaximumLagOnFailover { get; init; } = 1048576;

    /// <summary><c>primary_start_timeout</c>: how long a crashed primary may take to come back before failing over.</summary>
    public TimeSpan PrimaryStartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>synchronous_mode</c>.</summary>
    public SynchronousMode SynchronousMode { get; init; } = SynchronousMode.Quorum;

    /// <summary><c>synchronous_node_count</c>.</summary>
    public int SynchronousNodeCount { get; init; } = 1;

    /// <summary><c>check_timeline</c>: race candidates must not be on an older timeline.</summary>
    public bool CheckTimeline { get; init; }

    /// <summary>
    /// <c>failsafe_mode</c>: a primary cut off from etcd keeps running while every member of the
    /// group's <c>failsafe</c> topology still answers its <c>POST /failsafe</c> (Patroni 3).
    /// </summary>
    public bool FailsafeMode { get; init; }

    /// <summary>How long before its lease ends a primary that cannot renew makes itself read-only.</summary>
    public TimeSpan FencingMargin => LoopWait + RetryTimeout;

    /// <summary>Throws <see cref="CitusHaException"/> naming the setting that breaks the rules.</summary>
    public HaSettings Validate()
    {
        static CitusHaException Bad(string message) => new(CitusErrorKind.InvalidArgument, ErrorIds.InvalidHaSettings, message);

        if (Ttl < TimeSpan.FromSeconds(2))
        {
            throw Bad($"ttl must be at least 2 seconds; {Ttl.TotalSeconds} was given.");
        }

        if (LoopWait < TimeSpan.FromMilliseconds(100))
        {
            throw Bad($"loop_wait must be at least 0.1 seconds; {LoopWait.TotalSeconds} was given.");
        }

        if (RetryTimeout < TimeSpan.FromSeconds(1))
        {
            throw Bad($"retry_timeout must be at least 1 second; {RetryTimeout.TotalSeconds} was given.");
        }

        if (LoopWait + (2 * RetryTimeout) > Ttl)
        {
            throw Bad($"loop_wait + 2 × retry_timeout must not exceed ttl ({LoopWait.TotalSeconds} + 2 × {RetryTimeout.TotalSeconds} > {Ttl.TotalSeconds}): otherwise a primary cut off from etcd could still accept writes after its lease expired and another member was promoted. Raise ttl or lower the others.");
        }

        if (MaximumLagOnFailover < 0)
        {
            throw Bad("maximum_lag_on_failover must not be negative.");
        }

        if (SynchronousNodeCount < 1)
        {
            throw Bad("synchronous_node_count must be at least 1.");
        }

        return this;
    }
}
