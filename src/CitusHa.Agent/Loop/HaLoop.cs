using System.Threading.Channels;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;
using CitusHa.Agent.Citus;
using CitusHa.Agent.Watchdog;

namespace CitusHa.Agent.Loop;

/// <summary>
/// The agent's one loop: observe → decide → act, woken by etcd watch events on the group, the
/// postmaster's exit, REST actions, finished operations, and a loop_wait timer as backup. One reader,
/// so cycles never overlap.
/// </summary>
internal sealed class HaLoop : BackgroundService
{
    private readonly Channel<string> wakeups = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly AgentContext context;
    private readonly GroupObserver observer;
    private readonly MemberRecordWriter member;
    private readonly LeaderUpkeep upkeep;
    private readonly ActionExecutor executor;
    private readonly ParameterSync parameters;
    private readonly TimeProvider time;
    private string? lastReason;
    private HaSettings current;
    private RestartRequest? scheduledRestart;
    private ReloadRequest? reloadRequest;

    private readonly ProcessWatchdog watchdog;

    /// <summary>This cycle's watchdog instruction and the postmaster it names, re-sent on lease renewals during a promotion.</summary>
    private (WatchdogPlan Plan, int? Postmaster) watchdogIntent = (WatchdogPlan.Keep, null);
    private readonly CoordinatorNotifier notifier;
    private readonly CitusBootstrap citusBootstrap;
    private bool announcedPrimary;

    /// <summary>The role label on this member's pod (rendered formations on Kubernetes); null elsewhere.</summary>
    public Kubernetes.PodRoleLabel? PodLabel { get; init; }

    /// <summary>The coordinator leader's pg_dist_node keeper; null on workers and plain groups.</summary>
    public MetadataManager? Metadata { get; }

    public HaLoop(AgentContext context, PeerClient peers, ProcessWatchdog watchdog, TimeProvider time)
    {
        this.context = context;
        this.watchdog = watchdog;
        this.time = time;
        current = context.Settings.Ha;
        observer = new GroupObserver(context.Settings, context.Store, context.Lease, context.Postgres, peers, context.Status, time);
        member = new MemberRecordWriter(context.Settings, context.Store);
        var sync = new SyncReplication(context);
        upkeep = new LeaderUpkeep(context, sync);
        notifier = new CoordinatorNotifier(context);
        citusBootstrap = new CitusBootstrap(context.Citus, context.Settings, context.PostgresOptions);
        if (context.Settings.Citus is { } citus && context.Settings.IsCoordinator)
        {
            Metadata = new MetadataManager(context, new Core.Adapters.Postgres.CitusCatalog(context.PostgresOptions, citus.Database), time);
            var metadata = Metadata;
            context.Status.CitusCatalogPresent = () => metadata.Leading ? metadata.CatalogPresent : null;
        }

        executor = new ActionExecutor(context, sync, () => Wake("operation finished"))
        {
            Notifier = notifier,
            CitusBootstrap = citusBootstrap,
            StopLeadingCitus = () => Metadata?.StopLeading(),
        };
        parameters = new ParameterSync(context);
        context.Lease.RenewedDuringWork = () => watchdogIntent.Plan.Mode == WatchdogStep.ArmUntilLeaseEnds ? FeedWatchdogAsync() : Task.CompletedTask;
    }

    /// <summary>Whether an operator restart with these filters would run on this member now.</summary>
    public bool RestartMatches(RestartRequest request) =>
        context.Status.Last is { } last && request.Matches(last.View with { PendingRestart = parameters.PendingRestart.Count > 0 });

    /// <summary>Operator restart (REST); null when the agent is busy with another operation or has not observed yet.</summary>
    public Task? RequestRestart() => context.Status.Last is { } last ? executor.TryRestart(last.View) : null;

    /// <summary>Keeps <paramref name="request"/> until its time; false when another restart is already scheduled.</summary>
    public bool ScheduleRestart(RestartRequest request)
    {
        if (Interlocked.CompareExchange(ref scheduledRestart, request, null) is not null)
        {
            return false;
        }

        Wake("restart scheduled");
        return true;
    }

