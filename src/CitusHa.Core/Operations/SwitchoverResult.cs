namespace CitusHa.Core.Operations;

/// <summary>
/// What a switchover or failover did: who led before and after, the new timeline, and how long it took
/// from the request until the new leader accepted writes (null when only scheduled).
/// </summary>
public sealed record SwitchoverResult(
    string Scope,
    int? Group,
    string? OldLeader,
    string? NewLeader,
    int? OldTimeline,
    int? NewTimeline,
    bool Failover,
    DateTimeOffset? ScheduledAt,
    TimeSpan? Duration,
    string Message);
