using System.Diagnostics;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Carries out one <see cref="Decision"/>; chooses nothing. Anything that takes time (initdb, base
/// backup, rewind, hand-over) runs as a tracked background operation so the loop keeps renewing the
/// lease and the next cycles see it. A failure is logged and observed next cycle, never thrown.
/// </summary>
internal sealed class ActionExecutor(AgentContext context, SyncReplication sync, Action wake) : IAsyncDisposable
{
    private readonly object gate = new();
    private DateTimeOffset? rewindWaitSince;

    // Set while PostgreSQL runs read-only with no upstream (started while the group had no leader).
    // Following a leader from there restarts through the rewind check: replay may have gone past the
    // point where the new leader's timeline forked, which a configuration reload would not notice.
    private volatile bool readOnlyWithoutUpstream;
    private (RunningOperation Operation, Task Task, CancellationTokenSource Cancel)? running;

    /// <summary>Tells the coordinator about this worker's primary changes (a no-op outside worker groups).</summary>
    public required Citus.CoordinatorNotifier Notifier { get; init; }

    public required Citus.CitusBootstrap CitusBootstrap { get; init; }

    /// <summary>The coordinator's metadata keeper lets go when this member hands over.</summary>
    public Action StopLeadingCitus { get; init; } = () => { };

    /// <summary>The last race for the leader key was not won (another member took it, or etcd did not answer).</summary>
    public bool KeyNotWon { get; private set; }

    public RunningOperation? Current
    {
        get
        {
            lock (gate)
            {
                return running?.Operation;
            }
        }
    }

    /// <summary>The task of the running operation, to await it (tests); null when none runs.</summary>
    public Task? CurrentTask
    {
        get
        {
            lock (gate)
            {
                return running?.Task;
            }
        }
    }

    public async Task ExecuteAsync(Decision decision, GroupView view, CancellationToken cancellationToken)
    {
        try
        {
            switch (decision)
            {
                case NoAction:
                    return;
                case DemoteFenced:
                    await CancelOperationAsync().ConfigureAwait(false);
                    await context.Postgres.StopAsync(StopMode.Immediate, cancellationToken).ConfigureAwait(false);
                    return;
                case InitializeCluster:
                    await InitializeAsync(view, cancellationToken).ConfigureAwait(false);
                    return;
                case CloneFromMember clone:
                    var source = context.SourceFor(clone.Source, view.Dcs!) ?? throw new InvalidOperationException($"{clone.Source} publishes no conn_url.");
                    _ = Start(OperationKind.BaseBackup, "creating replica", async ct =>
                    {
                        await context.Postgres.BaseBackupAsync(source, ct).ConfigureAwait(false);
                        await context.Postgres.StartAsync(source, ct).ConfigureAwait(false);
                    }, view);
                    return;
                case AcquireLeaderKey:
                    KeyNotWon = true;
                    var won = await context.Store.CreateAsync(context.Key("leader"), context.MyName, context.Lease.Current!.Id, cancellationToken).ConfigureAwait(false);
                    KeyNotWon = !won.Succeeded;
                    if (won.Succeeded)
                    {
                        // The request is done once we lead; clearing it need not delay the promotion
                        // (a request naming the leader is cleared by a later cycle if this fails).
                        await Task.WhenAll(
                            ClearFailoverAsync(view, cancellationToken),
                            view.Postgres.IsRunningReplica ? PromoteAsync(view, cancellationToken) : Task.CompletedTask).ConfigureAwait(false);
                    }

                    return;
                case Promote:
                    await PromoteAsync(view, cancellationToken).ConfigureAwait(false);
                    return;
                case StartAsPrimary:
                    _ = Start(OperationKind.Restart, null, ct => context.Postgres.StartAsync(null, ct), view);
                    return;
                case StartReadOnly:
                    _ = Start(OperationKind.Restart, null, async ct =>
                    {
                        readOnlyWithoutUpstream = true;
                        await context.Postgres.StartReadOnlyAsync(ct).ConfigureAwait(false);
                    }, view);
                    return;
                case FollowLeader follow:
                    await FollowAsync(follow.Leader, view, cancellationToken).ConfigureAwait(false);
                    return;
                case RejoinLeader rejoin:
                    // Through the operation path: stop, pg_rewind against the leader (or a new base backup), start.
                    readOnlyWithoutUpstream = true;
                    await FollowAsync(rejoin.Leader, view, cancellationToken).ConfigureAwait(false);
                    return;
                case HandOver handOver:
                    _ = Start(OperationKind.Demote, null, ct => HandOverAsync(handOver.Candidate, view, ct), view);
                    return;
                case ClearFailoverRequest:
                    await ClearFailoverAsync(view, cancellationToken).ConfigureAwait(false);
                    return;
                case RestartStandby:
                    _ = TryRestart(view);
                    return;
                case ReattachLeaderKey:
                    await context.Store.PutIfValueOrAbsentAsync(context.Key("leader"), context.MyName, context.MyName, context.Lease.Current!.Id, cancellationToken).ConfigureAwait(false);
                    return;
                case AdoptInitialize adopt:
                    await context.Store.PutIfModRevisionAsync(context.Key("initialize"), adopt.SystemIdentifier, 0, 0, cancellationToken).ConfigureAwait(false);
                    return;
                case Halt halt:
                    LoopLog.Halted(context.Logger, context.MyName, halt.Reason);
                    return;
                default:
                    throw new InvalidOperationException($"No executor for {decision.GetType().Name}.");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LoopLog.ActionFailed(context.Logger, context.MyName, decision.GetType().Name, e.Message, e);
        }
    }

    private async Task InitializeAsync(GroupView view, CancellationToken cancellationToken)
    {
        var claimed = await context.Store.CreateAsync(context.Key("initialize"), string.Empty, 0, cancellationToken).ConfigureAwait(false);
        if (!claimed.Succeeded)
        {
            return; // another member won the bootstrap race
        }

        _ = Start(OperationKind.Bootstrap, "initializing new cluster", async ct =>
        {
            try
            {
                await context.Postgres.InitializeAsync(ct).ConfigureAwait(false);
                await context.Postgres.StartAsync(null, ct).ConfigureAwait(false);
                if (context.Postgres is Core.Adapters.Postgres.PostgresInstance instance)
                {
                    await instance.EnsureReplicationRoleAsync(ct).ConfigureAwait(false);
                }

                await CitusBootstrap.RunAsync(ct).ConfigureAwait(false);

                var took = await context.Store.CreateAsync(context.Key("leader"), context.MyName, context.Lease.Current!.Id, ct).ConfigureAwait(false);
                if (!took.Succeeded)
                {
                    throw new InvalidOperationException("The leader key was taken during bootstrap.");
                }

                var observed = await context.Postgres.ObserveAsync(ct).ConfigureAwait(false);
                await context.Store.PutAsync(context.Key("initialize"), observed.SystemIdentifier ?? string.Empty, 0, ct).ConfigureAwait(false);
            }
            catch
            {
                // Patroni's cancel_initialization: give the race back and leave no half-made cluster.
                await context.Postgres.StopAsync(StopMode.Immediate, CancellationToken.None).ConfigureAwait(false);
                await context.Postgres.WipeAsync(CancellationToken.None).ConfigureAwait(false);
                await context.Store.DeleteIfValueAsync(context.Key("initialize"), string.Empty, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }, view);
    }

    /// <summary>A promotion runs inside one cycle: the lease is kept alive meanwhile (see <see cref="LeaseKeeper.WhileRenewingAsync"/>).</summary>
    private Task PromoteAsync(GroupView view, CancellationToken cancellationToken) =>
        context.Lease.WhileRenewingAsync(view.Settings, () => PromoteNowAsync(view, cancellationToken), cancellationToken);

    private async Task PromoteNowAsync(GroupView view, CancellationToken cancellationToken)
    {
        readOnlyWithoutUpstream = false;
        // Every step is timed and logged once: the time from the leader key to writes is the part of a
        // failover the agent controls, and operators (and the benchmark) read it from this line.
        var started = Stopwatch.GetTimestamp();
        long synced = 0, notified = 0;
        // Independent, so at once: the quorum settings must be in place before PostgreSQL accepts a
        // write, and the coordinator's pause should be too; neither needs the other.
        await Task.WhenAll(
            Timed(sync.BeforePromoteAsync(view, cancellationToken), at => synced = at),
            Timed(Notifier.NotifyAsync(Core.Citus.CitusEventType.BeforePromote, cancellationToken), at => notified = at)).ConfigureAwait(false);
        var ready = Stopwatch.GetTimestamp();
        var writable = 0L;
        // Resume the coordinator's traffic the moment we accept writes (not after the checkpoint, not a cycle later).
        await context.Postgres.PromoteAsync(() =>
        {
            writable = Stopwatch.GetTimestamp();
            _ = Notifier.NotifyAsync(Core.Citus.CitusEventType.AfterPromote, CancellationToken.None);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        LoopLog.Promoted(context.Logger, context.MyName, Milliseconds(started, writable), Milliseconds(started, synced), Milliseconds(started, notified), Milliseconds(ready, writable));
    }

    private static async Task Timed(Task step, Action<long> finishedAt)
    {
        await step.ConfigureAwait(false);
        finishedAt(Stopwatch.GetTimestamp());
    }

    private static long Milliseconds(long from, long to) => (long)Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private async Task FollowAsync(string leader, GroupView view, CancellationToken cancellationToken)
    {
        var source = context.SourceFor(leader, view.Dcs!) ?? throw new InvalidOperationException($"The leader {leader} publishes no conn_url yet.");
        var leaderRecord = view.Dcs!.Member(leader);
        var leaderTimeline = leaderRecord?.Timeline;
        var leaderRunsAsPrimary = leaderRecord?.Role is "primary" or "master";
        if (view.Postgres.IsRunningReplica && !readOnlyWithoutUpstream
            && !await DivergedOnSameTimelineAsync(source, view.Postgres.Timeline, leaderTimeline, view.Settings.RetryTimeout, cancellationToken).ConfigureAwait(false))
        {
            await context.Postgres.FollowAsync(source, cancellationToken).ConfigureAwait(false);
            return;
        }

        _ = Start(OperationKind.Rewind, null, async ct =>
        {
            var observed = await context.Postgres.ObserveAsync(ct).ConfigureAwait(false);
            rewindWaitSince ??= view.Now;
            var diverged = await DivergedOnSameTimelineAsync(source, observed.Timeline, leaderTimeline, view.Settings.RetryTimeout, ct).ConfigureAwait(false);
            var step = Rejoin.Choose(observed.ControlState, observed.Timeline, leaderTimeline, readOnlyWithoutUpstream, view.Now - rewindWaitSince, view.Settings.Ttl, diverged, leaderRunsAsPrimary);
            if (step == RejoinStep.WaitForLeaderTimeline)
            {
                // Wait a loop_wait (not a spin: finishing wakes the loop). PostgreSQL keeps running
                // meanwhile (read-only): stopping it first would leave it down, and in pause nothing
                // would start it again.
                LoopLog.Decision(context.Logger, context.MyName, "waiting for the leader to publish its new timeline before the rewind check");
                await Task.Delay(view.Settings.LoopWait, ct).ConfigureAwait(false);
                return;
            }

            if (observed.PostmasterAlive)
            {
                await context.Postgres.StopAsync(StopMode.Fast, ct).ConfigureAwait(false);
                observed = await context.Postgres.ObserveAsync(ct).ConfigureAwait(false);

                // Stopped, pg_control holds the checkpoint's timeline, which may be older than the one received.
                diverged = diverged || await DivergedOnSameTimelineAsync(source, observed.Timeline, leaderTimeline, view.Settings.RetryTimeout, ct).ConfigureAwait(false);
                step = Rejoin.Choose(observed.ControlState, observed.Timeline, leaderTimeline, readOnlyWithoutUpstream, view.Settings.Ttl, view.Settings.Ttl, diverged, leaderRunsAsPrimary);
            }

            rewindWaitSince = null;
            readOnlyWithoutUpstream = false;
            var (rewound, detail) = step switch
            {
                RejoinStep.Rewind => await context.Postgres.RewindAsync(source, ct).ConfigureAwait(false),
                RejoinStep.BaseBackup => (false, $"this member's timeline {observed.Timeline} split from the leader's timeline {leaderTimeline} of the same number (two promotions from one timeline), which pg_rewind cannot see"),
                _ => (true, string.Empty),
            };
            if (!rewound)
            {
                if (!await context.Postgres.AnswersAsPrimaryAsync(source, ct).ConfigureAwait(false))
                {
                    // pg_rewind may have failed only because the leader is gone (frozen, fenced, down):
                    // a copy from it would fail after the wipe and leave this member with nothing, unable
                    // even to vote in the next race. Keep the data; the next cycle decides again.
                    throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed,
                        $"{detail}; the leader at {source.Host}:{source.Port} does not answer as a primary, so this data directory is kept and the rejoin tried again later", source.Host);
                }

                LoopLog.ActionFailed(context.Logger, context.MyName, step == RejoinStep.Rewind ? "pg_rewind" : "rejoin", detail + "; taking a fresh base backup instead", new InvalidOperationException(detail));
                context.Status.OperationState = "creating replica";
                await context.Postgres.WipeAsync(ct).ConfigureAwait(false);
                var copy = Stopwatch.StartNew();
                LoopLog.Decision(context.Logger, context.MyName, $"data directory wiped; copying it anew from {source.Host}:{source.Port} (pg_basebackup)");
                await context.Postgres.BaseBackupAsync(source, ct).ConfigureAwait(false);
                LoopLog.Decision(context.Logger, context.MyName, $"copy from {source.Host}:{source.Port} finished in {copy.Elapsed.TotalSeconds:0.0} s");
            }

            await context.Postgres.StartAsync(source, ct).ConfigureAwait(false);
        }, view);
    }

    /// <summary>
    /// Reads both histories of the shared timeline number (only when the numbers are equal and above 1)
    /// and applies <see cref="Rejoin.DivergedOnSameTimeline"/>. A leader that cannot be asked decides
    /// nothing: the rejoin goes on as before, and the next attempt asks again.
    /// </summary>
    private async Task<bool> DivergedOnSameTimelineAsync(ReplicationSource source, int? myTimeline, int? leaderTimeline, TimeSpan retryTimeout, CancellationToken cancellationToken)
    {
        if (myTimeline is not { } timeline || timeline <= 1 || timeline != leaderTimeline)
        {
            return false;
        }

        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(retryTimeout);
            var mine = await context.Postgres.TimelineHistoryAsync(null, timeline, bounded.Token).ConfigureAwait(false);
            var leaders = await context.Postgres.TimelineHistoryAsync(source, timeline, bounded.Token).ConfigureAwait(false);
            var diverged = Rejoin.DivergedOnSameTimeline(myTimeline, leaderTimeline, mine, leaders);
            if (diverged)
            {
                LoopLog.Decision(context.Logger, context.MyName, $"timeline {timeline} here and on the leader have different histories: this member must be copied anew");
            }

            return diverged;
        }
        catch (Exception e) when (e is CitusHaException or IOException or UnauthorizedAccessException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LoopLog.ActionFailed(context.Logger, context.MyName, "timeline history check", e.Message, e);
            return false;
        }
    }

    /// <summary>
    /// Graceful switchover from the leader: checkpoint (so the stop is short), fast stop (WAL senders
    /// ship everything up to the shutdown checkpoint), publish that position, release the key.
    /// </summary>
    private async Task HandOverAsync(string? candidate, GroupView view, CancellationToken cancellationToken)
    {
        if (candidate is null && view.Dcs?.Failover is null)
        {
            // A hand-over without a request (primary_start_timeout): record who leaves so the race skips us.
            await StopAndReleaseAsync(cancellationToken, () => context.Store.PutAsync(context.Key("failover"), $"{{\"leader\":\"{context.MyName}\"}}", 0, cancellationToken)).ConfigureAwait(false);
            return;
        }

        await StopAndReleaseAsync(cancellationToken).ConfigureAwait(false);
        if (view.Dcs?.Paused == true)
        {
            // In pause nothing restarts a stopped PostgreSQL by itself: as Patroni's demote does, start
            // it again at once, read-only, so it can follow the new leader (through the rewind check).
            readOnlyWithoutUpstream = true;
            await context.Postgres.StartReadOnlyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The graceful part of every hand-over (switchover, primary_start_timeout, SIGTERM): checkpoint so
    /// the stop is short, fast stop (WAL senders ship everything up to the shutdown checkpoint),
    /// publish that position, then release the leader key. <paramref name="beforeRelease"/> runs just
    /// before the key is released.
    /// </summary>
    public async Task StopAndReleaseAsync(CancellationToken cancellationToken, Func<Task>? beforeRelease = null)
    {
        // Checkpoint first, so the pause announced next (Citus) and the stop after it are short. A
        // PostgreSQL that is down or still starting (primary_start_timeout) has nothing to checkpoint
        // or ship: it is stopped at once and the key released all the same.
        var before = await context.Postgres.ObserveAsync(cancellationToken).ConfigureAwait(false);
        if (before.AcceptingConnections)
        {
            await context.Postgres.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }

        await Notifier.NotifyAsync(Core.Citus.CitusEventType.BeforeDemote, cancellationToken).ConfigureAwait(false);
        StopLeadingCitus();
        await context.Postgres.StopAsync(before.AcceptingConnections ? StopMode.Fast : StopMode.Immediate, cancellationToken).ConfigureAwait(false);
        var stopped = await context.Postgres.ObserveAsync(cancellationToken).ConfigureAwait(false);
        if (stopped.Lsn is { } checkpoint)
        {
            await context.Store.PutAsync(context.Key("status"), $"{{\"optime\":{checkpoint}}}", 0, cancellationToken).ConfigureAwait(false);
        }

        if (beforeRelease is not null)
        {
            await beforeRelease().ConfigureAwait(false);
        }

        await context.Store.DeleteIfValueAsync(context.Key("leader"), context.MyName, cancellationToken).ConfigureAwait(false);
    }

    private async Task ClearFailoverAsync(GroupView view, CancellationToken cancellationToken)
    {
        if (view.Dcs?.Failover is { } request)
        {
            await context.Store.DeleteIfModRevisionAsync(context.Key("failover"), request.ModRevision, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Restart on the operator's request: fast stop, then start in the same role (as primary when we
    /// hold the leader key, else as a replica of the leader). Null when another operation is running.
    /// </summary>
    public Task? TryRestart(GroupView view)
    {
        var leader = view.Dcs?.Leader?.Name;
        var source = leader is not null && leader != context.MyName ? context.SourceFor(leader, view.Dcs!) : null;
        return Start(OperationKind.Restart, "restarting", async ct =>
        {
            if (view.HoldsLeaderKey)
            {
                await Notifier.NotifyAsync(Core.Citus.CitusEventType.BeforeDemote, ct).ConfigureAwait(false);
            }

            await context.Postgres.StopAsync(StopMode.Fast, ct).ConfigureAwait(false);
            await context.Postgres.StartAsync(view.HoldsLeaderKey ? null : source, ct).ConfigureAwait(false);
            if (view.HoldsLeaderKey)
            {
                _ = Notifier.NotifyAsync(Core.Citus.CitusEventType.AfterPromote, CancellationToken.None);
            }
        }, view);
    }

    /// <summary>Reinitialize a replica from the leader: stop, wipe, base backup, start. Null when another operation runs.</summary>
    public Task? TryReinitialize(GroupView view, string leader)
    {
        var source = context.SourceFor(leader, view.Dcs!) ?? throw new InvalidOperationException($"The leader {leader} publishes no conn_url.");
        return Start(OperationKind.Reinitialize, "creating replica", async ct =>
        {
            if (!await context.Postgres.AnswersAsPrimaryAsync(source, ct).ConfigureAwait(false))
            {
                throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed,
                    $"The leader {leader} does not answer as a primary at {source.Host}:{source.Port}: nothing was wiped. Reinitialize once it runs.", leader);
            }

            await context.Postgres.StopAsync(StopMode.Immediate, ct).ConfigureAwait(false);
            await context.Postgres.WipeAsync(ct).ConfigureAwait(false);
            await context.Postgres.BaseBackupAsync(source, ct).ConfigureAwait(false);
            await context.Postgres.StartAsync(source, ct).ConfigureAwait(false);
        }, view);
    }

    private Task? Start(OperationKind kind, string? state, Func<CancellationToken, Task> work, GroupView view)
    {
        lock (gate)
        {
            if (running is not null)
            {
                return null;
            }

            var cancel = new CancellationTokenSource();
            var operation = new RunningOperation(kind, view.Now);
            context.Status.OperationState = state;
            LoopLog.OperationStarted(context.Logger, context.MyName, kind.ToString());
            var task = Task.Run(async () =>
            {
                try
                {
                    await work(cancel.Token).ConfigureAwait(false);
                    LoopLog.OperationFinished(context.Logger, context.MyName, kind.ToString());
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                {
                    LoopLog.ActionFailed(context.Logger, context.MyName, kind.ToString(), e.Message, e);
                    throw;
                }
                finally
                {
                    lock (gate)
                    {
                        running = null;
                    }

                    context.Status.OperationState = null;
                    cancel.Dispose();
                    wake();
                }
            });
            running = (operation, task, cancel);
            return task;
        }
    }

    private async Task CancelOperationAsync()
    {
        (RunningOperation, Task Task, CancellationTokenSource Cancel)? current;
        lock (gate)
        {
            current = running;
        }

        if (current is { } op)
        {
            try
            {
                await op.Cancel.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // It just finished.
            }

            try
            {
                await op.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Already logged by the operation itself; cancelling is what we wanted.
            }
        }
    }

    public async ValueTask DisposeAsync() => await CancelOperationAsync().ConfigureAwait(false);
}