    /// <summary>Forgets the scheduled restart; false when there was none.</summary>
    public bool CancelScheduledRestart()
    {
        var removed = Interlocked.Exchange(ref scheduledRestart, null) is not null;
        Wake("scheduled restart deleted");
        return removed;
    }

    /// <summary>Operator reinitialize of this replica from <paramref name="leader"/>.</summary>
    public Task? RequestReinitialize(string leader) => context.Status.Last is { } last ? executor.TryReinitialize(last.View, leader) : null;

    /// <summary>
    /// Re-reads the configuration (POST /reload, SIGHUP). A broken file changes nothing and throws a
    /// CitusHaException naming the bad key. Local PostgreSQL parameters are applied at the next cycle
    /// with no operation running; other changes are reported as needing an agent restart.
    /// </summary>
    public async Task<ReloadOutcome> ReloadAsync(CancellationToken cancellationToken)
    {
        var fresh = context.LoadSettings();
        var needAgentRestart = ReloadOutcome.ChangesNeedingRestart(context.Settings, fresh);
        var done = new TaskCompletionSource<ReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new ReloadRequest(context.Citus.Parameters(fresh), needAgentRestart, done);
        // A newer reload supersedes one still waiting for its cycle: both callers get the newer outcome.
        if (Interlocked.Exchange(ref reloadRequest, request) is { } superseded)
        {
            _ = done.Task.ContinueWith(t => superseded.Done.TrySetFromTask(t), TaskScheduler.Default);
        }

        Wake("configuration reload");
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    private sealed record ReloadRequest(IReadOnlyDictionary<string, string> Parameters, IReadOnlyList<string> NeedAgentRestart, TaskCompletionSource<ReloadOutcome> Done);

    private async Task RunReloadAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref reloadRequest, null) is not { } request)
        {
            return;
        }

        try
        {
            var pending = await context.Postgres.ReloadLocalParametersAsync(request.Parameters, cancellationToken).ConfigureAwait(false);
            foreach (var key in request.NeedAgentRestart)
            {
                LoopLog.Decision(context.Logger, context.MyName, $"configuration reload: '{key}' changed; restart the agent to apply it");
            }

            request.Done.TrySetResult(new ReloadOutcome(pending, request.NeedAgentRestart));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            request.Done.TrySetException(e);
        }
    }

    /// <summary>Runs a cycle soon (REST actions, events). Coalesces: at most one pending wake-up.</summary>
    public void Wake(string reason) => wakeups.Writer.TryWrite(reason);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (context.Citus.Enabled)
        {
            CitusLog.Mode(context.Logger, context.MyName, context.Settings.Group, context.Citus.Explanation);
        }

        if (context.Settings.UnsupportedKeys.Count > 0)
        {
            LoopLog.UnsupportedSettings(context.Logger, context.MyName, string.Join(", ", context.Settings.UnsupportedKeys));
        }

        using var watching = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watch = WatchGroupAsync(watching.Token);
        var postmaster = WatchPostmasterAsync(watching.Token);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunCycleAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // A failed cycle is an observation for the next one, never the end of the agent.
                    LoopLog.UpkeepFailed(context.Logger, context.MyName, "cycle failed: " + e.Message, e);
                }

                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timer.CancelAfter(current.LoopWait);
                try
                {
                    await wakeups.Reader.ReadAsync(timer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // loop_wait passed without an event: the backup timer.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watch, postmaster).ConfigureAwait(false);
        }
    }

    /// <summary>One cycle, for the whole-cycle unit tests (the service runs them from <see cref="ExecuteAsync"/>).</summary>
    internal Task RunOneCycleAsync(CancellationToken cancellationToken) => RunCycleAsync(cancellationToken);

    /// <summary>The long operation (bootstrap, promote, rewind, …) still running, if any.</summary>
    internal Task? RunningOperation => executor.CurrentTask;

    private async Task RunCycleAsync(CancellationToken cancellationToken)
    {
        var (observed, pg) = await observer.ObserveAsync(current, executor.Current, cancellationToken).ConfigureAwait(false);
        var view = observed with
        {
            ScheduledRestart = scheduledRestart,
            PendingRestart = parameters.PendingRestart.Count > 0,
            WatchdogSafetyMargin = context.Settings.WatchdogSafetyMargin,
        };
        current = view.Settings;
        if (context.Store is BoundedDcsStore bounded)
        {
            bounded.Limit = current.RetryTimeout;
        }

        var plan = CyclePlanner.Plan(view);
        var decision = plan.Decision;
        if (decision.Reason != lastReason)
        {
            LoopLog.Decision(context.Logger, context.MyName, decision.Reason);
            lastReason = decision.Reason;
        }

        watchdogIntent = (plan.Watchdog, pg.PostmasterPid);
        if (plan.Watchdog.Mode is WatchdogStep.ArmUntilLeaseEnds or WatchdogStep.ArmUntil)
        {
            // Before acting: a promotion in this cycle makes a primary the watchdog must already guard.
            await FeedWatchdogAsync().ConfigureAwait(false);
        }

        await executor.ExecuteAsync(decision, view, cancellationToken).ConfigureAwait(false);
        if (plan.WatchdogIfTheKeyIsNotWon is { } lost && executor.KeyNotWon)
        {
            watchdogIntent = (lost, pg.PostmasterPid);
        }

        if (plan.BetweenOperations)
        {
            // A reload rewrites the same files a start or a follow writes.
            await RunReloadAsync(cancellationToken).ConfigureAwait(false);
            RunScheduledRestart(plan.ScheduledRestart, view);
        }

        if (plan.PublishMemberRecord && context.Lease.Current is { } lease)
        {
            try
            {
                var after = plan.ObserveAgainBeforePublishing ? await context.Postgres.ObserveAsync(cancellationToken).ConfigureAwait(false) : pg;
                if (plan.BetweenOperations)
                {
                    await parameters.SyncAsync(view, after, cancellationToken).ConfigureAwait(false);
                }

                var record = member.Build(view, after, context.Status.OperationState, parameters.PendingRestart, scheduledRestart?.ToRecord(after.PostmasterStartTime));
                await member.PublishAsync(record, lease.Id, cancellationToken).ConfigureAwait(false);
                switch (plan.Leader)
                {
                    case LeaderWork.Upkeep:
                        await upkeep.RunAsync(view, pg, cancellationToken).ConfigureAwait(false);
                        await LeadCitusAsync(view, cancellationToken).ConfigureAwait(false);
                        break;
                    case LeaderWork.StandDown:
                        upkeep.Reset();
                        StopLeadingCitus();
                        break;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                member.Invalidate();
                LoopLog.UpkeepFailed(context.Logger, context.MyName, e.Message, e);
            }
        }

        await FeedWatchdogAsync().ConfigureAwait(false);
        if (PodLabel is not null)
        {
            // After the watchdog: a slow API server must not delay the deadline.
            await PodLabel.KeepAsync(plan.PodRole, cancellationToken).ConfigureAwait(false);
        }

        context.Status.Publish(new CycleSnapshot(view, pg, decision, time.GetUtcNow(), MemberRecordWriter.StateOf(pg, context.Status.OperationState))
        {
            PendingRestart = parameters.PendingRestart,
            ScheduledRestart = scheduledRestart,
        });
    }

    /// <summary>
    /// Citus upkeep of a leading, running primary: on the coordinator, pg_dist_node is kept while the
    /// lease holds; on a worker, the coordinator hears once that this primary runs (after a start,
    /// restart or bootstrap; a promotion announces itself at once); everywhere, the superuser's
    /// password in pg_dist_authinfo is checked once per term.
    /// </summary>
    private async Task LeadCitusAsync(GroupView view, CancellationToken cancellationToken)
    {
        if (!context.Citus.Enabled)
        {
            return;
        }

        if (Metadata is not null && view.Lease is { } lease)
        {
            Metadata.Lead(lease.ExpiresAt);
        }

        if (notifier.Enabled && !announcedPrimary)
        {
            announcedPrimary = true;
            _ = notifier.NotifyAsync(Core.Citus.CitusEventType.AfterPromote, CancellationToken.None);
        }

        try
        {
            await citusBootstrap.KeepAuthInfoAsync(context.Settings.Postgres.SuperuserPassword, cancellationToken).ConfigureAwait(false);
        }
        catch (CitusHaException e)
        {
            LoopLog.UpkeepFailed(context.Logger, context.MyName, "pg_dist_authinfo: " + e.Message, e);
        }
    }

    private void StopLeadingCitus()
    {
        Metadata?.StopLeading();
        announcedPrimary = false;
        citusBootstrap.RecheckAuthInfo();
    }

    /// <summary>
    /// Carries out this cycle's watchdog instruction. The time left is taken now, when the deadline is
    /// sent, not at the cycle's start: the cycle's etcd writes and upkeep have used part of it, and the
    /// lease may have been renewed meanwhile. The postmaster's PID is a hint: the watchdog also fences
    /// whatever postmaster runs in the data directory (one started or promoted since the observation).
    /// </summary>
    private async Task FeedWatchdogAsync()
    {
        var (plan, postmaster) = watchdogIntent;
        var until = plan.Mode switch
        {
            WatchdogStep.ArmUntil => plan.Until,
            WatchdogStep.ArmUntilLeaseEnds => context.Lease.Current?.ExpiresAt,
            _ => null,
        };
        if (plan.Mode == WatchdogStep.Disarm)
        {
            await watchdog.DisarmAsync().ConfigureAwait(false);
        }
        else if (until is { } deadline)
        {
            await watchdog.ArmAsync(deadline - time.GetUtcNow() - plan.Margin, postmaster).ConfigureAwait(false);
        }

        // Keep (no lease known this cycle): the deadline armed earlier stands.
    }

    /// <summary>Carries out the plan's step for the scheduled restart: run it (when nothing else runs) or drop it.</summary>
    private void RunScheduledRestart(ScheduledRestartStep step, GroupView view)
    {
        if (step == ScheduledRestartStep.Wait || view.ScheduledRestart is not { } request)
        {
            return;
        }

        Interlocked.CompareExchange(ref scheduledRestart, null, request);
        if (step == ScheduledRestartStep.Cancel)
        {
            LoopLog.Decision(context.Logger, context.MyName, "scheduled restart cancelled: restart conditions are not satisfied");
            return;
        }

        LoopLog.Decision(context.Logger, context.MyName, "running the scheduled restart");
        _ = executor.TryRestart(view);
    }

    /// <summary>Wakes the loop on any change in the group's keys (leader deleted, failover written, config changed).</summary>
    private async Task WatchGroupAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var change in context.Store.WatchPrefixAsync(observer.GroupPrefix, observer.Revision, cancellationToken).ConfigureAwait(false))
                {
                    if (!change.Key.EndsWith($"/members/{context.MyName}", StringComparison.Ordinal))
                    {
                        Wake(change.Key);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is CitusHaException or IOException or InvalidOperationException)
            {
                LoopLog.WatchRestarted(context.Logger, context.MyName, observer.GroupPrefix, e.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>React to PostgreSQL stopping the moment it happens, not a loop later.</summary>
    private async Task WatchPostmasterAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await context.Postgres.PostmasterExited.WaitAsync(cancellationToken).ConfigureAwait(false);
                Wake("postmaster exited");
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        LoopLog.Shutdown(context.Logger, context.MyName, "stopping the HA loop");
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await executor.DisposeAsync().ConfigureAwait(false);
        await ShutdownAsync(cancellationToken).ConfigureAwait(false);
        if (Metadata is not null)
        {
            await Metadata.DisposeAsync().ConfigureAwait(false);
        }

        notifier.Dispose();
        PodLabel?.Dispose();
    }

    /// <summary>
    /// SIGTERM: if we lead, hand over gracefully (checkpoint, fast stop, release the key) so a standby
    /// takes over at once; then stop PostgreSQL and give the lease back.
    /// </summary>
    private async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = context.Status.Last;
            if (snapshot is { View.HoldsLeaderKey: true } && snapshot.View.Dcs is { Paused: false } dcs && dcs.Members.Count > 1)
            {
                await executor.StopAndReleaseAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (snapshot?.View.Dcs is not { Paused: true })
            {
                await context.Postgres.StopAsync(StopMode.Fast, cancellationToken).ConfigureAwait(false);
            }

            await context.Lease.RevokeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CitusHaException or OperationCanceledException or InvalidOperationException)
        {
            LoopLog.UpkeepFailed(context.Logger, context.MyName, "shutdown: " + e.Message, e);
        }
    }
}
