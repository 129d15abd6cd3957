using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Adapters.Processes;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Formation;

/// <summary>
/// A whole formation on one machine: etcd plus G groups × M agents as processes on loopback ports,
/// under one folder. The quick start, the integration tests and the benchmarks all use it. Every
/// process is stopped by its own PID.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalFormation : IAsyncDisposable
{
    private readonly LocalFormationOptions options;
    private readonly Dictionary<string, Process> agents = new(StringComparer.Ordinal);
    private readonly object gate = new();
    private Process? etcd;

    public LocalFormation(LocalFormationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        EtcdEndpoint = $"127.0.0.1:{options.BasePort}";
        Members = Enumerable.Range(0, options.Groups)
            .SelectMany(g => Enumerable.Range(0, options.MembersPerGroup).Select(m =>
            {
                var index = (g * options.MembersPerGroup) + m;
                var name = $"{options.Scope}-{g}-{m}";
                return new LocalMember(name, g, options.BasePort + 2 + (2 * index), options.BasePort + 3 + (2 * index), Path.Combine(options.Root, name), options.RestApiTls is null ? "http" : "https");
            }))
            .ToList();
        SuperuserPassword = Secret();
        ReplicationPassword = Secret();
    }

    public IReadOnlyList<LocalMember> Members { get; }

    /// <summary>The leader lease's ttl the formation bootstraps with.</summary>
    public TimeSpan Ttl => TimeSpan.FromSeconds(options.Ttl);

    public string EtcdEndpoint { get; }

    public string SuperuserPassword { get; }

    public string ReplicationPassword { get; }

    public LocalMember Member(string name) => Members.Single(m => m.Name == name);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Root);
        await StartEtcdAsync(cancellationToken).ConfigureAwait(false);
        foreach (var member in Members.Where(m => !options.DeferredGroups.Contains(m.Group)))
        {
            WriteConfig(member);
            StartAgent(member);
        }
    }

    /// <summary>Starts the members of a group left out at start (<see cref="LocalFormationOptions.DeferredGroups"/>): a worker group joining later.</summary>
    public void StartGroup(int group)
    {
        foreach (var member in Members.Where(m => m.Group == group))
        {
            WriteConfig(member);
            StartAgent(member);
        }
    }

    /// <summary>Starts (or restarts) a member's agent.</summary>
    public void StartAgent(LocalMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (gate)
        {
            if (agents.TryGetValue(member.Name, out var running) && !running.HasExited)
            {
                return;
            }

            var info = new ProcessStartInfo(options.AgentCommand[0])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var argument in options.AgentCommand.Skip(1).Concat(["run", "-c", member.ConfigFile]))
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("CITUSHA_", StringComparison.Ordinal) || k.StartsWith("PATRONI_", StringComparison.Ordinal)).ToList())
            {
                info.Environment.Remove(name);
            }

            if (options.EnvironmentFor?.Invoke(member) is { } extra)
            {
                foreach (var (name, value) in extra)
                {
                    info.Environment[name] = value;
                }
            }

            var process = new Process { StartInfo = info };
            var log = new StreamWriter(member.LogFile, append: true) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => Write(log, e.Data);
            process.ErrorDataReceived += (_, e) => Write(log, e.Data);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => log.Dispose();
            agents[member.Name] = process;
        }
    }

    /// <summary>etcd's PID, or null when it is not running (the fault soak freezes it).</summary>
    public int? EtcdPid => etcd is { HasExited: false } running ? running.Id : null;

    /// <summary>The agent's PID, or null when it is not running.</summary>
    public int? AgentPid(LocalMember member)
    {
        lock (gate)
        {
            return agents.TryGetValue(member.Name, out var p) && !p.HasExited ? p.Id : null;
        }
    }

    /// <summary>The postmaster's PID from postmaster.pid, or null.</summary>
    public static int? PostmasterPid(LocalMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        return PostmasterPidFile.Read(member.DataDirectory);
    }

    /// <summary>kill -9 of the agent and, if asked, everything it started: the whole member lost at once.</summary>
    public async Task KillAsync(LocalMember member, bool postgresToo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        // The whole member, as when its pod is deleted: every process below the agent (the postmaster
        // and every backend, the watchdog), not only the postmaster (orphaned backends would keep
        // serving their sessions for a moment).
        var agent = AgentPid(member);
        var postgres = postgresToo && agent is { } agentPid ? ProcessTable.Descendants(agentPid) : [];
        await SignalAsync(agent, "KILL", cancellationToken).ConfigureAwait(false);
        foreach (var pid in postgres)
        {
            await SignalAsync(pid, "KILL", cancellationToken).ConfigureAwait(false);
        }

        await WaitForAgentExitAsync(member, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGTERM: the agent hands over (if it leads), stops PostgreSQL and exits.</summary>
    public async Task StopAgentAsync(LocalMember member, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await SignalAsync(AgentPid(member), "TERM", cancellationToken).ConfigureAwait(false);
        await WaitForAgentExitAsync(member, timeout, cancellationToken).ConfigureAwait(false);
    }

    public static Task SignalAsync(int? pid, string signal, CancellationToken cancellationToken) =>
        pid is { } p
            ? new CommandRunner().RunAsync("kill", [$"-{signal}", p.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5), cancellationToken)
            : Task.CompletedTask;

    private bool disposed;

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        List<Process> running;
        lock (gate)
        {
            running = [.. agents.Values];
        }

        foreach (var agent in running.Where(a => !a.HasExited))
        {
            await SignalAsync(agent.Id, "TERM", CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var agent in running)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await agent.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                agent.Kill(entireProcessTree: true);
            }

            agent.Dispose();
        }

        // An agent killed earlier leaves its postmaster behind: stop those by their PIDs too.
        foreach (var member in Members)
        {
            if (PostmasterPid(member) is { } pid && IsProcessOf(pid, member.DataDirectory))
            {
                await SignalAsync(pid, "QUIT", CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (etcd is { HasExited: false })
        {
            etcd.Kill(entireProcessTree: true);
            await etcd.WaitForExitAsync().ConfigureAwait(false);
        }

        etcd?.Dispose();
    }

    private static bool IsProcessOf(int pid, string dataDirectory) =>
        ProcessTable.CommandLine(pid) is { } arguments && string.Join('\0', arguments).Contains(dataDirectory, StringComparison.Ordinal);

    private async Task WaitForAgentExitAsync(LocalMember member, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Process? process;
        lock (gate)
        {
            agents.TryGetValue(member.Name, out process);
        }

        if (process is null)
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout);
        await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
    }

    /// <summary>etcd killed (kill -9) and started again on the same data after <paramref name="down"/>: leases and keys survive, as in a real restart.</summary>
    public async Task RestartEtcdAsync(TimeSpan down, CancellationToken cancellationToken)
    {
        if (etcd is { HasExited: false } running)
        {
            running.Kill();
            await running.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(down, cancellationToken).ConfigureAwait(false);
        await StartEtcdAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StartEtcdAsync(CancellationToken cancellationToken)
    {
        var data = Path.Combine(options.Root, "etcd");
        var info = new ProcessStartInfo(options.EtcdBinary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var client = $"http://{EtcdEndpoint}";
        var peer = $"http://127.0.0.1:{options.BasePort + 1}";
        foreach (var a in new[]
        {
            "--name", "local", "--data-dir", data, "--log-level", "warn",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"local={peer}",
        })
        {
            info.ArgumentList.Add(a);
        }

        etcd = Process.Start(info) ?? throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed, $"Cannot start etcd ({options.EtcdBinary}).");
        etcd.BeginOutputReadLine();
        etcd.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (etcd.HasExited)
            {
                throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed, $"etcd exited with code {etcd.ExitCode} while starting on {client} (is the port free?).");
            }

            try
            {
                if ((await http.GetStringAsync(new Uri($"{client}/health"), deadline.Token).ConfigureAwait(false)).Contains("true", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not up yet.
            }

            await Task.Delay(100, deadline.Token).ConfigureAwait(false);
        }
    }

    private void WriteConfig(LocalMember member)
    {
        Directory.CreateDirectory(member.Directory);
        File.SetUnixFileMode(member.Directory, (UnixFileMode)0b111_101_101);
        var endpoint = options.EtcdEndpointFor?.Invoke(member.Name) ?? EtcdEndpoint;
        var yaml = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"scope: {options.Scope}")
            .AppendLine(CultureInfo.InvariantCulture, $"name: {member.Name}");
        if (!options.Plain)
        {
            yaml.AppendLine("citus:")
                .AppendLine(CultureInfo.InvariantCulture, $"  group: {member.Group}")
                .AppendLine(CultureInfo.InvariantCulture, $"  database: {options.CitusDatabase}")
                .AppendLine(CultureInfo.InvariantCulture, $"  library: {options.CitusLibrary}");
        }

        yaml.AppendLine("etcd3:")
            .AppendLine(CultureInfo.InvariantCulture, $"  hosts: {endpoint}")
            .AppendLine("restapi:")
            .AppendLine(CultureInfo.InvariantCulture, $"  listen: 127.0.0.1:{member.ApiPort}");
        if (options.RestApiTls is { } tls)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  certfile: {tls.CertificateFile}")
                .AppendLine(CultureInfo.InvariantCulture, $"  cafile: {tls.CaFile}");
        }

        if (options.RestApiAuthentication is { } auth)
        {
            yaml.AppendLine("  authentication:")
                .AppendLine(CultureInfo.InvariantCulture, $"    username: {auth.Username}")
                .AppendLine(CultureInfo.InvariantCulture, $"    password_file: {WriteSecret(member, "restapi", auth.Password)}");
        }

        yaml.AppendLine("bootstrap:")
            .AppendLine("  dcs:")
            .AppendLine(CultureInfo.InvariantCulture, $"    ttl: {options.Ttl}")
            .AppendLine(CultureInfo.InvariantCulture, $"    loop_wait: {options.LoopWait.ToString(CultureInfo.InvariantCulture)}")
            .AppendLine(CultureInfo.InvariantCulture, $"    retry_timeout: {options.RetryTimeout}")
            .AppendLine(CultureInfo.InvariantCulture, $"    synchronous_mode: {options.SynchronousMode}")
            .AppendLine("postgresql:")
            .AppendLine(CultureInfo.InvariantCulture, $"  listen: 127.0.0.1:{member.PostgresPort}")
            .AppendLine(CultureInfo.InvariantCulture, $"  data_dir: {member.DataDirectory}")
            .AppendLine("  authentication:")
            .AppendLine("    superuser:")
            .AppendLine("      username: postgres")
            .AppendLine(CultureInfo.InvariantCulture, $"      password_file: {WriteSecret(member, "superuser", SuperuserPassword)}")
            .AppendLine("    replication:")
            .AppendLine("      username: replicator")
            .AppendLine(CultureInfo.InvariantCulture, $"      password_file: {WriteSecret(member, "replication", ReplicationPassword)}");
        if (options.PostgresBinDirectory is { } bin)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  bin_dir: {bin}");
        }

        if (options.PgHba is { } hba)
        {
            yaml.AppendLine("  pg_hba:");
            foreach (var line in hba)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"    - '{line.Replace("'", "''", StringComparison.Ordinal)}'");
            }
        }

        if (options.PostgresParameters.Count > 0)
        {
            yaml.AppendLine("  parameters:");
            foreach (var (name, value) in options.PostgresParameters)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"    {name}: '{value}'");
            }
        }

        yaml.AppendLine("citusha:")
            .AppendLine(CultureInfo.InvariantCulture, $"  state_dir: {Path.Combine(member.Directory, "state")}");
        if (options.RunAsUser is { } user)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  run_as: {user}");
        }

        File.WriteAllText(member.ConfigFile, yaml.ToString());
    }

    private static string WriteSecret(LocalMember member, string name, string value)
    {
        var path = Path.Combine(member.Directory, $"{name}.secret");
        File.WriteAllText(path, value);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        try
        {
            log.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // The agent exited; its last lines are already written.
        }
    }
}
