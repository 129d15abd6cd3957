using System.Globalization;
using System.Text.Json;

namespace CitusHa.Core.Operations;

/// <summary>Citus' background job states (pg_catalog.citus_job_status).</summary>
public enum RebalanceState
{
    Scheduled,
    Running,
    Finished,
    Cancelling,
    Cancelled,
    Failing,
    Failed,
}

/// <summary>
/// One task of a rebalance job that Citus reports on (running ones, errored ones, and runnable ones
/// that were retried): its state, the command (a shard move), the retries, Citus' message, and for a
/// running move its phase and the hosts it moves between.
/// </summary>
public sealed record RebalanceTask(long TaskId, string State, string? Command, int Retried, string? Message, string? Phase, string? Source, string? Target);

/// <summary>
/// A rebalance job on the coordinator, as <c>citus_rebalance_status()</c> / <c>citus_job_status()</c>
/// report it: the job, its state and times, how many of its tasks are in each state, and the tasks
/// worth showing. <see cref="Coordinator"/> names where it was read.
/// </summary>
public sealed record RebalanceJob(
    string Scope,
    string Coordinator,
    long JobId,
    RebalanceState State,
    string? Description,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyDictionary<string, int> TaskStates,
    IReadOnlyList<RebalanceTask> Tasks)
{
    /// <summary>Every task of the job (shard moves, and the cleanup steps Citus adds).</summary>
    public int TasksTotal => TaskStates.Values.Sum();

    public int TasksDone => TaskStates.GetValueOrDefault("done");

    /// <summary>Finished, cancelled or failed: nothing more happens to the job.</summary>
    public bool IsTerminal => State is RebalanceState.Finished or RebalanceState.Cancelled or RebalanceState.Failed;

    /// <summary>Done tasks out of all; a finished job is 100 even when Citus gives it no tasks.</summary>
    public int PercentComplete => State == RebalanceState.Finished ? 100 : TasksTotal == 0 ? 0 : TasksDone * 100 / TasksTotal;

    /// <summary>The first message of a task that errored (or was retried), for an error that says why.</summary>
    public string? FirstError => Tasks.FirstOrDefault(t => t.State == "error" && t.Message is { Length: > 0 })?.Message
        ?? Tasks.FirstOrDefault(t => t.Message is { Length: > 0 })?.Message;

    /// <summary>One line for a progress bar: how far, and what moves now.</summary>
    public string Describe()
    {
        var line = $"job {JobId.ToString(CultureInfo.InvariantCulture)} {State.ToString().ToLowerInvariant()}: {TasksDone} of {TasksTotal} tasks done";
        var running = Tasks.Where(t => t.State == "running").ToList();
        if (running.Count > 0)
        {
            line += "; " + string.Join("; ", running.Select(t => t.Source is not null && t.Target is not null
                ? $"{t.Phase ?? "moving"} {t.Source} -> {t.Target}"
                : $"running task {t.TaskId.ToString(CultureInfo.InvariantCulture)}"));
        }

        return line;
    }

    /// <summary>Pure: Citus' <c>state</c> text as the enum; an unknown state (a newer Citus) is an error that names it.</summary>
    public static RebalanceState ParseState(string state) => state switch
    {
        "scheduled" => RebalanceState.Scheduled,
        "running" => RebalanceState.Running,
        "finished" => RebalanceState.Finished,
        "cancelling" => RebalanceState.Cancelling,
        "cancelled" => RebalanceState.Cancelled,
        "failing" => RebalanceState.Failing,
        "failed" => RebalanceState.Failed,
        _ => throw new FormatException($"Citus reported the unknown job state '{state}'."),
    };

    /// <summary>
    /// Pure: the <c>details</c> JSON of <c>citus_job_status</c>: <c>task_state_counts</c> (state to
    /// count, null when the job has no tasks) and <c>tasks</c> (objects with state, retried, message,
    /// command, task_id, and for running moves phase and hosts.source/target).
    /// </summary>
    public static (IReadOnlyDictionary<string, int> Counts, IReadOnlyList<RebalanceTask> Tasks) ParseDetails(string? json)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var tasks = new List<RebalanceTask>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return (counts, tasks);
        }

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("task_state_counts", out var stateCounts) && stateCounts.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in stateCounts.EnumerateObject())
            {
                counts[property.Name] = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetInt32() : 0;
            }
        }

        if (root.TryGetProperty("tasks", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var task in list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object))
            {
                var hosts = task.TryGetProperty("hosts", out var h) && h.ValueKind == JsonValueKind.Object ? h : (JsonElement?)null;
                tasks.Add(new RebalanceTask(
                    Number(task, "task_id"),
                    Text(task, "state") ?? "unknown",
                    Text(task, "command"),
                    (int)Number(task, "retried"),
                    Text(task, "message"),
                    Text(task, "phase"),
                    hosts is { } sh ? Text(sh, "source") : null,
                    hosts is { } th ? Text(th, "target") : null));
            }
        }

        return (counts, tasks);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
