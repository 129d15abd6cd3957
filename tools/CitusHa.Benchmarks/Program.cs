using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using CitusHa.Benchmarks;
using CitusHa.Core.Configuration;
using CitusHa.Core.Formation;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

// citusha-bench [--rounds N]: a three-member formation under a writer committing every 10 ms.
// citusha-bench --citus [--rounds N]: a Citus formation (3 groups x 2), worker switchovers and failovers.
// citusha-bench --soak [--faults N] [--seed S]: random faults from the whole class under a quorum-mode writer.
var citus = args.Contains("--citus");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var at && at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
var rounds = Option("--rounds", 3);
if (args.Contains("--soak"))
{
    try
    {
        await FaultSoak.RunAsync(Option("--faults", 12), Option("--seed", Environment.TickCount));
    }
    catch (OperationCanceledException)
    {
        // Ctrl+C, SIGTERM or the soak's own time limit: the numbers so far are printed and every process stopped.
        Console.Error.WriteLine("fault soak: stopped before its last fault (interrupted or out of time)");
        Environment.ExitCode = 130;
    }

    return;
}

if (citus)
{
    await CitusBenchmark.RunAsync(rounds);
    return;
}

var root = Directory.CreateTempSubdirectory("citusha-bench-").FullName;
File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
var basePort = CitusHa.Testing.Servers.LoopbackPorts.FreeRange(8);
var options = new LocalFormationOptions
{
    Root = root,
    AgentCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "citusha.dll")],
    BasePort = basePort,
    EtcdBinary = Environment.GetEnvironmentVariable("CITUSHA_ETCD_BIN") ?? "etcd",
    PostgresBinDirectory = Environment.GetEnvironmentVariable("CITUSHA_PG_BINDIR"),
    RunAsUser = Environment.IsPrivilegedProcess ? "postgres" : null,
    PostgresParameters = new Dictionary<string, string> { ["shared_buffers"] = "32MB" },
};
await using var formation = new LocalFormation(options);
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
var ct = cts.Token;
var dcs = DcsSettings.Create([formation.EtcdEndpoint], null, "demo", null, TimeSpan.FromSeconds(3));
var results = new Results();
try
{
    await formation.StartAsync(ct);
    await Waits.HealthyAsync(dcs, 3, null, ct);
    var primary = BenchWriter.ConnectionString(string.Join(",", formation.Members.Select(m => $"127.0.0.1:{m.PostgresPort}")), formation.SuperuserPassword);
    await using var writer = BenchWriter.Create(primary);
    await writer.StartAsync(ct);
    await Task.Delay(2000, ct);

    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    for (var i = 0; i < rounds; i++)
    {
        var leader = (await Waits.LeaderAsync(dcs, ct))!;
        var start = Stopwatch.GetTimestamp();
        var response = await http.PostAsJsonAsync($"{formation.Member(leader).ApiUrl}/switchover", new { leader }, ct);
        var newLeader = await Waits.NewLeaderAsync(dcs, leader, ct);
        results.Add("switchover: request → new leader (s)", Stopwatch.GetElapsedTime(start).TotalSeconds);
        await Waits.HealthyAsync(dcs, 3, newLeader, ct);
        await Task.Delay(1000, ct);
        results.Add("switchover: longest write gap (s)", writer.LongestGapSince(start));
        _ = response;
    }

    for (var i = 0; i < rounds; i++)
    {
        var leader = (await Waits.LeaderAsync(dcs, ct))!;
        var member = formation.Member(leader);
        var start = Stopwatch.GetTimestamp();
        await LocalFormation.SignalAsync(LocalFormation.PostmasterPid(member), "KILL", ct);
        results.Add("postgres crash: kill → first write (s)", await writer.FirstCommitAfterAsync(start, ct));
        await Waits.HealthyAsync(dcs, 3, null, ct);
        await Task.Delay(1000, ct);
    }

    for (var i = 0; i < rounds; i++)
    {
        var leader = (await Waits.LeaderAsync(dcs, ct))!;
        var member = formation.Member(leader);
        await formation.KillAsync(member, postgresToo: true, ct);
        var start = Stopwatch.GetTimestamp(); // after the kill returned: every process of the member is gone
        var newLeader = await Waits.NewLeaderAsync(dcs, leader, ct);
        results.Add("member lost: kill → new leader (s)", Stopwatch.GetElapsedTime(start).TotalSeconds);
        results.Add("member lost: kill → first write (s)", await writer.FirstCommitAfterAsync(start, ct));
        formation.StartAgent(member);
        await Waits.HealthyAsync(dcs, 3, newLeader, ct);
        await Task.Delay(1000, ct);
    }

    await writer.DisposeAsync(); // stop writing first: a commit made after the check would look lost
    results.Add("writer: failed statements", writer.Failures);
    var lost = (await writer.LostAsync(primary, ct)).Count;
    results.Add("writer: acknowledged rows lost", lost);

    // The footprint of an idle agent (a standby's, so the leader's upkeep is not counted twice).
    var idle = (await Waits.MembersAsync(dcs, ct)).First(m => m.Role != MemberRole.Leader).Name;
    var pid = formation.AgentPid(formation.Member(idle))!.Value;
    await Task.Delay(2000, ct);
    var (rss, cpu) = await Footprint.MeasureAsync(pid, TimeSpan.FromSeconds(10), ct);
    results.Add("agent RSS (MB)", rss);
    results.Add("agent private memory, RSS without shared framework files (MB)", Footprint.PrivateMegabytes(pid));
    results.Add("agent idle CPU (% of one core)", cpu);
}
finally
{
    results.Print(Console.Out);
    await formation.DisposeAsync();
    Directory.Delete(root, recursive: true);
}
