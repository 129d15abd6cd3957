using System.Collections.Concurrent;
using Npgsql;

namespace CitusHa.IntegrationTests;

/// <summary>
/// Commits rows 1, 2, 3, … through whichever member is writable and remembers which commits were
/// acknowledged. A failed statement is retried with the same number; only acknowledged numbers count.
/// </summary>
public sealed class NumberedWriter : IAsyncDisposable
{
    private readonly string connectionString;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<long> acknowledged = [];
    private Task? running;

    public NumberedWriter(string connectionString)
    {
        this.connectionString = connectionString;
    }

    public IReadOnlyCollection<long> Acknowledged => acknowledged;

    public int Failures { get; private set; }

    public async Task StartAsync()
    {
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS numbered (id bigint PRIMARY KEY, at timestamptz DEFAULT now())", connection);
            await create.ExecuteNonQueryAsync();
        }

        running = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        long next = 1;
        NpgsqlConnection? connection = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (connection is null)
                {
                    connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync(stop.Token);
                }

                await using var insert = new NpgsqlCommand("INSERT INTO numbered (id) VALUES ($1) ON CONFLICT DO NOTHING", connection) { Parameters = { new() { Value = next } } };
                await insert.ExecuteNonQueryAsync(stop.Token);
                acknowledged.Add(next);
                next++;
                await Task.Delay(20, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                Failures++;
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }

                try
                {
                    await Task.Delay(100, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>Numbers acknowledged but missing from the table on <paramref name="primaryConnectionString"/>.</summary>
    public async Task<IReadOnlyList<long>> LostAsync(string primaryConnectionString)
    {
        await using var connection = new NpgsqlConnection(primaryConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT id FROM numbered", connection);
        await using var reader = await read.ExecuteReaderAsync();
        var present = new HashSet<long>();
        while (await reader.ReadAsync())
        {
            present.Add(reader.GetInt64(0));
        }

        return acknowledged.Where(id => !present.Contains(id)).Order().ToList();
    }

    private bool disposed;

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await stop.CancelAsync();
        if (running is not null)
        {
            await running;
        }

        stop.Dispose();
    }
}
