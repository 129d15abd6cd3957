using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Formation;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;
using CitusHa.Testing.Citus;
using CitusHa.Testing.Servers;
using CitusHa.Testing.Workloads;
using Npgsql;

namespace CitusHa.Benchmarks;

/// <summary>
/// A Citus formation (coordinator + two worker groups, two members each) under a client writing and
/// reading through the coordinator: worker switchovers and unplanned worker failovers. Real Citus
/// where it is installed; otherwise the stand-in catalog (no client traffic then: only the
/// pg_dist_node timings mean something).
/// </summary>
internal static class CitusBenchmark
{
    private const string Database = "citus";

    public static async Task RunAsync(int rounds)
    {
        var real = CitusLanes.RealCitusAvailable;
        var root = Directory.CreateTempSubdirectory("citusha-bench-citus-").FullName;
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var options = new LocalFormationOptions
        {
            Root = root,
            AgentCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "citusha.dll")],
            BasePort = LoopbackPorts.FreeRange(14),
            Groups = 3,
            MembersPerGroup = 2,
            CitusLibrary = real ? "auto" : "off",
            EtcdBinary = Environment.GetEnvironmentVariable("CITUSHA_ETCD_BIN") ?? "etcd",
            PostgresBinDirectory = Environment.GetEnvironmentVariable("CITUSHA_PG_BINDIR"),
            RunAsUser = Environment.IsPrivilegedProcess ? "postgres" : null,
            PostgresParameters = new Dictionary<string, string> { ["shared_buffers"] = "32MB", ["max_connections"] = "60" },
        };
        await using var formation = new LocalFormation(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var ct = cts.Token;
        var dcs = DcsSettings.Create([formation.EtcdEndpoint], null, "demo", null, TimeSpan.FromSeconds(3));
        var results = new Results();
        Console.WriteLine(real ? "Citus lane: real Citus (the extension is installed)" : "Citus lane: stand-in catalog (Citus is not installed: no client traffic, catalog timings only)");
        try
        {
            await formation.StartAsync(ct);
            await HealthyAsync(dcs, formation, ct);
            var coordinator = formation.Member((await LeaderAsync(dcs, 0, null, ct))!);
            var client = ConnectionString(coordinator, formation.SuperuserPassword);
            if (!real)
            {
                await CitusLanes.InstallStandInAsync(client, ct);
            }

            await WaitAsync(async () => (await PrimaryPortAsync(client, 2, ct)) is not null, ct);
            NumberedWriter? writer = null;
            DistributedReader? reader = null;
            if (real)
            {
                await ExecuteAsync(client, "CREATE TABLE numbered (id bigint PRIMARY KEY, at timestamptz DEFAULT now()); SELECT create_distributed_table('numbered', 'id', shard_count => 8)", ct);
                writer = BenchWriter.Create(client);
                reader = new DistributedReader(client, "SELECT count(*) FROM numbered", TimeSpan.FromMilliseconds(10));
                await writer.StartAsync(ct);
                reader.Start();
                await Task.Delay(2000, ct);
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            for (var i = 0; i < rounds; i++)
            {
                var leader = (await LeaderAsync(dcs, 1, null, ct))!;
                var candidate = formation.Members.First(m => m.Group == 1 && m.Name != leader);
                var logMark = File.ReadAllLines(coordinator.LogFile).Length;
                var readFailures = reader?.Failures.Count ?? 0;
                var writeFailures = writer?.Failures ?? 0;
                var start = Stopwatch.GetTimestamp();
                var timing = TimePromotionAsync(client, candidate, formation.SuperuserPassword, ct);
                using var response = await http.PostAsJsonAsync($"{formation.Member(leader).ApiUrl}/switchover", new { leader, candidate = candidate.Name }, ct);
                var (promoted, registered) = await timing;
                results.Add("worker switchover: request → promoted (s)", Stopwatch.GetElapsedTime(start, promoted).TotalSeconds);
                results.Add("worker switchover: promoted → pg_dist_node (s)", Stopwatch.GetElapsedTime(promoted, registered).TotalSeconds);
                if (PauseFromLog(coordinator.LogFile, logMark) is { } pause)
                {
                    results.Add("worker switchover: coordinator pause (s)", pause);
                }

                await HealthyAsync(dcs, formation, ct);
                await Task.Delay(1500, ct);
                if (writer is not null && reader is not null)
                {
                    results.Add("worker switchover: client write stall (s)", writer.LongestGapSince(start));
                    results.Add("worker switchover: failed writes", writer.Failures - writeFailures);
                    results.Add("worker switchover: failed multi-shard reads", reader.Failures.Count - readFailures);
                }
            }

            for (var i = 0; i < rounds; i++)
            {
                var leader = formation.Member((await LeaderAsync(dcs, 1, null, ct))!);
                var candidate = formation.Members.First(m => m.Group == 1 && m.Name != leader.Name);
                await using var leaderKey = await LeaderKeyWatch.StartAsync(dcs, 1, ct);
                var timing = TimePromotionAsync(client, candidate, formation.SuperuserPassword, ct);
                var start = Stopwatch.GetTimestamp();
                await formation.KillAsync(leader, postgresToo: true, ct);
                var (promoted, registered) = await timing;
                var expired = await leaderKey.DeletedAsync(ct);
                results.Add("worker lost: kill → lease expired (s)", Stopwatch.GetElapsedTime(start, expired).TotalSeconds);
                results.Add("worker lost: lease expired → promoted (s)", Stopwatch.GetElapsedTime(expired, promoted).TotalSeconds);
                results.Add("worker lost: promoted → pg_dist_node (s)", Stopwatch.GetElapsedTime(promoted, registered).TotalSeconds);
                results.Add("worker lost: kill → pg_dist_node (s)", Stopwatch.GetElapsedTime(start, registered).TotalSeconds);
                if (writer is not null)
                {
                    await Task.Delay(1500, ct);
                    var (_, resumed) = writer.LongestGapAfter(start);
                    results.Add("worker lost: client write stall (s)", writer.LongestGapSince(start));
                    results.Add("worker lost: lease expired → writes (s)", Stopwatch.GetElapsedTime(expired, resumed).TotalSeconds);
                    results.Add($"worker lost: stall ≤ ttl + 1 s = {formation.Ttl.TotalSeconds + 1:0} s (1 yes, 0 no)", writer.LongestGapSince(start) <= formation.Ttl.TotalSeconds + 1 ? 1 : 0);
                }

                formation.StartAgent(leader);
                await HealthyAsync(dcs, formation, ct);
                await Task.Delay(1000, ct);
            }

            if (writer is not null && reader is not null)
            {
                await writer.DisposeAsync();
                await reader.DisposeAsync();
                results.Add("client: failed writes, all rounds (kills included)", writer.Failures);
                results.Add("client: acknowledged rows lost", (await writer.LostAsync(client, ct)).Count);
            }
        }
        finally
        {
            results.Print(Console.Out);
            await formation.DisposeAsync();
            if (Environment.GetEnvironmentVariable("CITUSHA_BENCH_KEEP") is null)
            {
                Directory.Delete(root, recursive: true);
            }
            else
            {
                Console.WriteLine($"kept {root} (agent logs)");
            }
        }
    }

    /// <summary>
    /// When <paramref name="candidate"/> became writable, and when pg_dist_node first showed it as group
    /// 1's primary: two probes at once, each on its own session, every 5 ms.
    /// </summary>
    private static async Task<(long Promoted, long Registered)> TimePromotionAsync(string coordinator, LocalMember candidate, string password, CancellationToken ct)
    {
        var promoted = ProbeAsync(ConnectionString(candidate, password, "postgres"), "SELECT NOT pg_is_in_recovery()", ct);
        var registered = ProbeAsync(coordinator, $"SELECT EXISTS (SELECT 1 FROM pg_dist_node WHERE groupid = {candidate.Group} AND noderole = 'primary' AND nodeport = {candidate.PostgresPort} AND nodename NOT LIKE '%-demoted')", ct);
        return (await promoted, await registered);
    }

    /// <summary>The moment <paramref name="sql"/> first answers true (reconnecting after failures).</summary>
    private static async Task<long> ProbeAsync(string connectionString, string sql, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(120));
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(deadline.Token);
                while (true)
                {
                    await using var command = new NpgsqlCommand(sql, connection);
                    if (await command.ExecuteScalarAsync(deadline.Token) is true)
                    {
                        return Stopwatch.GetTimestamp();
                    }

                    await Task.Delay(5, deadline.Token);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                await Task.Delay(5, deadline.Token);
            }
        }
    }

    /// <summary>The coordinator's open pause: from its before_demote task to the commit of group 1's after_promote (agent log, ms resolution).</summary>
    private static double? PauseFromLog(string logFile, int fromLine)
    {
        DateTime? begin = null;
        foreach (var line in File.ReadLines(logFile).Skip(fromLine))
        {
            if (line.Length < 23 || !DateTime.TryParseExact(line[..23], "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                continue;
            }

            if (begin is null && line.Contains("pg_dist_node: before_demote group 1", StringComparison.Ordinal))
            {
                begin = at;
            }
            else if (begin is { } b && line.Contains("pg_dist_node: after_promote group 1", StringComparison.Ordinal) && line.Contains("Committed", StringComparison.Ordinal))
            {
                return (at - b).TotalSeconds;
            }
        }

        return null;
    }

    private static async Task<int?> PrimaryPortAsync(string coordinator, int group, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(coordinator);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT nodeport FROM pg_dist_node WHERE groupid = $1 AND noderole = 'primary' AND nodename NOT LIKE '%-demoted'", connection) { Parameters = { new() { Value = group } } };
        return await command.ExecuteScalarAsync(ct) is int port ? port : null;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string ConnectionString(LocalMember member, string password, string database = Database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = member.PostgresPort,
        Username = "postgres",
        Password = password,
        Database = database,
        Timeout = 2,
        CommandTimeout = 60,
        Pooling = false,
    }.ConnectionString;

    private static async Task<string?> LeaderAsync(DcsSettings dcs, int group, string? notThis, CancellationToken ct)
    {
        string? leader = null;
        await WaitAsync(async () =>
        {
            leader = (await Waits.MembersAsync(dcs, ct)).FirstOrDefault(m => m.Group == group && m.Role == MemberRole.Leader && m.State == "running" && m.Name != notThis)?.Name;
            return leader is not null;
        }, ct);
        return leader;
    }

    private static async Task HealthyAsync(DcsSettings dcs, LocalFormation formation, CancellationToken ct) =>
        await WaitAsync(async () =>
        {
            var members = await Waits.MembersAsync(dcs, ct);
            return members.Count == formation.Members.Count && members.GroupBy(m => m.Group).All(g =>
                g.Count(m => m.Role == MemberRole.Leader && m.State == "running") == 1 && g.All(m => m.Role == MemberRole.Leader || m.State == "streaming"));
        }, ct);

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken ct, TimeSpan? every = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(120));
        while (!await condition())
        {
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(50), deadline.Token);
        }
    }
}

