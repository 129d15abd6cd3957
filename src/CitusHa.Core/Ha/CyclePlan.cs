namespace CitusHa.Core.Ha;

/// <summary>
/// Everything one HA cycle will do: the main <see cref="Decision"/> and every upkeep intent around it.
/// Made by <see cref="CyclePlanner.Plan"/>, a pure function of the view; the agent's loop only carries
/// the intents out, so no rule of the cycle lives where a unit test cannot see it.
/// </summary>
public sealed record CyclePlan
{
    public required Decision Decision { get; init; }

    /// <summary>
    /// Nothing runs and nothing starts this cycle: a waiting configuration reload and the parameter
    /// sync may rewrite the files that a start, a follow or a rewind would also write.
    /// </summary>
    public bool BetweenOperations { get; init; }

    /// <summary>What happens to the operator's scheduled restart this cycle.</summary>
    public ScheduledRestartStep ScheduledRestart { get; init; }

    /// <summary>Publish this member's record (state, positions, tags) under its lease: etcd answered.</summary>
    public bool PublishMemberRecord { get; init; }

    /// <summary>The main decision may have changed PostgreSQL: observe it again before publishing.</summary>
    public bool ObserveAgainBeforePublishing { get; init; }

    /// <summary>The leader's upkeep (sync set, config, failsafe key, Citus leadership), or giving it up.</summary>
    public LeaderWork Leader { get; init; }

    /// <summary>
    /// The role label this member's pod should carry (<c>primary</c>, <c>replica</c>), which the
    /// formation's Services select; null: neither (no Service sends clients to it).
    /// </summary>
    public string? PodRole { get; init; }

    /// <summary>
    /// What the watchdog is told: before the cycle acts when it arms (a promotion in this cycle is
    /// already covered), and again at the cycle's end and on every lease renewal in between.
    /// </summary>
    public required WatchdogPlan Watchdog { get; init; }

    /// <summary>
    /// For a race for the key: what the watchdog is told at the cycle's end when another member won
    /// (as if this member had not raced), so a replica that lost is not left armed.
    /// </summary>
    public WatchdogPlan? WatchdogIfTheKeyIsNotWon { get; init; }
}

/// <summary>The scheduled restart's fate this cycle.</summary>
public enum ScheduledRestartStep
{
    /// <summary>None scheduled, not due yet, or an operation runs.</summary>
    Wait,

    /// <summary>Due and its filters hold: restart now.</summary>
    Run,

    /// <summary>Due but its filters no longer hold (checked at restart time, as Patroni does): drop it.</summary>
    Cancel,
}

/// <summary>What this member does about leading the group, beside the main decision.</summary>
public enum LeaderWork
{
    /// <summary>Neither: I hold the key but something else happens this cycle (a promotion, a start).</summary>
    None,

    /// <summary>I lead a running primary with nothing else to do: sync set, config, failsafe key, Citus.</summary>
    Upkeep,

    /// <summary>I do not hold the key: forget the leader's state (sync set applied, Citus metadata term).</summary>
    StandDown,
}

/// <summary>The watchdog's instruction: fence PostgreSQL at a deadline unless fed again, or stand down.</summary>
public sealed record WatchdogPlan
{
    private WatchdogPlan(WatchdogStep mode, DateTimeOffset? until, TimeSpan margin)
    {
        Mode = mode;
        Until = until;
        Margin = margin;
    }

    public WatchdogStep Mode { get; }

    /// <summary>For <see cref="WatchdogStep.ArmUntil"/>: when the right to run as primary ends.</summary>
    public DateTimeOffset? Until { get; }

    /// <summary>How long before that end the watchdog fires.</summary>
    public TimeSpan Margin { get; }

    public static WatchdogPlan Disarm { get; } = new(WatchdogStep.Disarm, null, TimeSpan.Zero);

    /// <summary>No deadline known this cycle: the one armed earlier stands.</summary>
    public static WatchdogPlan Keep { get; } = new(WatchdogStep.Keep, null, TimeSpan.Zero);

    /// <summary>Fire <paramref name="margin"/> before the lease ends (read when the deadline is sent: it may have been renewed meanwhile).</summary>
    public static WatchdogPlan ArmUntilLeaseEnds(TimeSpan margin) => new(WatchdogStep.ArmUntilLeaseEnds, null, margin);

    /// <summary>Fire <paramref name="margin"/> before <paramref name="until"/> (failsafe_mode's confirmation).</summary>
    public static WatchdogPlan ArmUntil(DateTimeOffset until, TimeSpan margin) => new(WatchdogStep.ArmUntil, until, margin);

    public override string ToString() => Mode switch
    {
        WatchdogStep.ArmUntil => $"arm until {Until:O} - {Margin.TotalSeconds} s",
        WatchdogStep.ArmUntilLeaseEnds => $"arm until the lease ends - {Margin.TotalSeconds} s",
        _ => Mode.ToString().ToLowerInvariant(),
    };
}

public enum WatchdogStep
{
    Disarm,
    Keep,
    ArmUntilLeaseEnds,
    ArmUntil,
}
