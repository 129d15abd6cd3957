using CitusHa.Agent.Loop;
using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Citus;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;

namespace CitusHa.Agent.Citus;

/// <summary>
/// On the coordinator's leader: keeps pg_dist_node equal to the formation's truth in etcd. One worker
/// task owns the catalog connection and runs tasks one at a time (<see cref="MetadataSchedule"/> holds
/// the rules); a second loop turns etcd changes anywhere in the scope into tasks (reconcile), so a
/// worker's new primary shows in pg_dist_node without waiting for the HA cycle. Worker events
/// (POST /citus) add tasks the same way. Idle until the HA loop says this member leads as a running
/// primary, and reset when it stops leading.
/// </summary>
internal sealed class MetadataManager : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly MetadataSchedule schedule = new();
    private readonly SemaphoreSlim work = new(0);
    private readonly SemaphoreSlim reconcileRequests = new(0);
    private readonly AgentContext context;
    private readonly CitusCatalog catalog;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource stopping = new();
    private readonly string clusterPrefix;
    private Task? loops;
    private DateTimeOffset leadingUntil = DateTimeOffset.MinValue;
    private bool resetRequested;
    private bool? catalogPresent;

    public MetadataManager(AgentContext context, CitusCatalog catalog, TimeProvider time)
    {
        this.context = context;
        this.catalog = catalog;
        this.time = time;
        clusterPrefix = DcsPaths.ClusterPrefix(context.Settings.Dcs.Namespace, context.Settings.Dcs.Scope!);
    }

    /// <summary>Whether the last look found Citus' node catalog in the Citus database (null: not looked yet).</summary>
    public bool? CatalogPresent => catalogPresent;

    public bool Leading => time.GetUtcNow() < leadingUntil;

    /// <summary>
    /// The HA loop: this member leads as a running primary, at least until <paramref name="until"/>
    /// (the lease's end). Starts the loops on first use and asks for a reconcile.
    /// </summary>
    public void Lead(DateTimeOffset until)
    {
        lock (gate)
        {
            leadingUntil = until;
            loops ??= Task.WhenAll(Task.Run(() => WorkAsync(stopping.Token)), Task.Run(() => ReconcileLoopAsync(stopping.Token)), Task.Run(() => WatchAsync(stopping.Token)));
        }

        RequestReconcile();
    }

    /// <summary>This member stopped leading (demote, lost key): forget the cache, tasks and open transaction (Patroni's on_demote).</summary>
    public void StopLeading()
    {
        lock (gate)
        {
            if (leadingUntil == DateTimeOffset.MinValue)
            {
                return;
            }

            leadingUntil = DateTimeOffset.MinValue;
            schedule.Clear();
            resetRequested = true; // the worker closes the connection: an open transaction is rolled back
        }

        work.Release();
    }

    public void RequestReconcile()
    {
        if (reconcileRequests.CurrentCount == 0)
        {
            reconcileRequests.Release();
        }
    }

    /// <summary>
    /// A worker's event. Ignored (false) unless this member leads and the event's leader is that
    /// group's leader in etcd. For before_demote the answer waits until the group's traffic is paused
    /// (the primary row renamed in the open transaction), at most the event's timeout.
    /// </summary>
    public async Task<(bool Accepted, string Detail)> HandleEventAsync(CitusEvent citusEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(citusEvent);
        if (!Leading)
        {
            return (false, "not the coordinator's leader");
        }

        var scope = await ReadScopeAsync(cancellationToken).ConfigureAwait(false);
        if (!scope.TryGetValue(citusEvent.Group, out var group) || group.Leader?.Name != citusEvent.Leader
            || group.Member(citusEvent.Leader)?.ConnUrl is not { } url
            || CitusTopology.Desired(citusEvent.Group, group, citusEvent.Leader, url, citusEvent.Type) is not { } desired)
        {
            CitusLog.Discarded(context.Logger, context.MyName, citusEvent);
            return (false, "discarded: the sender is not the group's leader");
        }

        var task = new CitusTask(desired, citusEvent.Type, citusEvent.Timeout, citusEvent.Cooldown);
        if (!Add(task))
        {
            return (true, "nothing to change");
        }

        if (citusEvent.Type == CitusEventType.BeforeDemote)
        {
            try
            {
                await task.Processed.WaitAsync(citusEvent.Timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return (true, "queued; the pause was not in place within the event's timeout");
            }
        }

        return (true, "queued");
    }

    private bool Add(CitusTask task)
    {
        bool added;
        lock (gate)
        {
            added = schedule.TryAdd(task, time.GetUtcNow());
        }

        if (added)
        {
            work.Release();
        }

        return added;
    }

    /// <summary>Turns etcd's truth into tasks: group 0 is me plus my running standbys; each worker group its running primary and standbys.</summary>
    private async Task ReconcileLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await reconcileRequests.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (!Leading)
                {
                    continue;
                }

                var scope = await ReadScopeAsync(cancellationToken).ConfigureAwait(false);
                var mine = scope.GetValueOrDefault(MetadataSchedule.CoordinatorGroup) ?? new DcsView();
                if (CitusTopology.Desired(MetadataSchedule.CoordinatorGroup, mine, context.MyName, context.Settings.ConnUrl, CitusEventType.AfterPromote) is { } coordinator)
                {
                    Add(new CitusTask(coordinator, CitusEventType.AfterPromote));
                }

                foreach (var (id, group) in scope)
                {
                    if (id != MetadataSchedule.CoordinatorGroup && CitusTopology.RunningPrimary(id, group) is { } rows)
                    {
                        Add(new CitusTask(rows, CitusEventType.AfterPromote));
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is CitusHaException or InvalidOperationException or OperationCanceledException)
            {
                CitusLog.Warning(context.Logger, context.MyName, "reconcile skipped: " + e.Message);
            }
        }
    }

    /// <summary>Any change in the scope (a worker's leader, member states) asks for a reconcile at once.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var start = await context.Store.ReadPrefixAsync(clusterPrefix, cancellationToken).ConfigureAwait(false);
                await foreach (var change in context.Store.WatchPrefixAsync(clusterPrefix, start.Revision, cancellationToken).ConfigureAwait(false))
                {
                    if (Leading && !change.Key.EndsWith($"/{DcsPaths.Status}", StringComparison.Ordinal))
                    {
                        RequestReconcile();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is CitusHaException or IOException or InvalidOperationException)
            {
                CitusLog.Warning(context.Logger, context.MyName, $"scope watch restarted: {e.Message}");
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

    private async Task<IReadOnlyDictionary<int, DcsView>> ReadScopeAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(context.Settings.Ha.RetryTimeout);
        var snapshot = await context.Store.ReadPrefixAsync(clusterPrefix, deadline.Token).ConfigureAwait(false);
        return ScopeKeys.Decode(clusterPrefix, snapshot.Items, context.Settings.Ha);
    }

    /// <summary>The one user of the catalog connection: roll back what passed its deadline, run tasks, sleep until the next work.</summary>
    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan? wait;
            try
            {
                DropIfLapsed();
                await ResetIfAskedAsync().ConfigureAwait(false);
                if (Leading)
                {
                    await RollBackIfDueAsync(cancellationToken).ConfigureAwait(false);
                    await RunTasksAsync(cancellationToken).ConfigureAwait(false);
                }

                lock (gate)
                {
                    wait = schedule.Wait(time.GetUtcNow(), leadingUntil);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                CitusLog.MetadataFailed(context.Logger, context.MyName, e.ToString());
                wait = TimeSpan.FromSeconds(1);
            }

            try
            {
                await work.WaitAsync(wait is { } w ? (w > TimeSpan.Zero ? w : TimeSpan.Zero) : Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The leadership ran out without <see cref="StopLeading"/> (the HA loop could not renew: etcd
    /// unreachable, the agent frozen and resumed): do what a stop does, so an open transaction (a worker
    /// group's paused traffic, locks on pg_dist_node) is rolled back now, not left open.
    /// </summary>
    private void DropIfLapsed()
    {
        lock (gate)
        {
            if (Leading || !schedule.HasWork)
            {
                return;
            }

            schedule.Clear();
            resetRequested = true;
        }

        CitusLog.Warning(context.Logger, context.MyName, "the coordinator's leadership lapsed without a clean stop: rolling back the open pg_dist_node transaction and dropping queued changes");
    }

    private async Task ResetIfAskedAsync()
    {
        bool reset;
        lock (gate)
        {
            reset = resetRequested;
            resetRequested = false;
        }

        if (reset)
        {
            await catalog.CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task RollBackIfDueAsync(CancellationToken cancellationToken)
    {
        CitusTask? open;
        lock (gate)
        {
            open = schedule.RollbackDue(time.GetUtcNow()) ? schedule.InFlight : null;
        }

        if (open is null)
        {
            return;
        }

        CitusLog.Warning(context.Logger, context.MyName, $"rolling back the pg_dist_node transaction past its deadline. Last known status: {open}");
        try
        {
            await catalog.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CitusHaException)
        {
            // The connection is closed by the failure: the server rolled the transaction back.
        }

        lock (gate)
        {
            schedule.AbandonTransaction();
        }
    }

    private async Task RunTasksAsync(CancellationToken cancellationToken)
    {
        while (Leading)
        {
            bool reload;
            lock (gate)
            {
                reload = schedule.InFlight is null && schedule.ReloadPending;
            }

            if (reload && !await LoadAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            CitusTask? task;
            lock (gate)
            {
                task = schedule.Pick();
            }

            if (task is null)
            {
                return;
            }

            TaskOutcome outcome;
            try
            {
                outcome = await RunAsync(task, cancellationToken).ConfigureAwait(false);
                CitusLog.TaskDone(context.Logger, context.MyName, task, outcome);
            }
            catch (CitusHaException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.ObjectNotInPrerequisiteState })
            {
                // Citus refuses to remove or change a node while one of its metadata nodes (typically a
                // primary promoted a moment ago) has not been synced yet; its maintenance daemon catches
                // up within seconds, and the reconcile runs the task again.
                CitusLog.Warning(context.Logger, context.MyName, $"pg_dist_node: {task} deferred: {e.InnerException.Message}; the next reconcile retries it");
                outcome = TaskOutcome.Failed;
            }
            catch (CitusHaException e)
            {
                CitusLog.MetadataFailed(context.Logger, context.MyName, $"{task} failed: {e.Message}");
                outcome = TaskOutcome.Failed;
            }

            lock (gate)
            {
                schedule.Complete(task, outcome);
            }
        }
    }

    /// <summary>Reads the catalog into the cache; false (tasks dropped) when the database has no Citus catalog yet.</summary>
    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var present = await catalog.HasCatalogAsync(cancellationToken).ConfigureAwait(false);
            if (present != catalogPresent)
            {
                CitusLog.Info(context.Logger, context.MyName, present
                    ? "the Citus catalog is present: keeping pg_dist_node"
                    : $"database '{context.Settings.Citus!.Database}' has no pg_dist_node: nothing to keep until Citus is installed there");
                catalogPresent = present;
            }

            if (!present)
            {
                lock (gate)
                {
                    schedule.Clear();
                }

                return false;
            }

            var groups = await catalog.LoadAsync(cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                schedule.LoadCache(groups);
            }

            return true;
        }
        catch (CitusHaException e)
        {
            CitusLog.MetadataFailed(context.Logger, context.MyName, "reading the catalog failed: " + e.Message);
            lock (gate)
            {
                schedule.Clear();
            }

            return false;
        }
    }

    /// <summary>
    /// Patroni's process_task: after_promote applies and commits (also the open transaction);
    /// before_demote/before_promote open (or continue) the transaction and leave it open.
    /// </summary>
    private async Task<TaskOutcome> RunAsync(CitusTask task, CancellationToken cancellationToken)
    {
        bool inTransaction;
        PgDistGroup current;
        lock (gate)
        {
            inTransaction = schedule.InFlight is not null;
            current = schedule.CurrentOf(task.GroupId);
        }

        var plan = PgDistTransition.Plan(current, task.Desired);
        if (task.Type == CitusEventType.AfterPromote)
        {
            await ApplyAsync(task, plan, inTransaction, cancellationToken).ConfigureAwait(false);
            if (inTransaction)
            {
                await catalog.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return TaskOutcome.Committed;
        }

        if (task.Timeout is { } timeout)
        {
            task.Deadline = time.GetUtcNow() + timeout;
        }

        if (!inTransaction)
        {
            await catalog.BeginAsync(cancellationToken).ConfigureAwait(false);
        }

        await ApplyAsync(task, plan, inTransaction: true, cancellationToken).ConfigureAwait(false);
        return TaskOutcome.InTransaction;
    }

    private async Task ApplyAsync(CitusTask task, PgDistTransition plan, bool inTransaction, CancellationToken cancellationToken)
    {
        var wrap = !inTransaction && plan.Steps.Count > 1;
        if (wrap)
        {
            await catalog.BeginAsync(cancellationToken).ConfigureAwait(false);
        }

        var added = new Dictionary<(string, int), int>();
        foreach (var step in plan.Steps)
        {
            if (await catalog.ApplyAsync(step, task.Cooldown, cancellationToken).ConfigureAwait(false) is { } id && step is PgDistStep.Add add)
            {
                added[(add.Host, add.Port)] = id;
            }
        }

        if (wrap)
        {
            await catalog.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var rows = plan.Result.Nodes.Select(n => n.NodeId is null && added.TryGetValue((n.Host, n.Port), out var id) ? n with { NodeId = id } : n).ToList();
        task.Applied = plan.Result with { Nodes = rows, Failover = plan.Result.Failover && !wrap };
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (loops is { } running)
        {
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
                // Stopping anyway.
            }
        }

        await catalog.DisposeAsync().ConfigureAwait(false);
        stopping.Dispose();
        work.Dispose();
        reconcileRequests.Dispose();
    }
}