/// <summary>When a group's leader key disappears (its lease expired or was revoked), seen through an etcd watch.</summary>
internal sealed class LeaderKeyWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource<long> deleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IDcsStore store;
    private Task watching = Task.CompletedTask;

    private LeaderKeyWatch(IDcsStore store) => this.store = store;

    public static async Task<LeaderKeyWatch> StartAsync(DcsSettings dcs, int group, CancellationToken ct)
    {
        var watch = new LeaderKeyWatch(DcsConnection.Open(dcs));
        var key = DcsPaths.GroupKey(dcs.Namespace, dcs.Scope!, group, DcsPaths.Leader);
        var revision = (await watch.store.ReadPrefixAsync(key, ct)).Revision;
        watch.watching = watch.WatchAsync(key, revision);
        return watch;
    }

    /// <summary>The Stopwatch timestamp of the first delete after the watch began.</summary>
    public async Task<long> DeletedAsync(CancellationToken ct) => await deleted.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);

    private async Task WatchAsync(string key, long revision)
    {
        try
        {
            await foreach (var change in store.WatchPrefixAsync(key, revision, stop.Token))
            {
                if (change.Kind == DcsWatchEventKind.Delete)
                {
                    deleted.TrySetResult(Stopwatch.GetTimestamp());
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            deleted.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await watching;
        await store.DisposeAsync();
        stop.Dispose();
    }
}

