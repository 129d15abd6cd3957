using System.Diagnostics;
using System.Globalization;
using CitusHa.Core.Configuration;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;
using CitusHa.Testing.Workloads;
using Npgsql;

namespace CitusHa.Benchmarks;

internal sealed class Results
{
    private readonly List<(string Name, double Value)> values = [];

    public void Add(string name, double value) => values.Add((name, value));

    public void Print(TextWriter output)
    {
        var width = Math.Max(42, values.Count == 0 ? 0 : values.Max(v => v.Name.Length));
        output.WriteLine();
        output.WriteLine($"{"measure".PadRight(width)} {"n",3} {"min",8} {"median",8} {"max",8}");
        foreach (var group in values.GroupBy(v => v.Name))
        {
            var sorted = group.Select(g => g.Value).Order().ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Key.PadRight(width)} {sorted.Count,3} {sorted[0],8:0.00} {sorted[sorted.Count / 2],8:0.00} {sorted[^1],8:0.00}"));
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

/// <summary>The benchmark's writer: a commit every 10 ms through whichever member is writable.</summary>
internal static class BenchWriter
{
    public static string ConnectionString(string hosts, string password) => new NpgsqlConnectionStringBuilder
    {
        Host = hosts, Username = "postgres", Password = password, Database = "postgres",
        TargetSessionAttributes = "read-write", HostRecheckSeconds = 0, Timeout = 2, CommandTimeout = 5, Pooling = false,
    }.ConnectionString;

    public static NumberedWriter Create(string connectionString) => new(connectionString, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10));
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
