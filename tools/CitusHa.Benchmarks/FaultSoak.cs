using System.Diagnostics;
using System.Globalization;
using CitusHa.Core.Configuration;
using CitusHa.Core.Formation;
using Npgsql;

namespace CitusHa.Benchmarks;

/// <summary>
/// citusha-bench --soak [--faults N] [--seed S]: a three-member group in quorum mode under a writer
/// committing every 10 ms, and N faults drawn at random from the whole class: any process of any
/// member killed or frozen for up to 3 × ttl, the whole group stopped and started again, etcd frozen
/// (unreachable) for up to 3 × ttl, a member's disk full for up to 3 × ttl (its data directory is a
/// tmpfs shrunk to what it holds; root only), etcd killed and restarted, etcd cut off from one member
/// (its loopback proxy resets every connection) for up to 3 × ttl. Per fault it prints how long until the group was healthy and
/// writable again; over the soak, acknowledged writes lost, moments with two writable primaries, and
/// members that did not come back by themselves (a manual reinit). Prints numbers, asserts nothing.
/// </summary>
internal static class FaultSoak
{
    private static readonly string[] Kinds =
    [
        "kill -9 agent", "kill -9 postmaster", "freeze agent", "freeze postmaster", "kill -9 whole member", "group restart", "freeze etcd", "disk full", "etcd restart", "etcd cut from member",
    ];

