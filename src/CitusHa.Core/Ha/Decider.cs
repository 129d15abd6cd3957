namespace CitusHa.Core.Ha;

/// <summary>
/// Maps one <see cref="GroupView"/> to one <see cref="Decision"/>. Pure: no I/O, no clock, no
/// logging. Rules run in priority order, safety first; each returns with a reason.
/// </summary>
public static class Decider
{
    public static Decision Decide(GroupView view)
    {
        ArgumentNullException.ThrowIfNull(view);

        // 1. Fencing beats everything, even a running operation: a writable primary whose lease is
        //    ending, or that someone else leads, stops taking writes now.
        if (Fencing.Check(view) is { } fence)
        {
            return fence;
        }

        if (view.Operation is { } operation)
        {
            return new NoAction($"{Describe(operation.Kind)} in progress");
        }

        if (view.Dcs is not { } dcs)
        {
            return new NoAction("etcd is not reachable; waiting");
        }

        var me = view.Me.Name;
        var pg = view.Postgres;

        // 2. Bootstrap: an empty data directory.
        if (!pg.HasData)
        {
            return Bootstrap(view, dcs);
        }

        // 3. The data must belong to this group.
        if (dcs.Initialize is { Length: > 0 } sysid && pg.SystemIdentifier is { } mine && mine != sysid)
        {
            return new Halt($"system ID mismatch: my data directory has {mine}, the group was initialised with {sysid}; reinitialise this member");
        }

        if (dcs.Initialize is null && dcs.Leader is null && pg.IsRunningPrimary && pg.SystemIdentifier is { } adopt)
        {
            return new AdoptInitialize(adopt, "the group has no initialize key; adopting my running primary");
        }

        // 4. I lead.
        if (dcs.Leader is { } leader && leader.Name == me)
        {
            return view.HoldsLeaderKey ? AsLeader(view, dcs) : new ReattachLeaderKey("the leader key has my name on an older lease of mine; re-attaching it");
        }

        // 5. Someone else leads.
        if (dcs.Leader is { } other)
        {
            return AsFollower(view, other.Name);
        }

        // 6. Nobody leads: the race.
        return Race(view);
    }

    private static Decision Bootstrap(GroupView view, DcsView dcs)
    {
        if (dcs.Initialize is null)
        {
            return view.Me.MayBecomeLeader
                ? new InitializeCluster("the group was never initialised; racing to bootstrap it")
                : new NoAction("waiting for a member that may lead to bootstrap the group (I am tagged nofailover)");
        }

        if (dcs.Leader is { } leader && dcs.Member(leader.Name) is { ConnUrl: not null, IsRunning: true })
        {
            return new CloneFromMember(leader.Name, $"creating a replica from the leader {leader.Name}");
        }

        return new NoAction(dcs.Initialize.Length == 0 ? "waiting for the leader to bootstrap" : "waiting for a running leader to copy from");
    }

    private static Decision AsLeader(GroupView view, DcsView dcs)
    {
        var pg = view.Postgres;
        switch (pg.RunState)
        {
            case PostgresRunState.Crashed or PostgresRunState.Stopped:
                return pg.CrashedAt is { } crashed && view.Now - crashed > view.Settings.PrimaryStartTimeout
                    ? new HandOver(null, $"PostgreSQL has not come back within primary_start_timeout ({view.Settings.PrimaryStartTimeout.TotalSeconds:0} s); failing over")
                    : new StartAsPrimary("starting PostgreSQL as primary after it stopped; I hold the leader key");
            case PostgresRunState.Starting:
                return new NoAction("I hold the leader key; PostgreSQL is starting");
        }

        if (pg.InRecovery == true)
        {
            return new Promote("promoting: I hold the leader key");
        }

        if (dcs.Paused)
        {
            return new NoAction("PAUSE: I am the leader with the lock");
        }

        return Switchover.FromLeader(view) ?? new NoAction("I am the leader with the lock");
    }

    private static Decision AsFollower(GroupView view, string leader)
    {
        var pg = view.Postgres;
        if (view.Dcs!.Paused)
        {
            return new NoAction($"PAUSE: following {leader}; no automatic action");
        }

        if (pg.RunState == PostgresRunState.Starting)
        {
            return new NoAction($"PostgreSQL is starting; the leader is {leader}");
        }

        if (pg.RunState != PostgresRunState.Running || pg.Upstream != leader)
        {
            return new FollowLeader(leader, pg.RunState == PostgresRunState.Running
                ? $"following the new leader {leader}"
                : $"starting as a replica of {leader}");
        }

        return new NoAction($"a secondary, following the leader {leader}");
    }

    private static Decision Race(GroupView view)
    {
        var (eligible, why) = Eligibility.ForRace(view);
        if (eligible)
        {
            return new AcquireLeaderKey($"the group has no leader and {why}: taking the leader key");
        }

        // A primary that may not lead must not stay writable (it is on an older timeline than the
        // group: someone was promoted after it).
        return view.Postgres.IsRunningPrimary
            ? new DemoteFenced($"demoting: the group has no leader and I may not take it: {why}")
            : new NoAction($"the group has no leader; not racing: {why}");
    }

    private static string Describe(OperationKind kind) => kind switch
    {
        OperationKind.BaseBackup => "creating a replica",
        OperationKind.Bootstrap => "bootstrapping",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
