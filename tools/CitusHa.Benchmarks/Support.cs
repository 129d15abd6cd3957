using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CitusHa.Core.Configuration;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;
using Npgsql;

namespace CitusHa.Benchmarks;

internal sealed class Results
{
    private readonly List<(string Name, double Value)> values = [];

    public void Add(string name, double value) => values.Add((name, value));

    public void Print(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"{"measure",-42} {"n",3} {"min",8} {"median",8} {"max",8}");
        foreach (var group in values.GroupBy(v => v.Name))
        {
            var sorted = group.Select(g => g.Value).Order().ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Key,-42} {sorted.Count,3} {sorted[0],8:0.00} {sorted[sorted.Count / 2],8:0.00} {sorted[^1],8:0.00}"));
        }
    }
}

internal static class Ports
{
    public static int FreeRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var start = Random.Shared.Next(30000, 60000 - count);
            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }

        throw new InvalidOperationException("No free port range.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

internal static class Waits
{
    public static async Task<IReadOnlyList<TopologyMember>> MembersAsync(DcsSettings dcs, CancellationToken ct)
    {
        try
        {
            return (await Topology.GetAsync(dcs, new TopologyRequest(), ct)).Clusters.SelectMany(c => c.Members).ToList();
        }
        catch (Core.Errors.CitusHaException)
        {
            return [];
        }
    }

    public static async Task<string?> LeaderAsync(DcsSettings dcs, CancellationToken ct) =>
        (await MembersAsync(dcs, ct)).FirstOrDefault(m => m.Role == MemberRole.Leader)?.Name;

    public static async Task<string> NewLeaderAsync(DcsSettings dcs, string old, CancellationToken ct)
    {
        while (true)
        {
            if (await LeaderAsync(dcs, ct) is { } leader && leader != old)
            {
                return leader;
            }

            await Task.Delay(20, ct);
        }
    }

    public static async Task HealthyAsync(DcsSettings dcs, int count, string? leader, CancellationToken ct)
    {
        while (true)
        {
            var members = await MembersAsync(dcs, ct);
            var lead = members.Where(m => m.Role == MemberRole.Leader).ToList();
            if (members.Count == count && lead.Count == 1 && (leader is null || lead[0].Name == leader)
                && members.Where(m => m.Role != MemberRole.Leader).All(m => m.State == "streaming" && m.Timeline == lead[0].Timeline))
            {
                return;
            }

            await Task.Delay(100, ct);
        }
    }
}

/// <summary>Commits a row every 10 ms through whichever member is writable; keeps the commit times.</summary>
internal sealed class Writer(string hosts, string password) : IAsyncDisposable
{
    private readonly ConcurrentQueue<(long At, long Id, long ConnectedAt)> commits = new();
    private readonly CancellationTokenSource stop = new();
    private Task? loop;
    private bool disposed;

    public int Failures { get; private set; }

    private string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = hosts, Username = "postgres", Password = password, Database = "postgres",
        TargetSessionAttributes = "read-write", HostRecheckSeconds = 0, Timeout = 2, CommandTimeout = 5, Pooling = false,
    }.ConnectionString;

    public async Task StartAsync(CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench (id bigint PRIMARY KEY)", connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        loop = Task.Run(RunAsync, ct);
    }

    private async Task RunAsync()
    {
        long next = 1;
        long connectedAt = 0;
        NpgsqlConnection? connection = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (connection is null)
                {
                    connection = new NpgsqlConnection(ConnectionString);
                    await connection.OpenAsync(stop.Token);
                    connectedAt = Stopwatch.GetTimestamp();
                }

                await using var insert = new NpgsqlCommand("INSERT INTO bench VALUES ($1) ON CONFLICT DO NOTHING", connection) { Parameters = { new() { Value = next } } };
                await insert.ExecuteNonQueryAsync(stop.Token);
                commits.Enqueue((Stopwatch.GetTimestamp(), next++, connectedAt));
                await Task.Delay(10, stop.Token);
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

                await Task.Delay(10);
            }
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    public double LongestGapSince(long start)
    {
        var times = commits.Select(c => c.At).Where(t => t >= start).Prepend(start).ToList();
        return times.Zip(times.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalSeconds).DefaultIfEmpty(0).Max();
    }

    public async Task<double> FirstCommitAfterAsync(long start, CancellationToken ct)
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

            await Task.Delay(20, ct);
        }
    }

    public async Task<int> LostAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        var present = new HashSet<long>();
        await using var read = new NpgsqlCommand("SELECT id FROM bench", connection);
        await using var reader = await read.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            present.Add(reader.GetInt64(0));
        }

        return commits.Count(c => !present.Contains(c.Id));
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }

        stop.Dispose();
    }
}

/// <summary>Resident memory and CPU of one process, from /proc.</summary>
internal static class Footprint
{
    public static async Task<(double RssMb, double CpuPercent)> MeasureAsync(int pid, TimeSpan window, CancellationToken ct)
    {
        static long Ticks(int pid)
        {
            var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        var before = Ticks(pid);
        await Task.Delay(window, ct);
        var after = Ticks(pid);
        const double ticksPerSecond = 100; // USER_HZ on Linux
        return (Kilobytes(pid, "status", "VmRSS:") / 1024.0, (after - before) / ticksPerSecond / window.TotalSeconds * 100);
    }

    /// <summary>
    /// Memory only this process uses (private clean + dirty pages): RSS also counts the .NET
    /// framework's mapped files, which are read-only and shared with every other .NET process.
    /// </summary>
    public static double PrivateMegabytes(int pid) =>
        (Kilobytes(pid, "smaps_rollup", "Private_Clean:") + Kilobytes(pid, "smaps_rollup", "Private_Dirty:")) / 1024.0;

    private static long Kilobytes(int pid, string file, string field)
    {
        var value = File.ReadLines($"/proc/{pid}/{file}").First(l => l.StartsWith(field, StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return long.Parse(value, CultureInfo.InvariantCulture);
    }
}
