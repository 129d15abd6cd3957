using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace CitusHa.Testing.Workloads;

/// <summary>
/// Commits rows 1, 2, 3, … through whichever member is writable and remembers when each commit was
/// acknowledged and on which connection. A failed statement is retried with the same number; only
/// acknowledged numbers count. The lost-write checker of the tests and the benchmark.
/// </summary>
public sealed class NumberedWriter(string connectionString, TimeSpan commitPause, TimeSpan retryPause) : BackgroundWork
{
    private readonly ConcurrentQueue<(long At, long Id, long ConnectedAt)> commits = new();

    /// <summary>A writer committing every 20 ms and pausing 100 ms after a failure (the tests' pace).</summary>
    public NumberedWriter(string connectionString)
        : this(connectionString, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100))
    {
    }

    public IReadOnlyCollection<long> Acknowledged => commits.Select(c => c.Id).ToList();

    public int Failures { get; private set; }

    /// <summary>Commits PostgreSQL returned with "canceling wait for synchronous replication": not counted as acknowledged.</summary>
    public int Unreplicated { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS numbered (id bigint PRIMARY KEY, at timestamptz DEFAULT now())", connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        StartLoop();
    }

    protected override Task RunAsync()
    {
        long next = 1;
        long connectedAt = 0;
        return SessionLoop.RunAsync(
            connectionString,
            async connection =>
            {
                // A commit whose wait for the synchronous standbys was cancelled (the command timeout)
                // returns success with a warning: committed locally, maybe replicated nowhere. That is
                // not an acknowledgement: the number is skipped (a retry with ON CONFLICT would insert
                // nothing, write no WAL, and "succeed" at once).
                var unreplicated = false;
                void OnNotice(object? sender, NpgsqlNoticeEventArgs e) => unreplicated |= e.Notice.MessageText.Contains("canceling wait for synchronous replication", StringComparison.Ordinal);
                connection.Notice += OnNotice;
                try
                {
                    await using var insert = new NpgsqlCommand("INSERT INTO numbered (id) VALUES ($1) ON CONFLICT DO NOTHING", connection) { Parameters = { new() { Value = next } } };
                    await insert.ExecuteNonQueryAsync(Stopping).ConfigureAwait(false);
                }
                finally
                {
                    connection.Notice -= OnNotice;
                }

                if (unreplicated)
                {
                    Unreplicated++;
                    next++;
                }
                else
                {
                    commits.Enqueue((Stopwatch.GetTimestamp(), next++, connectedAt));
                }

                await Task.Delay(commitPause, Stopping).ConfigureAwait(false);
            },
            async _ =>
            {
                Failures++;
                await Task.Delay(retryPause, Stopping).ConfigureAwait(false);
            },
            () => connectedAt = Stopwatch.GetTimestamp(),
            Stopping);
    }

    /// <summary>The longest time without an acknowledged commit since <paramref name="start"/> (a Stopwatch timestamp), in seconds.</summary>
    public double LongestGapSince(long start)
    {
        var (from, to) = LongestGapAfter(start);
        return Stopwatch.GetElapsedTime(from, to).TotalSeconds;
    }

    /// <summary>The longest stretch without an acknowledged commit since <paramref name="start"/>, as Stopwatch timestamps (To: the commit that ended it).</summary>
    public (long From, long To) LongestGapAfter(long start)
    {
        var times = commits.Select(c => c.At).Where(t => t >= start).Prepend(start).ToList();
        return times.Zip(times.Skip(1), (a, b) => (From: a, To: b)).DefaultIfEmpty((From: start, To: start)).MaxBy(g => g.To - g.From);
    }

    /// <summary>Seconds from <paramref name="start"/> to the first commit on a connection opened after it.</summary>
    public async Task<double> FirstCommitAfterAsync(long start, CancellationToken cancellationToken)
    {
        while (true)
        {
            // A commit on a connection opened after the fault: a session that survived it (an orphaned
            // backend of a killed postmaster) says nothing about the service being back.
            var after = commits.Where(c => c.ConnectedAt > start).FirstOrDefault();
            if (after.At != 0)
            {
                return Stopwatch.GetElapsedTime(start, after.At).TotalSeconds;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Numbers acknowledged but missing from the table on <paramref name="primaryConnectionString"/>.</summary>
    public async Task<IReadOnlyList<long>> LostAsync(string primaryConnectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(primaryConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand("SELECT id FROM numbered", connection);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var present = new HashSet<long>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            present.Add(reader.GetInt64(0));
        }

        return commits.Select(c => c.Id).Where(id => !present.Contains(id)).Order().ToList();
    }
}
