using System.Collections;

namespace CitusHa;

/// <summary>A Citus rebalance job on the coordinator, as Start-, Get- and Wait-CitusRebalance write it.</summary>
public sealed class CitusRebalanceJob
{
    public string Name { get; init; } = string.Empty;

    /// <summary>Citus' background job id (pg_dist_background_job.job_id).</summary>
    public long JobId { get; init; }

    /// <summary>Scheduled, Running, Finished, Cancelling, Cancelled, Failing or Failed.</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>Finished, Cancelled or Failed: nothing more happens to the job.</summary>
    public bool IsComplete { get; init; }

    public int TasksDone { get; init; }

    public int TasksTotal { get; init; }

    public int PercentComplete { get; init; }

    /// <summary>How many of the job's tasks are in each Citus task state (done, running, runnable, blocked, error...).</summary>
    public Hashtable TaskStates { get; init; } = [];

    /// <summary>The running moves ("source -> target") and errored or retried tasks, with Citus' messages.</summary>
    public string[] Tasks { get; init; } = [];

    /// <summary>The first error Citus reported for a task, if any.</summary>
    public string? Error { get; init; }

    public string? Description { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The coordinator member the job was read from.</summary>
    public string Coordinator { get; init; } = string.Empty;

    public override string ToString() => $"{Name} rebalance job {JobId}: {State} ({TasksDone}/{TasksTotal})";
}