    public static async Task RunAsync(int faults, int seed)
    {
        var random = new Random(seed);
        var root = Directory.CreateTempSubdirectory("citusha-soak-").FullName;
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var proxies = new System.Collections.Concurrent.ConcurrentDictionary<string, CitusHa.Testing.Servers.TcpProxy>(StringComparer.Ordinal);
        var basePort = CitusHa.Testing.Servers.LoopbackPorts.FreeRange(8);
        var etcdPort = basePort;
        var options = new LocalFormationOptions
        {
            Root = root,
            AgentCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "citusha.dll")],
            BasePort = basePort,
            RunAsUser = Environment.IsPrivilegedProcess ? "postgres" : null,
            PostgresParameters = new Dictionary<string, string> { ["shared_buffers"] = "32MB", ["fsync"] = "off" },
            SynchronousMode = "quorum",
            // Each member reaches etcd through its own loopback proxy: cutting it is a partition of that member alone.
            EtcdEndpointFor = name => proxies.GetOrAdd(name, _ => new CitusHa.Testing.Servers.TcpProxy(etcdPort)).Endpoint,
        };
        await using var formation = new LocalFormation(options);
        var disks = new SmallDisks();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10 + (3 * faults)));
        // Ctrl+C or SIGTERM ends the soak through the finally below, which stops every process it started.
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        var ct = cts.Token;
        var dcs = DcsSettings.Create([formation.EtcdEndpoint], null, "demo", null, TimeSpan.FromSeconds(3));
        var results = new Results();
        var stuck = 0;
        var unfenced = 0;
        // CITUSHA_SOAK_AT_LEADER=1: agent faults always hit the leader (where the watchdog matters).
        var atLeader = Environment.GetEnvironmentVariable("CITUSHA_SOAK_AT_LEADER") == "1";
        var keep = Environment.GetEnvironmentVariable("CITUSHA_SOAK_KEEP") == "1";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fault soak: {faults} faults, seed {seed}, ttl {formation.Ttl.TotalSeconds:0} s"));
        try
        {
            var kinds = await disks.MountAsync(formation.Members, options.RunAsUser, ct) ? Kinds : Kinds.Where(k => k != "disk full").ToArray();
            if (Environment.GetEnvironmentVariable("CITUSHA_SOAK_KINDS") is { Length: > 0 } only)
            {
                // A comma-separated subset, to repeat one class of fault (e.g. "freeze agent,freeze postmaster").
                var wanted = only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                kinds = kinds.Where(wanted.Contains).ToArray();
                if (kinds.Length == 0)
                {
                    throw new ArgumentException($"CITUSHA_SOAK_KINDS names none of the faults: use any of {string.Join(", ", Kinds)}.");
                }
            }

            await formation.StartAsync(ct);
            await Waits.HealthyAsync(dcs, 3, null, ct);
            var primary = BenchWriter.ConnectionString(string.Join(",", formation.Members.Select(m => $"127.0.0.1:{m.PostgresPort}")), formation.SuperuserPassword);
            await using var writer = BenchWriter.Create(primary);
            await writer.StartAsync(ct);
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var splitBrain = WatchForTwoPrimariesAsync(formation, watching.Token);
            var lostSoFar = new HashSet<long>();

            for (var i = 1; i <= faults; i++)
            {
                var kind = kinds[random.Next(kinds.Length)];
                var member = formation.Members[random.Next(formation.Members.Count)];
                var hold = kind == "kill -9 postmaster" ? TimeSpan.Zero : TimeSpan.FromMilliseconds(random.Next(500, (int)(3 * formation.Ttl.TotalMilliseconds)));
                var leader = await Waits.LeaderAsync(dcs, ct) ?? "none";
                if (atLeader && kind is "freeze agent" or "kill -9 agent")
                {
                    member = formation.Members.FirstOrDefault(m => m.Name == leader) ?? member;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fault {i} at {DateTime.UtcNow:HH:mm:ss.fff}: {kind} on {member.Name}, leader {leader}"));
                var start = Stopwatch.GetTimestamp();
                var fence = new FenceCheck(kind, member, leader, hold, formation.Ttl);
                await InjectAsync(formation, disks, proxies, kind, member, hold, fence, ct);
                if (fence.Missed)
                {
                    unfenced++;
                    keep = true;
                    Console.WriteLine($"fault {i}: {kind} on {member.Name}: the leader's postmaster {fence.Postmaster} still ran at the end of the {hold.TotalSeconds:0.0} s hold (> ttl): its watchdog did not fence it");
                }

                var ended = Stopwatch.GetTimestamp(); // the process killed, resumed or restarted
                var healed = await HealedAsync(dcs, writer, ct);
                if (healed is null)
                {
                    stuck++;
                    keep = true;
                    Console.WriteLine($"fault {i}: {kind} on {member.Name} (held {hold.TotalSeconds:0.0} s): NOT healthy within 120 s; the soak stops here (the group needs a hand)");
                    Console.WriteLine(string.Join(Environment.NewLine, (await Waits.MembersAsync(dcs, ct)).Select(m => $"  {m.Name}: {m.Role} {m.State} TL{m.Timeline}")));
                    break;
                }

                // Lost writes after every fault, so the one that lost them is named. Only numbers
                // acknowledged before the read count: one acknowledged after it is not in that read yet.
                var acknowledged = writer.Acknowledged.ToHashSet();
                var lostNow = (await LostAsync(writer, primary, ct)).Where(acknowledged.Contains).Except(lostSoFar).ToList();
                if (lostNow.Count > 0)
                {
                    lostSoFar.UnionWith(lostNow);
                    keep = true;
                    Console.WriteLine($"fault {i}: {kind} on {member.Name}: {lostNow.Count} acknowledged writes lost ({string.Join(", ", lostNow.Take(10))})");
                }

                var afterEnd = Stopwatch.GetElapsedTime(ended, healed.Value).TotalSeconds;
                results.Add($"{kind}: fault over → healthy+writable (s)", afterEnd);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fault {i}: {kind} on {member.Name} (held {hold.TotalSeconds:0.0} s): healthy and writable {Stopwatch.GetElapsedTime(start, healed.Value).TotalSeconds:0.0} s after it began, {afterEnd:0.0} s after it was over"));
            }

            await writer.DisposeAsync();
            await watching.CancelAsync();
            // (After a stop above the lost-write check may count rows of a group that never healed.)
            var twoPrimaries = await splitBrain;
            results.Add("acknowledged writes lost", (await LostAsync(writer, primary, ct)).Count);
            results.Add("acknowledged writes", writer.Acknowledged.Count);
            results.Add("commits returned unreplicated (sync wait cancelled; not counted)", writer.Unreplicated);
            results.Add("moments with two writable primaries", twoPrimaries);
            results.Add("faults that needed a manual restart/reinit", stuck);
            results.Add("leaders silent past ttl whose primary was not fenced", unfenced);
        }
        finally
        {
            results.Print(Console.Out);
            await formation.DisposeAsync();
            foreach (var proxy in proxies.Values)
            {
                await proxy.DisposeAsync();
            }

            if (keep)
            {
                // A loss or a stuck group is only worth the run if its logs can be read afterwards.
                Console.WriteLine($"logs kept in {root} (agent.log and PostgreSQL's log per member)");
                if (disks.Available)
                {
                    Console.WriteLine($"the data directories are still tmpfs mounts: umount -l {string.Join(" ", formation.Members.Select(m => m.DataDirectory))} when done");
                }
            }
            else
            {
                await disks.UnmountAllAsync();
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task InjectAsync(LocalFormation formation, SmallDisks disks, System.Collections.Concurrent.ConcurrentDictionary<string, CitusHa.Testing.Servers.TcpProxy> proxies, string kind, LocalMember member, TimeSpan hold, FenceCheck fence, CancellationToken ct)
    {
        switch (kind)
        {
            case "kill -9 agent":
                await LocalFormation.SignalAsync(formation.AgentPid(member), "KILL", ct);
                await Task.Delay(hold, ct);
                fence.Check();
                formation.StartAgent(member);
                break;
            case "kill -9 postmaster":
                await LocalFormation.SignalAsync(LocalFormation.PostmasterPid(member), "KILL", ct);
                break;
            case "freeze agent":
                await FreezeAsync(formation.AgentPid(member), hold, ct, fence.Check);
                break;
            case "freeze postmaster":
                await FreezeAsync(LocalFormation.PostmasterPid(member), hold, ct);
                break;
            case "kill -9 whole member":
                await formation.KillAsync(member, postgresToo: true, ct);
                await Task.Delay(hold, ct);
                formation.StartAgent(member);
                break;
            case "group restart":
                await Task.WhenAll(formation.Members.Select(m => formation.StopAgentAsync(m, TimeSpan.FromSeconds(60), ct)));
                await Task.Delay(hold, ct);
                foreach (var m in formation.Members)
                {
                    formation.StartAgent(m);
                }

                break;
            case "freeze etcd":
                await FreezeAsync(formation.EtcdPid, hold, ct);
                break;
            case "disk full":
                await disks.FillAsync(member, hold, ct);
                break;
            case "etcd restart":
                await formation.RestartEtcdAsync(hold, ct);
                break;
            case "etcd cut from member":
                proxies[member.Name].Cut();
                try
                {
                    await Task.Delay(hold, ct);
                }
                finally
                {
                    proxies[member.Name].Restore();
                }

                break;
        }
    }

    private static async Task FreezeAsync(int? pid, TimeSpan hold, CancellationToken ct, Action? beforeResuming = null)
    {
        if (pid is null)
        {
            return;
        }

        await LocalFormation.SignalAsync(pid, "STOP", ct);
        try
        {
            await Task.Delay(hold, ct);
            beforeResuming?.Invoke();
        }
        finally
        {
            await LocalFormation.SignalAsync(pid, "CONT", CancellationToken.None);
        }
    }

    /// <summary>
    /// The writer's lost rows, read from the primary; a primary that has just been healthy may be gone
    /// again for a moment (a member restarting), so a failed read is tried again for up to a minute.
    /// </summary>
    private static async Task<IReadOnlyList<long>> LostAsync(CitusHa.Testing.Workloads.NumberedWriter writer, string primary, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await writer.LostAsync(primary, ct);
            }
            catch (NpgsqlException) when (attempt < 60)
            {
                await Task.Delay(1000, ct);
            }
        }
    }

    /// <summary>When three members are healthy again and a write has committed since (a Stopwatch timestamp); null after 120 s.</summary>
    private static async Task<long?> HealedAsync(DcsSettings dcs, CitusHa.Testing.Workloads.NumberedWriter writer, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            await Waits.HealthyAsync(dcs, 3, null, limit.Token);
            var before = writer.Acknowledged.Count;
            while (writer.Acknowledged.Count <= before)
            {
                await Task.Delay(20, limit.Token);
            }

            return Stopwatch.GetTimestamp();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Every 200 ms, asks each member whether it takes writes; counts the rounds in which two did.</summary>
    private static async Task<int> WatchForTwoPrimariesAsync(LocalFormation formation, CancellationToken ct)
    {
        var moments = 0;
        while (!ct.IsCancellationRequested)
        {
            var writable = await Task.WhenAll(formation.Members.Select(m => IsWritableAsync(m, formation.SuperuserPassword, ct)));
            if (writable.Count(w => w) > 1)
            {
                moments++;
                Console.WriteLine($"two writable primaries at {DateTime.UtcNow:HH:mm:ss.fff}");
            }

            try
            {
                await Task.Delay(200, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return moments;
    }

    private static async Task<bool> IsWritableAsync(LocalMember member, string password, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = member.PostgresPort, Username = "postgres", Password = password, Database = "postgres", Timeout = 1, CommandTimeout = 1, Pooling = false,
            }.ConnectionString);
            await connection.OpenAsync(ct);
            await using var probe = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
            return (bool)(await probe.ExecuteScalarAsync(ct))!;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>
/// The watchdog's promise, checked directly rather than through lost writes (which need an unlucky
/// moment to show): a leader whose agent is frozen or killed for longer than ttl must have had its
/// postmaster fenced by the end of the hold, since its lease ended before that.
/// </summary>
internal sealed class FenceCheck
{
    private readonly bool applies;
    private readonly DateTime? startedAt;

    public FenceCheck(string kind, LocalMember member, string leader, TimeSpan hold, TimeSpan ttl)
    {
        applies = kind is "freeze agent" or "kill -9 agent" && member.Name == leader && hold > ttl;
        Postmaster = applies ? LocalFormation.PostmasterPid(member) : null;
        startedAt = Postmaster is { } pid ? StartTime(pid) : null;
    }

    public int? Postmaster { get; }

    public bool Missed { get; private set; }

    /// <summary>
    /// At the end of the hold, before the agent runs again: is the same postmaster still alive? (A
    /// fenced postmaster of a frozen agent stays a zombie until the agent reaps it: that is not alive.)
    /// </summary>
    public void Check() => Missed = applies && Postmaster is { } pid && startedAt is { } started && CitusHa.Core.Adapters.Processes.ProcessTable.IsAlive(pid) && StartTime(pid) == started;

    private static DateTime? StartTime(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
