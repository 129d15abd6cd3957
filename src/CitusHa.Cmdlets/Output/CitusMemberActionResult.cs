namespace CitusHa;

/// <summary>What Restart-CitusMember or Reset-CitusMember did to one member.</summary>
public sealed class CitusMemberActionResult
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    public string Member { get; init; } = string.Empty;

    /// <summary>Restarted, Scheduled, Skipped (the member's filters did not hold), Started or Rebuilt.</summary>
    public string Outcome { get; init; } = string.Empty;

    /// <summary>The member's own answer.</summary>
    public string Message { get; init; } = string.Empty;

    public TimeSpan? Duration { get; init; }

    public override string ToString() => $"{Member}: {Outcome}";
}
