namespace CitusHa;

/// <summary>What Invoke-CitusSwitchover or Invoke-CitusFailover did.</summary>
public sealed class CitusSwitchoverResult
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    /// <summary>Switchover or Failover.</summary>
    public string Kind { get; init; } = "Switchover";

    public string? OldLeader { get; init; }

    /// <summary>The leader now; null while a scheduled switchover waits for its time.</summary>
    public string? NewLeader { get; init; }

    public int? OldTimeline { get; init; }

    public int? NewTimeline { get; init; }

    /// <summary>When a scheduled switchover will run; null when it ran now.</summary>
    public DateTimeOffset? ScheduledAt { get; init; }

    /// <summary>From the request until etcd showed the new leader running as primary on its new timeline.</summary>
    public TimeSpan? Duration { get; init; }

    public string Message { get; init; } = string.Empty;

    public override string ToString() => Message;
}
