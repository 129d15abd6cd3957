namespace CitusHa.Core.Ha;

/// <summary>
/// Maps one <see cref="GroupView"/> to the whole <see cref="CyclePlan"/>: the main decision
/// (<see cref="Decider"/>) and every upkeep intent that depends on it. Pure, like the decider: the
/// loop that carries the plan out decides nothing itself.
/// </summary>
public static class CyclePlanner
{
    public static CyclePlan Plan(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var decision = Decider.Decide(view);

        // Nothing runs and this cycle starts nothing: the only window in which a reload, the
        // parameter sync or a scheduled restart may touch PostgreSQL's files and processes.
        var quiet = decision is NoAction && view.Operation is null;
        return new CyclePlan
        {
            Decision = decision,
            BetweenOperations = quiet,
            ScheduledRestart = quiet ? ScheduledRestartStepFor(view) : ScheduledRestartStep.Wait,
            PublishMemberRecord = view.Dcs is not null,
            ObserveAgainBeforePublishing = decision is not NoAction,
            Leader = LeaderWorkFor(view, decision),
            Watchdog = WatchdogFor(view, decision),
            WatchdogIfTheKeyIsNotWon = decision is AcquireLeaderKey ? WatchdogFor(view, null) : null,
            PodRole = PodRoleFor(view, decision),
        };
    }

    /// <summary>
    /// primary only for the key holder whose PostgreSQL runs as a primary and stays so this cycle;
    /// replica for a running standby that follows (not one racing or being promoted); otherwise no
    /// role, so neither Service routes clients to a member in between.
    /// </summary>
    private static string? PodRoleFor(GroupView view, Decision decision)
    {
        if (view.HoldsLeaderKey && view.Postgres.IsRunningPrimary && decision is NoAction)
        {
            return "primary";
        }

        return view.Dcs?.Leader is { } leader && leader.Name != view.Me.Name && view.Postgres.IsRunningReplica && decision is NoAction ? "replica" : null;
    }

    private static ScheduledRestartStep ScheduledRestartStepFor(GroupView view)
    {
        if (view.ScheduledRestart is not { Schedule: { } at } request || view.WallNow < at)
        {
            return ScheduledRestartStep.Wait;
        }

        return request.Matches(view) ? ScheduledRestartStep.Run : ScheduledRestartStep.Cancel;
    }

    private static LeaderWork LeaderWorkFor(GroupView view, Decision decision)
    {
        if (view.Dcs is null)
        {
            // etcd did not answer: nothing is known about the key; the lease and fencing decide.
            return LeaderWork.None;
        }

        if (!view.HoldsLeaderKey)
        {
            return LeaderWork.StandDown;
        }

        return decision is NoAction && view.Postgres.IsRunningPrimary ? LeaderWork.Upkeep : LeaderWork.None;
    }

    /// <summary>
    /// While PostgreSQL may be a primary, the watchdog fences it shortly before the right to run as one
    /// ends, unless a later cycle feeds it again. Not armed in maintenance mode (as Patroni).
    /// "May be a primary" includes what this cycle or a running operation may make it: a member that
    /// holds the key (its PostgreSQL may be starting as a primary) or takes it now (the promotion
    /// follows in this very cycle); the loop arms such a plan before it acts, so no instant exists in
    /// which a primary runs and the watchdog does not know. The deadline moves only while that right
    /// is confirmed: a primary that lost the key keeps the deadline armed while it still had it.
    /// </summary>
    private static WatchdogPlan WatchdogFor(GroupView view, Decision? decision)
    {
        // A bootstrap runs initdb, then starts a primary, before this member takes the key.
        var keyIsMine = view.HoldsLeaderKey || view.Operation is { Kind: OperationKind.Bootstrap }
            || decision is AcquireLeaderKey or ReattachLeaderKey or InitializeCluster;
        if (view.Dcs is { Paused: true } || !(view.Postgres.MayBePrimary || keyIsMine))
        {
            return WatchdogPlan.Disarm;
        }

        var margin = TimeSpan.FromTicks(Math.Min(view.WatchdogSafetyMargin.Ticks, view.Settings.Ttl.Ticks / 2));
        if (view.FailsafeActive)
        {
            // failsafe_mode carries a primary past its lease while every member accepts it.
            return WatchdogPlan.ArmUntil(view.FailsafeUntil!.Value, margin);
        }

        // etcd did not answer: the lease could not be renewed, so its end is still the key's end.
        var rightConfirmed = keyIsMine || view.Dcs is null;
        return view.Lease is null || !rightConfirmed ? WatchdogPlan.Keep : WatchdogPlan.ArmUntilLeaseEnds(margin);
    }
}
