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
            return view.FailsafeActive && view.Postgres.IsRunningPrimary
                ? new NoAction("continue to run as a leader because failsafe mode is enabled and all members are accessible")
                : new NoAction("etcd is not reachable; waiting");
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
                    ? StartTimedOut(view, $"PostgreSQL has not come back within primary_start_timeout ({view.Settings.PrimaryStartTimeout.TotalSeconds:0} s)")
                    : new StartAsPrimary("starting PostgreSQL as primary after it stopped; I hold the leader key");
            case PostgresRunState.Starting:
                return pg.StartingSince is { } since && view.Now - since > view.Settings.PrimaryStartTimeout
                    ? StartTimedOut(view, $"PostgreSQL has been starting for longer than primary_start_timeout ({view.Settings.PrimaryStartTimeout.TotalSeconds:0} s)")
                    : new NoAction("I hold the leader key; PostgreSQL is starting");
        }

        if (pg.InRecovery == true)
        {
            return new Promote("promoting: I hold the leader key");
        }

        if (dcs.Paused)
        {
            // Patroni's manual failover in pause: a switchover to a named candidate still runs (the
            // request rules refuse the rest); nothing else is automatic.
            return Switchover.FromLeader(view) ?? new NoAction("PAUSE: I am the leader with the lock");
        }

        return Switchover.FromLeader(view) ?? new NoAction("I am the leader with the lock");
    }

    /// <summary>
    /// Patroni's primary_start_timeout: hand the key over only when a member could take it (another
    /// member's key says it runs as a standby and is not tagged nofailover); otherwise keep the key
    /// and keep trying (Patroni's is_failover_possible).
    /// </summary>
    private static Decision StartTimedOut(GroupView view, string why)
    {
        var possible = view.Dcs!.Members.Any(m => m.Name != view.Me.Name && m.IsRunning && m.Role is not ("primary" or "master") && !m.NoFailover);
        return possible
            ? new HandOver(null, $"{why}; failing over")
            : new NoAction($"{why}, but no member can take over; keeping the leader key and waiting");
    }

    private static Decision AsFollower(GroupView view, string leader)
    {
        var pg = view.Postgres;
        if (view.Dcs!.Paused)
        {
            // In pause a running standby still points itself at the leader (after a switchover in
            // pause, Patroni's follow does the same); a stopped one is left as it is.
            return pg.IsRunningReplica && pg.Upstream != leader
                ? new FollowLeader(leader, $"PAUSE: following the new leader {leader}")
                : new NoAction($"PAUSE: following {leader}; no automatic action");
        }

        if (pg.RunState == PostgresRunState.Starting)
        {
            return new NoAction($"PostgreSQL is starting; the leader is {leader}");
        }

        if (pg.IsRunningReplica && pg.BehindLeaderTimelineSince is { } behind && view.Now - behind > view.Settings.Ttl)
        {
            return new RejoinLeader(leader, $"still on timeline {pg.Timeline} while the leader {leader} is on a newer one: my WAL diverged; rewinding");
        }

        if (pg.IsRunningReplica && pg.HotStandbyShortfall.Count > 0)
        {
            return new RestartStandby($"restarting: replay paused because the primary's settings are higher ({string.Join(", ", pg.HotStandbyShortfall)})");
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
        if (view.FailsafeLeader is { } failsafeLeader && failsafeLeader != view.Me.Name && view.Settings.FailsafeMode)
        {
            // Patroni injects that primary as the leader: it ran through the etcd outage with every
            // member's consent and takes the key back as soon as it reaches etcd.
            return new NoAction($"failsafe: {failsafeLeader} ran as primary while etcd was unreachable; leaving the leader key to it");
        }

        if (view.Postgres.RunState is PostgresRunState.Stopped or PostgresRunState.Crashed)
        {
            // Patroni's recover: nobody leads and my PostgreSQL is down (the whole group was stopped,
            // or this is a one-member group whose agent restarted). Start it read-only first; the
            // race then compares WAL positions, so the most advanced member takes the key.
            var dcs = view.Dcs!;
            if (dcs.Paused)
            {
                return new NoAction("PAUSE: the group has no leader and PostgreSQL is not running; no automatic action");
            }

            // The member a switchover (or primary_start_timeout) is moving away from stays down until
            // the new leader shows, then follows it through the rewind check, as before.
            return dcs.Failover is { IsEmpty: false } request && request.Leader == view.Me.Name
                ? new NoAction("I handed the leader role over; waiting for the new leader")
                : new StartReadOnly("the group has no leader and PostgreSQL is not running: starting it read-only to join the race");
        }

        if (view.Postgres.IsRunningReplica && view.Postgres.HotStandbyShortfall.Count > 0)
        {
            // It could not be promoted: PostgreSQL refuses to promote below the primary's settings.
            return new RestartStandby($"restarting before the race: replay paused because the primary's settings are higher ({string.Join(", ", view.Postgres.HotStandbyShortfall)})");
        }

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
