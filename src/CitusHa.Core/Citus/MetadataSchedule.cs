namespace CitusHa.Core.Citus;

/// <summary>
/// The coordinator's bookkeeping for pg_dist_node, without I/O (Patroni's CitusHandler minus its
/// thread and connection): the cached catalog rows per group, at most one pending task per group,
/// and the task whose changes sit in the open transaction (<see cref="InFlight"/>). Not thread-safe:
/// the manager holds one lock around it. Time is passed in, so every rule is a unit test.
/// </summary>
public sealed class MetadataSchedule
{
    public const int CoordinatorGroup = 0;

    private readonly Dictionary<int, PgDistGroup> cache = [];
    private readonly List<CitusTask> tasks = [];

    /// <summary>The catalog must be read before the next task (start, promotion, after any SQL error).</summary>
    public bool ReloadPending { get; private set; } = true;

    /// <summary>The task whose statements are inside the open transaction, if any.</summary>
    public CitusTask? InFlight { get; private set; }

    public IReadOnlyList<CitusTask> Pending => tasks;

    public void ScheduleReload() => ReloadPending = true;

    /// <summary>The rows read from pg_dist_node, grouped.</summary>
    public void LoadCache(IEnumerable<PgDistGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        cache.Clear();
        foreach (var g in groups)
        {
            cache[g.GroupId] = g;
        }

        ReloadPending = false;
    }

    public PgDistGroup? Cached(int group) => cache.GetValueOrDefault(group);

    /// <summary>What the next transition of <paramref name="group"/> starts from: the open transaction's rows, else the catalog's.</summary>
    public PgDistGroup CurrentOf(int group) =>
        InFlight is { GroupId: var g, Applied: { } rows } && g == group ? rows : cache.GetValueOrDefault(group) ?? PgDistGroup.Empty(group);

    /// <summary>
    /// Queues <paramref name="task"/> unless there is nothing new in it. A reconcile task never replaces a
    /// worker's pending task, and never touches a group whose worker-opened transaction is still
    /// within its deadline: etcd may still show the old primary as running then.
    /// </summary>
    public bool TryAdd(CitusTask task, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        var i = tasks.FindIndex(t => t.GroupId == task.GroupId);
        if (!task.FromWorker)
        {
            if (i >= 0 && tasks[i].FromWorker)
            {
                return false;
            }

            if (InFlight is { FromWorker: true } open && open.GroupId == task.GroupId && open.Deadline > now)
            {
                return false;
            }
        }

        if (i >= 0)
        {
            if (task.SameAs(tasks[i]))
            {
                return false;
            }

            tasks[i].MarkProcessed(); // superseded: whoever waited for it stops waiting
            tasks[i] = task;
            return true;
        }

        if (ReloadPending || !task.Matches(cache.GetValueOrDefault(task.GroupId)) || InFlight?.GroupId == task.GroupId)
        {
            tasks.Add(task);
            return true;
        }

        return false;
    }

    /// <summary>
    /// The next task to run: with a transaction open only the in-flight group's task; otherwise the
    /// coordinator's own group first, then the oldest. Tasks that match the catalog are dropped.
    /// </summary>
    public CitusTask? Pick()
    {
        if (InFlight is { } open)
        {
            return tasks.Find(t => t.GroupId == open.GroupId);
        }

        while (true)
        {
            var task = tasks.Find(t => t.GroupId == CoordinatorGroup) ?? tasks.FirstOrDefault();
            if (task is null)
            {
                return null;
            }

            if (!task.Matches(cache.GetValueOrDefault(task.GroupId)))
            {
                return task;
            }

            tasks.Remove(task);
            task.MarkProcessed();
        }
    }

    /// <summary>The task ran: its rows are committed (<see cref="TaskOutcome.Committed"/>), left in the open transaction, or it failed.</summary>
    public void Complete(CitusTask task, TaskOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(task);
        switch (outcome)
        {
            case TaskOutcome.Committed:
                cache[task.GroupId] = (task.Applied ?? task.Desired) with { Failover = false };
                InFlight = null;
                break;
            case TaskOutcome.InTransaction:
                InFlight = task;
                break;
            default:
                InFlight = null; // the connection was closed: the transaction is gone
                ReloadPending = true;
                break;
        }

        tasks.Remove(task);
        task.MarkProcessed();
    }

    /// <summary>How long the manager may sleep: null = until a task arrives; zero = work now.</summary>
    public TimeSpan? Wait(DateTimeOffset now)
    {
        if (ReloadPending && tasks.Count > 0)
        {
            return TimeSpan.Zero;
        }

        if (InFlight is { } open)
        {
            // An open transaction is not rolled back by time alone: only when other work waits behind it.
            return tasks.Count == 0 ? null : open.Deadline <= now ? TimeSpan.Zero : open.Deadline - now;
        }

        return tasks.Count > 0 ? TimeSpan.Zero : null;
    }

    /// <summary>The open transaction passed its deadline while other tasks wait: roll it back.</summary>
    /// <summary>
    /// How long the worker may sleep while this member leads until <paramref name="leadingUntil"/>: as
    /// <see cref="Wait(DateTimeOffset)"/>, but never past the end of the leadership while a transaction
    /// is open or tasks wait, so a lapse (the lease not renewed: etcd unreachable, the agent frozen) is
    /// noticed then and its transaction rolled back. After the lapse, zero while anything is left to
    /// drop (<see cref="HasWork"/>; the caller clears it), then null: a lapsed coordinator never spins.
    /// </summary>
    public TimeSpan? Wait(DateTimeOffset now, DateTimeOffset leadingUntil)
    {
        if (now >= leadingUntil)
        {
            return HasWork ? TimeSpan.Zero : null;
        }

        var lapse = leadingUntil - now;
        return Wait(now) is { } wait ? (wait < lapse ? wait : lapse) : HasWork ? lapse : null;
    }

    /// <summary>A transaction is open or tasks wait.</summary>
    public bool HasWork => InFlight is not null || tasks.Count > 0;

    public bool RollbackDue(DateTimeOffset now) => InFlight is { } open && tasks.Count > 0 && open.Deadline <= now;

    /// <summary>The transaction was rolled back (deadline) or lost (error): forget it and read the catalog again.</summary>
    public void AbandonTransaction()
    {
        InFlight = null;
        ReloadPending = true;
    }

    /// <summary>This coordinator stops leading: drop everything (Patroni's on_demote).</summary>
    public void Clear()
    {
        cache.Clear();
        foreach (var t in tasks)
        {
            t.MarkProcessed();
        }

        tasks.Clear();
        InFlight = null;
        ReloadPending = true;
    }
}

/// <summary>How a task ended.</summary>
public enum TaskOutcome
{
    Committed,
    InTransaction,
    Failed,
}
