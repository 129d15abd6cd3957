using System.Globalization;
using System.Text.RegularExpressions;
using CitusHa.Core.Errors;
using Npgsql;

namespace CitusHa.Core.Operations;

/// <summary>What <see cref="Rebalance.StartAsync"/> did: the job it started, or none and Citus' notices saying why (nothing to move).</summary>
public sealed record RebalanceStart(RebalanceJob? Job, IReadOnlyList<string> Notices);

/// <summary>
/// Citus' background shard rebalancer on the coordinator's primary: start a job
/// (<c>citus_rebalance_start</c>), read a job (<c>citus_rebalance_status</c>, <c>citus_job_status</c>),
/// and wait for one with progress. The job runs inside Citus whatever happens to the caller; waiting
/// only watches it, and survives a coordinator failover by finding the new primary through etcd.
/// </summary>
public static partial class Rebalance
{
    private const string StatusColumns = "job_id, state::text, description, started_at, finished_at, details::text";

    /// <summary>Starts a rebalance. Conflict (RebalanceAlreadyRunning) when one runs already; no job when there is nothing to move.</summary>
    public static Task<RebalanceStart> StartAsync(OperatorConnection connection, RebalanceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(request);
        return CoordinatorSql.RunAsync(connection, async (db, address) =>
        {
            var notices = new List<string>();
            db.Notice += (_, e) => notices.Add(e.Notice.MessageText);
            try
            {
                await using var command = new NpgsqlCommand(
                    "SELECT pg_catalog.citus_rebalance_start(rebalance_strategy => $1::name, drain_only => $2, shard_transfer_mode => $3::citus.shard_transfer_mode, "
                    + "parallel_transfer_reference_tables => $4, parallel_transfer_colocated_shards => $5)", db)
                {
                    Parameters =
                    {
                        new() { Value = (object?)request.Strategy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                        new() { Value = request.DrainOnly },
                        new() { Value = request.TransferModeValue, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                        new() { Value = request.ParallelTransferReferenceTables },
                        new() { Value = request.ParallelTransferColocatedShards },
                    },
                };
                var jobId = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return jobId is long id
                    ? new RebalanceStart(await ReadAsync(db, connection, address, id, cancellationToken).ConfigureAwait(false), notices)
                    : new RebalanceStart(null, notices);
            }
            catch (PostgresException e) when (AlreadyRunning(e.MessageText) is { } running)
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.RebalanceAlreadyRunning,
                    $"A rebalance is already running on '{connection.Scope}' as job {running}. Watch it with Wait-CitusRebalance, or cancel it with SELECT citus_job_cancel({running}) on the coordinator.",
                    running);
            }
        }, cancellationToken);
    }

