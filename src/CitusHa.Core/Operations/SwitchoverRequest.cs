using CitusHa.Core.Errors;

namespace CitusHa.Core.Operations;

/// <summary>
/// A planned switchover (<see cref="Failover"/> false) or a failover to a named member. Validates itself:
/// a failover needs a candidate and cannot be scheduled; a schedule must lie in the future.
/// </summary>
public sealed record SwitchoverRequest
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public SwitchoverRequest(int? group, string? candidate = null, DateTimeOffset? scheduledAt = null, TimeSpan? timeout = null, bool failover = false, DateTimeOffset? now = null)
    {
        if (group is < 0)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidGroup,
                $"Citus group {group} does not exist: groups are 0 (the coordinator) and 1 and up (workers).", group);
        }

        if (failover && string.IsNullOrWhiteSpace(candidate))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.RequestRefused,
                "A failover promotes a named member: give -Candidate. To let the healthiest standby take over from a running leader, use Invoke-CitusSwitchover.");
        }

        if (failover && scheduledAt is not null)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.RequestRefused,
                "A failover cannot be scheduled; schedule a switchover (Invoke-CitusSwitchover -ScheduledAt) instead.");
        }

        if (scheduledAt is { } at && at <= (now ?? DateTimeOffset.UtcNow))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.RequestRefused,
                $"The switchover time {at:O} is not in the future. Give a later time, or leave -ScheduledAt out to switch over now.", at);
        }

        var wait = timeout ?? DefaultTimeout;
        if (wait <= TimeSpan.Zero || wait > TimeSpan.FromHours(1))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidTimeout,
                $"The timeout must lie between 1 second and 1 hour, not {wait.TotalSeconds:0.#} s.", wait);
        }

        Group = group;
        Candidate = string.IsNullOrWhiteSpace(candidate) ? null : candidate.Trim();
        ScheduledAt = scheduledAt;
        Timeout = wait;
        Failover = failover;
    }

    /// <summary>The Citus group; null for a plain (single-group) cluster.</summary>
    public int? Group { get; }

    public string? Candidate { get; }

    public DateTimeOffset? ScheduledAt { get; }

    /// <summary>How long to wait for the new leader to accept writes.</summary>
    public TimeSpan Timeout { get; }

    public bool Failover { get; }
}
