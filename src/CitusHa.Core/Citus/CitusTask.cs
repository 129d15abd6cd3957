namespace CitusHa.Core.Citus;

/// <summary>
/// The desired rows of one group and why (the event). Tasks from a worker's REST call carry the
/// worker's ttl as <see cref="Timeout"/>: a transaction they open may be rolled back once it passed.
/// </summary>
public sealed class CitusTask(PgDistGroup desired, CitusEventType type, TimeSpan? timeout = null, TimeSpan? cooldown = null)
{
    private readonly TaskCompletionSource processed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PgDistGroup Desired { get; } = desired;

    public int GroupId => Desired.GroupId;

    public CitusEventType Type { get; } = type;

    /// <summary>Null for tasks of the periodic reconcile.</summary>
    public TimeSpan? Timeout { get; } = timeout;

    /// <summary>citus_update_node's lock_cooldown: how long before Citus cancels backends that hold the group's locks.</summary>
    public TimeSpan Cooldown { get; } = cooldown ?? TimeSpan.FromSeconds(10);

    /// <summary>When an open transaction of this task may be rolled back (set when the transaction opens).</summary>
    public DateTimeOffset Deadline { get; set; } = DateTimeOffset.MaxValue;

    /// <summary>The rows once this task ran (node ids filled in): the cache after it.</summary>
    public PgDistGroup? Applied { get; set; }

    public bool FromWorker => Timeout is not null;

    /// <summary>Completes when the manager has run (or dropped) the task: before_demote callers wait for it.</summary>
    public Task Processed => processed.Task;

    public void MarkProcessed() => processed.TrySetResult();

    /// <summary>Same event and same rows: there is nothing new in it.</summary>
    public bool SameAs(CitusTask? other) => other is not null && other.Type == Type && Desired.SameRows(other.Desired);

    /// <summary>Same rows as the group's catalog state (cached as an after_promote task).</summary>
    public bool Matches(PgDistGroup? state) => Type == CitusEventType.AfterPromote && Desired.SameRows(state);

    public override string ToString() => $"{CitusEvent.Name(Type)} {Desired}";
}