    /// <summary>The job with this id, or with none the latest rebalance job; null when no rebalance ever ran.</summary>
    public static Task<RebalanceJob?> GetAsync(OperatorConnection connection, long? jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return CoordinatorSql.RunAsync(connection, (db, address) => ReadAsync(db, connection, address, jobId, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Cancels the job (or the latest rebalance job) with <c>citus_job_cancel</c>: moves that are done
    /// stay done, the running one is stopped. A job that has ended already is returned as it is.
    /// </summary>
    public static Task<RebalanceJob> CancelAsync(OperatorConnection connection, long? jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return CoordinatorSql.RunAsync(connection, async (db, address) =>
        {
            var job = await ReadAsync(db, connection, address, jobId, cancellationToken).ConfigureAwait(false)
                ?? throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.RebalanceNotFound,
                    $"No rebalance has run on '{connection.Scope}': there is nothing to stop.", connection.Scope);
            if (job.IsTerminal)
            {
                return job;
            }

            await using (var cancel = new NpgsqlCommand("SELECT pg_catalog.citus_job_cancel($1)", db) { Parameters = { new() { Value = job.JobId } } })
            {
                await cancel.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return await ReadAsync(db, connection, address, job.JobId, cancellationToken).ConfigureAwait(false) ?? job;
        }, cancellationToken);
    }

    /// <summary>
    /// Watches the job (or the latest rebalance job) until it ends, reporting each change. Returns the
    /// finished job; a failed or cancelled job is RebalanceFailed with Citus' message. While the
    /// coordinator cannot be reached (a failover), it keeps looking until <paramref name="timeout"/>,
    /// which ends the wait with OperationTimedOut but leaves the job running.
    /// </summary>
    public static async Task<RebalanceJob> WaitAsync(OperatorConnection connection, long? jobId, TimeSpan timeout, TimeSpan pollInterval, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var activity = jobId is { } j ? $"Waiting for rebalance job {j.ToString(CultureInfo.InvariantCulture)} of '{connection.Scope}'" : $"Waiting for the rebalance of '{connection.Scope}'";
        RebalanceJob? last = null;
        string? lastReport = null;
        void Report(string status, int percent)
        {
            if (status != lastReport)
            {
                lastReport = status;
                progress?.Report(new OperationProgress(activity, status, percent));
            }
        }

        try
        {
            while (true)
            {
                try
                {
                    var job = await GetAsync(connection, jobId ?? last?.JobId, deadline.Token).ConfigureAwait(false)
                        ?? throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.RebalanceNotFound,
                            $"No rebalance has run on '{connection.Scope}': there is nothing to wait for. Start one with Start-CitusRebalance.", connection.Scope);
                    last = job;
                    Report(job.Describe(), job.PercentComplete);
                    if (job.IsTerminal)
                    {
                        return job.State == RebalanceState.Finished ? job : throw Failed(job);
                    }
                }
                catch (CitusHaException e) when (e.Kind == CitusErrorKind.Unavailable && !deadline.IsCancellationRequested)
                {
                    Report($"the coordinator cannot be read ({e.Message}); trying again", last?.PercentComplete ?? -1);
                }

                await Task.Delay(pollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var where = last is null ? "before the job could be read" : $"with {last.TasksDone} of {last.TasksTotal} tasks done ({last.State.ToString().ToLowerInvariant()})";
            throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.OperationTimedOut,
                $"The rebalance{(last is null ? string.Empty : $" job {last.JobId}")} of '{connection.Scope}' did not end within {timeout.TotalSeconds:0} s, {where}. It goes on in the background: wait again with Wait-CitusRebalance.",
                last?.JobId);
        }
    }

    /// <summary>Pure: the job id in Citus' "A rebalance is already running as job N" error, or null for any other message.</summary>
    public static long? AlreadyRunning(string message)
    {
        var match = AlreadyRunningPattern().Match(message ?? string.Empty);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Pure: the error for a job that ended without finishing.</summary>
    public static CitusHaException Failed(RebalanceJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var why = job.FirstError is { } message ? $": {message}" : string.Empty;
        return new CitusHaException(CitusErrorKind.Failed, ErrorIds.RebalanceFailed,
            $"The rebalance job {job.JobId} of '{job.Scope}' {job.State.ToString().ToLowerInvariant()} after {job.TasksDone} of {job.TasksTotal} tasks{why}. "
            + "Moved shards stay where they are; fix the cause and start the rebalance again.", job.JobId);
    }

    private static async Task<RebalanceJob?> ReadAsync(NpgsqlConnection db, OperatorConnection connection, CoordinatorSql.Address address, long? jobId, CancellationToken cancellationToken)
    {
        await using var command = jobId is { } id
            ? new NpgsqlCommand($"SELECT {StatusColumns} FROM pg_catalog.citus_job_status($1)", db) { Parameters = { new() { Value = id } } }
            : new NpgsqlCommand($"SELECT {StatusColumns} FROM pg_catalog.citus_rebalance_status()", db);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(0))
        {
            return jobId is null ? null : throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.RebalanceNotFound,
                $"The coordinator of '{connection.Scope}' has no job {jobId}. Get-CitusRebalanceStatus without -JobId shows the latest rebalance.", jobId);
        }

        var (counts, tasks) = RebalanceJob.ParseDetails(reader.IsDBNull(5) ? null : reader.GetString(5));
        return new RebalanceJob(
            connection.Scope,
            address.Member,
            reader.GetInt64(0),
            RebalanceJob.ParseState(reader.GetString(1)),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
            counts,
            tasks);
    }

    [GeneratedRegex(@"already running as job (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex AlreadyRunningPattern();
}
