using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace CitusHa.Testing.Workloads;

/// <summary>
/// Runs a multi-shard SELECT through the Citus coordinator every few milliseconds on one session, as
/// an application would, and remembers every failure and the longest time a statement took: what a
/// client sees of a worker switchover.
/// </summary>
public sealed class DistributedReader(string connectionString, string sql, TimeSpan pause) : BackgroundWork
{
    private readonly ConcurrentQueue<string> failures = new();
    private long longestTicks;
    private long statements;

    public IReadOnlyCollection<string> Failures => failures;

    public long Statements => Interlocked.Read(ref statements);

    /// <summary>The longest a single statement took (a stall the client saw).</summary>
    public TimeSpan LongestStatement => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref longestTicks));

    public void Start() => StartLoop();

    protected override Task RunAsync() => SessionLoop.RunAsync(
        connectionString,
        async connection =>
        {
            var started = Stopwatch.GetTimestamp();
            await using (var command = new NpgsqlCommand(sql, connection))
            {
                await command.ExecuteScalarAsync(Stopping).ConfigureAwait(false);
            }

            var took = Stopwatch.GetTimestamp() - started;
            Interlocked.Increment(ref statements);
            if (took > Interlocked.Read(ref longestTicks))
            {
                Interlocked.Exchange(ref longestTicks, took);
            }

            await Task.Delay(pause, Stopping).ConfigureAwait(false);
        },
        e =>
        {
            failures.Enqueue(e.Message);
            return Task.CompletedTask;
        },
        () => { },
        Stopping);
}
