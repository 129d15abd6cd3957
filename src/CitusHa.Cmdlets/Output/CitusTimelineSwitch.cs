namespace CitusHa;

/// <summary>One timeline switch of a group, as Get-CitusHistory writes it (patronictl history's columns).</summary>
public sealed class CitusTimelineSwitch
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    /// <summary>The timeline that ended here.</summary>
    public int Timeline { get; init; }

    /// <summary>Where it ended, as a PostgreSQL LSN (e.g. 0/3000060).</summary>
    public string? Lsn { get; init; }

    public string? Reason { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The member that led the next timeline.</summary>
    public string? NewLeader { get; init; }

    public override string ToString() => $"{Name}/{Group} TL{Timeline} -> {NewLeader}";
}
