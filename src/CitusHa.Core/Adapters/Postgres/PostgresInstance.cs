using System.Diagnostics;
using System.Globalization;
using CitusHa.Core.Adapters.Processes;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;
using Npgsql;

namespace CitusHa.Core.Adapters.Postgres;

/// <summary>
/// <see cref="IPostgresControl"/> on a local PostgreSQL whose postmaster is this process's child.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PostgresInstance : IPostgresControl
{
    private readonly PostgresOptions options;
    private readonly CommandRunner runner;
    private bool leftoverChecked;
    private readonly PostgresConfigFiles files;
    private readonly TimeProvider time;
    private readonly object gate = new();
    private Process? postmaster;
    private bool stopRequested;
    private DateTimeOffset? exitedUnexpectedlyAt;
    private DateTimeOffset? startingSince;
    private TaskCompletionSource exited = NewExitSignal();
    private readonly BoundedLog serverLog = new();
    private NpgsqlDataSource? localDataSource;

    /// <summary>Pooled connections to the local server; emptied whenever the postmaster starts or exits.</summary>
    private NpgsqlDataSource LocalSource => localDataSource ??= NpgsqlDataSource.Create(LocalConnectionString);

    /// <summary>The last lines the postmaster printed (for status and error messages).</summary>
    public string RecentServerLog(int lines = 20) => serverLog.Tail(lines);

    /// <summary>
    /// Where every line the postmaster prints goes besides that tail: the agent's log, so that on
    /// Kubernetes PostgreSQL's own log is in the pod's log. (With logging_collector on, PostgreSQL
    /// writes its files itself and prints next to nothing.)
    /// </summary>
    public Action<string>? ServerOutput { get; set; }

    private void Received(BoundedLog log, string? line)
    {
        if (line is null)
        {
            return;
        }

        log.Add(line);
        ServerOutput?.Invoke(line);
    }

    public PostgresInstance(PostgresOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.time = time ?? TimeProvider.System;
        runner = new CommandRunner(options.RunAsUser);
        files = new PostgresConfigFiles(options);
    }

    public Task PostmasterExited
    {
        get
        {
            lock (gate)
            {
                return exited.Task;
            }
        }
    }

    private string Bin(string tool) => Path.Combine(options.BinDirectory, tool);

    private string LocalConnectionString
    {
        get
        {
            var builder = LocalSocket.Builder(options, "postgres");
            // A small pool: the loop queries every second, and a new backend each time costs CPU on both sides.
            // Connections broken by a restart are dropped by the pool on their first failure.
            builder.Pooling = true;
            builder.MaxPoolSize = 4;
            builder.ConnectionIdleLifetime = 30;
            builder.Timeout = 3;
            builder.CommandTimeout = 10;
            builder.ApplicationName = "citusha-agent";
            return builder.ConnectionString;
        }
    }

    public async Task<PostgresObservation> ObserveAsync(CancellationToken cancellationToken)
    {
        if (!leftoverChecked)
        {
            leftoverChecked = true;
            await StopLeftoverPostmasterAsync(cancellationToken).ConfigureAwait(false);
        }

        var hasData = File.Exists(Path.Combine(options.DataDirectory, "PG_VERSION"));
        bool alive;
        DateTimeOffset? crashedAt;
        DateTimeOffset? startedAt;
        DateTimeOffset? starting;
        int? pid;
        lock (gate)
        {
            alive = postmaster is { HasExited: false };
            crashedAt = exitedUnexpectedlyAt;
            starting = alive ? startingSince : null;
            startedAt = alive ? new DateTimeOffset(postmaster!.StartTime.ToUniversalTime(), TimeSpan.Zero) : null;
            pid = alive ? postmaster!.Id : null;
        }

        var observation = new PostgresObservation { HasData = hasData, PostmasterAlive = alive, ExitedUnexpectedlyAt = crashedAt, PostmasterStartTime = startedAt, PostmasterPid = pid, StartingSince = starting };
        if (alive)
        {
            try
            {
                var answered = await QueryStatusAsync(observation, cancellationToken).ConfigureAwait(false);
                lock (gate)
                {
                    startingSince = null;
                }

                return answered with { StartingSince = null, MayBeWritable = answered.InRecovery == false };
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // Alive but not (yet) answering: starting, shutting down, or hung. Without a standby or
                // recovery signal file it may be a primary, and is treated as one by fencing.
                return observation with { MayBeWritable = !File.Exists(Path.Combine(options.DataDirectory, "standby.signal")) && !File.Exists(Path.Combine(options.DataDirectory, "recovery.signal")) };
            }
        }

        return hasData ? await ReadControlDataAsync(observation, cancellationToken).ConfigureAwait(false) : observation;
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        PrepareDirectories();
        var pwfile = Path.Combine(options.StateDirectory, "initdb-pwfile");
        await File.WriteAllTextAsync(pwfile, options.SuperuserPassword + "\n", cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(pwfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await ChownAsync(cancellationToken, options.StateDirectory, options.DataDirectory).ConfigureAwait(false);
        try
        {
            var result = await runner.RunAsync(Bin("initdb"),
                ["-D", options.DataDirectory, "-U", options.SuperuserName, $"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                 "--data-checksums", "-E", "UTF8", "--locale=C", "--no-instructions"],
                TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw Failed($"initdb failed (exit {result.ExitCode}): {Tail(result.Output)}");
            }
        }
        finally
        {
            File.Delete(pwfile);
        }
    }

    public async Task BaseBackupAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        PrepareDirectories();
        files.WritePgPass();
        await ChownAsync(cancellationToken, options.StateDirectory, options.DataDirectory).ConfigureAwait(false);
        var result = await runner.RunAsync(Bin("pg_basebackup"),
            ["-D", options.DataDirectory, "-d", files.ConnInfo(source.Host, source.Port, asSuperuser: false, "replication"),
             "--checkpoint=fast", "--wal-method=stream", "--no-password"],
            options.CopyTimeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            await WipeAsync(cancellationToken).ConfigureAwait(false);
            throw Failed($"pg_basebackup from {source.Host}:{source.Port} failed (exit {result.ExitCode}): {Tail(result.Output)}");
        }
    }

    public async Task<(bool Succeeded, string Detail)> RewindAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        EnsureStopped();
        files.WritePgPass();
        await ChownAsync(cancellationToken, options.StateDirectory, options.DataDirectory).ConfigureAwait(false);
        var result = await runner.RunAsync(Bin("pg_rewind"),
            ["-D", options.DataDirectory, $"--source-server={files.ConnInfo(source.Host, source.Port, asSuperuser: true, "postgres")}"],
            options.CopyTimeout, cancellationToken).ConfigureAwait(false);
        return (result.Succeeded, Tail(result.Output));
    }

    public async Task<bool> AnswersAsPrimaryAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(RemoteSuperuser(source).ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var probe = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
            return await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The superuser's connection to another member (the one pg_rewind uses), unpooled.</summary>
    private NpgsqlConnectionStringBuilder RemoteSuperuser(ReplicationSource source) => new()
    {
        Host = source.Host, Port = source.Port, Username = options.SuperuserName, Password = options.SuperuserPassword,
        Database = "postgres", Timeout = 5, CommandTimeout = 10, ApplicationName = options.MemberName, Pooling = false,
        SslMode = options.SuperuserTls.NpgsqlMode, RootCertificate = options.SuperuserTls.RootCertificate,
    };

    public async Task<TimelineHistory?> TimelineHistoryAsync(ReplicationSource? source, int timeline, CancellationToken cancellationToken)
    {
        if (timeline <= 1)
        {
            return null;
        }

        if (source is null)
        {
            var file = Path.Combine(options.DataDirectory, "pg_wal", $"{timeline:X8}.history");
            return File.Exists(file) ? TimelineHistory.Parse(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)) : null;
        }

        // Over an ordinary connection as the superuser (the one pg_rewind uses): Npgsql's replication
        // TIMELINE_HISTORY reads the file as bytea, which PostgreSQL 15 sends as text, and throws.
        try
        {
            await using var connection = new NpgsqlConnection(RemoteSuperuser(source).ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var read = new NpgsqlCommand("SELECT pg_read_file($1, 0, 1048576, true)", connection);
            read.Parameters.AddWithValue($"pg_wal/{timeline:X8}.history");
            return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string content ? TimelineHistory.Parse(content) : null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.CommandFailed,
                $"Cannot read the history of timeline {timeline} from {source.Host}:{source.Port}: {e.Message}", source.Host, e);
        }
    }

    public Task WipeAsync(CancellationToken cancellationToken)
    {
        EnsureStopped();
        if (Directory.Exists(options.DataDirectory))
        {
            foreach (var entry in new DirectoryInfo(options.DataDirectory).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo directory)
                {
                    directory.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(ReplicationSource? replicaOf, CancellationToken cancellationToken) => StartAsync(replicaOf, replicaOf is not null, cancellationToken);

    public Task StartReadOnlyAsync(CancellationToken cancellationToken) => StartAsync(null, standby: true, cancellationToken);

    private async Task StartAsync(ReplicationSource? replicaOf, bool standby, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (postmaster is { HasExited: false })
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.PostgresFailed, "PostgreSQL is already running.");
            }
        }

        await StopLeftoverPostmasterAsync(cancellationToken).ConfigureAwait(false);
        files.WritePgPass();
        // A standby must not start below the primary's hot-standby settings (see HotStandbyParameters).
        files.Write(replicaOf, standby, standby ? await ControlDataAsync(cancellationToken).ConfigureAwait(false) : null);
        foreach (var raised in files.Raised)
        {
            ServerOutput?.Invoke($"citusha: raised {raised} to the primary's value, as a hot standby requires");
        }

        await ChownAsync(cancellationToken, options.StateDirectory, options.DataDirectory).ConfigureAwait(false);
        localDataSource?.Clear();

        var process = new Process { StartInfo = runner.StartInfo(Bin("postgres"), ["-D", options.DataDirectory]), EnableRaisingEvents = true };
        var log = serverLog;
        process.OutputDataReceived += (_, e) => Received(log, e.Data);
        process.ErrorDataReceived += (_, e) => Received(log, e.Data);
        lock (gate)
        {
            stopRequested = false;
            startingSince = time.GetUtcNow();
            // The crash time stays until a start succeeds: primary_start_timeout counts from the first
            // crash of a crash loop, not from the latest attempt.
            process.Exited += (_, _) => OnExited(process);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            postmaster = process;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.StartTimeout);
        while (true)
        {
            if (process.HasExited)
            {
                throw Failed($"PostgreSQL exited with code {process.ExitCode} while starting: {log.Tail()}");
            }

            try
            {
                await using var connection = LocalSource.CreateConnection();
                await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
                lock (gate)
                {
                    if (ReferenceEquals(process, postmaster) && !process.HasExited)
                    {
                        exitedUnexpectedlyAt = null;
                        startingSince = null;
                    }
                }

                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !deadline.IsCancellationRequested)
            {
                // Not accepting connections yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.PostgresFailed, $"PostgreSQL did not accept connections within {options.StartTimeout.TotalSeconds:0} s: {log.Tail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, deadline.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A postmaster that runs on this data directory but is not this process's child: left by an
    /// earlier agent process (killed or crashed) whose watchdog was disarmed (a standby) or has not
    /// fired yet. This agent could neither see it exit nor stop it through its Process, its watchdog
    /// would be armed for the wrong PID, and <c>pg_ctl promote</c> would promote it behind the agent's
    /// back: a primary nothing fences (the fault soak lost acknowledged writes that way). It is stopped
    /// with an immediate shutdown, then killed with its children if it does not exit within 2 s, before
    /// this agent observes or starts anything; the agent then starts PostgreSQL as its own child.
    /// (Patroni adopts such a postmaster instead; stopping it costs a crash recovery but leaves no
    /// process the agent cannot fence.)
    /// </summary>
    private async Task StopLeftoverPostmasterAsync(CancellationToken cancellationToken)
    {
        int? ours;
        lock (gate)
        {
            ours = postmaster is { HasExited: false } running ? running.Id : null;
        }

        if (LeftoverPostmaster(ours) is not { } pid)
        {
            return;
        }

        ServerOutput?.Invoke($"citusha: PostgreSQL (postmaster PID {pid}) was left running on this data directory by an earlier agent process; stopping it (immediate) so that this agent owns and can fence PostgreSQL");
        var children = ProcessTable.Descendants(pid);
        await runner.RunAsync("kill", ["-QUIT", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(2);
        while (ProcessTable.IsAlive(pid) && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
        }

        // Frozen or hung: killed, with the backends that would otherwise keep serving their sessions.
        foreach (var process in children.Prepend(pid).Where(ProcessTable.IsAlive))
        {
            await runner.RunAsync("kill", ["-KILL", process.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The PID in postmaster.pid when that process is alive, is a postgres on this data directory, and is not <paramref name="ours"/>.</summary>
    private int? LeftoverPostmaster(int? ours) =>
        PostmasterPidFile.Read(options.DataDirectory) is { } pid && pid != ours
        && ProcessTable.CommandLine(pid) is [var program, ..] arguments
        && Path.GetFileName(program) == "postgres" && arguments.Contains(options.DataDirectory, StringComparer.Ordinal)
            ? pid
            : null;

    public async Task StopAsync(StopMode mode, CancellationToken cancellationToken)
    {
        Process? process;
        lock (gate)
        {
            process = postmaster;
            stopRequested = true;
            exitedUnexpectedlyAt = null; // stopped on purpose: not a crash any more
        }

        if (process is null || process.HasExited)
        {
            return;
        }

        // -W: pg_ctl only signals; the postmaster is our child, so its exit is an event we await
        // (pg_ctl's own wait would poll every 100 ms, and every switchover waits for this stop).
        var result = await runner.RunAsync(Bin("pg_ctl"),
            ["stop", "-D", options.DataDirectory, "-m", mode == StopMode.Fast ? "fast" : "immediate", "-W"],
            TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // An immediate stop is fencing: a postmaster that has not exited within 2 s of SIGQUIT is frozen
        // or hung (its backends may still serve writes), and is killed with its children.
        wait.CancelAfter(result.Succeeded ? (mode == StopMode.Fast ? options.StopTimeout : TimeSpan.FromSeconds(2)) : TimeSpan.FromSeconds(1));
        try
        {
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // pg_ctl could not stop it in time: the postmaster is ours, so kill it by its PID.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<string>> ReloadLocalParametersAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        files.Parameters = parameters;
        if (!File.Exists(Path.Combine(options.DataDirectory, "PG_VERSION")))
        {
            return [];
        }

        files.Rewrite();
        await ChownAsync(cancellationToken, options.DataDirectory).ConfigureAwait(false);
        bool running;
        lock (gate)
        {
            running = postmaster is { HasExited: false };
        }

        if (!running)
        {
            return [];
        }

        await ExecuteAsync("SELECT pg_reload_conf()", cancellationToken).ConfigureAwait(false);
        // The postmaster re-reads its files asynchronously; pending_restart shows once it has.
        await Task.Delay(TimeSpan.FromMilliseconds(300), time, cancellationToken).ConfigureAwait(false);
        return await PendingRestartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task FollowAsync(ReplicationSource source, CancellationToken cancellationToken)
    {
        files.Write(source);
        await ChownAsync(cancellationToken, options.DataDirectory).ConfigureAwait(false);
        await ExecuteAsync("SELECT pg_reload_conf()", cancellationToken).ConfigureAwait(false);
    }

    public async Task PromoteAsync(Func<Task>? whenWritable, CancellationToken cancellationToken)
    {
        // -W: pg_ctl waits by default (since PostgreSQL 10) and then polls pg_control every 100 ms;
        // we only let it signal, and ask the server every 10 ms instead.
        var result = await runner.RunAsync(Bin("pg_ctl"), ["promote", "-W", "-D", options.DataDirectory], TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Failed($"pg_ctl promote failed (exit {result.ExitCode}): {Tail(result.Output)}");
        }

        await WaitUntilWritableAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (whenWritable is not null)
        {
            await whenWritable().ConfigureAwait(false);
        }

        // The promoted server no longer needs the standby settings; write them out so a restart stays primary.
        files.Write(replicaOf: null);
        await ChownAsync(cancellationToken, options.DataDirectory).ConfigureAwait(false);

        // An immediate checkpoint puts the new timeline into pg_control. Until then pg_rewind on the
        // old primary would read timeline 1 here, answer "no rewind required", and the old primary
        // could never follow (Patroni's checkpoint_after_promote).
        await CheckpointAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task CheckpointAsync(CancellationToken cancellationToken) => ExecuteAsync("CHECKPOINT", cancellationToken);

    private async Task WaitUntilWritableAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Process? promoted;
        lock (gate)
        {
            promoted = postmaster;
        }

        while (true)
        {
            // A postmaster that exited (crashed, or killed by the watchdog while this agent was frozen)
            // never becomes writable: say so now instead of retrying connections until the timeout,
            // which kept a resumed agent busy, unable to rejoin, for the rest of the minute.
            if (promoted is null || promoted.HasExited)
            {
                throw Failed("PostgreSQL exited during its promotion (it crashed, or the watchdog stopped it while this agent was unresponsive), so it never became writable.");
            }

            try
            {
                await using var connection = await OpenAsync(deadline.Token).ConfigureAwait(false);
                while (true)
                {
                    await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_is_in_recovery()", connection);
                    if (await command.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false) is false)
                    {
                        return;
                    }

                    await Task.Delay(10, deadline.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Failed($"PostgreSQL did not finish its promotion within {timeout.TotalSeconds:0} s.");
            }
            catch (Exception e) when (e is CitusHaException or NpgsqlException && !deadline.IsCancellationRequested)
            {
                await Task.Delay(10, deadline.Token).ConfigureAwait(false); // a connection lost mid-promotion: ask again
            }
        }
    }

    public Task EnsureSlotsAsync(IReadOnlyCollection<string> slotNames, CancellationToken cancellationToken) =>
        SqlAsync(() => EnsureSlotsCoreAsync(slotNames, cancellationToken));

    private async Task EnsureSlotsCoreAsync(IReadOnlyCollection<string> slotNames, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var existing = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using (var list = new NpgsqlCommand("SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical'", connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                existing[reader.GetString(0)] = reader.GetBoolean(1);
            }
        }

        foreach (var name in slotNames.Where(n => !existing.ContainsKey(n)))
        {
            await using var create = new NpgsqlCommand("SELECT pg_create_physical_replication_slot($1, true)", connection) { Parameters = { new() { Value = name } } };
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var (name, active) in existing.Where(e => !slotNames.Contains(e.Key) && !e.Value))
        {
            await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", connection) { Parameters = { new() { Value = name } } };
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<(IReadOnlyList<string> NeedRestart, IReadOnlyList<string> Unknown)> ApplyParametersAsync(IReadOnlyDictionary<string, string> values, IReadOnlyCollection<string> reset, CancellationToken cancellationToken) =>
        SqlAsync(() => ApplyParametersCoreAsync(values, reset, cancellationToken));

    private async Task<(IReadOnlyList<string> NeedRestart, IReadOnlyList<string> Unknown)> ApplyParametersCoreAsync(IReadOnlyDictionary<string, string> values, IReadOnlyCollection<string> reset, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var contexts = new Dictionary<string, (string Context, string Setting)>(StringComparer.Ordinal);
        await using (var query = new NpgsqlCommand("SELECT name, context, setting FROM pg_settings WHERE name = ANY($1)", connection) { Parameters = { new() { Value = values.Keys.Concat(reset).ToArray() } } })
        await using (var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                contexts[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2));
            }
        }

        var needRestart = new List<string>();
        var unknown = new List<string>();
        foreach (var (name, value) in values)
        {
            if (!contexts.TryGetValue(name, out var info))
            {
                unknown.Add(name);
                continue;
            }

            // Names come from pg_settings, so they are real identifiers; values are quoted literals.
            await using var alter = new NpgsqlCommand($"ALTER SYSTEM SET \"{name}\" = {Quote(value)}", connection);
            await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (info.Context == "postmaster")
            {
                needRestart.Add(name);
            }
        }

        foreach (var name in reset.Where(contexts.ContainsKey))
        {
            await using var alter = new NpgsqlCommand($"ALTER SYSTEM RESET \"{name}\"", connection);
            await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection))
        {
            await reload.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // After a reload pg_settings.pending_restart tells which values wait for a restart.
        await using var pending = new NpgsqlCommand("SELECT name FROM pg_settings WHERE pending_restart", connection);
        await using var pendingReader = await pending.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var stillPending = new List<string>();
        while (await pendingReader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            stillPending.Add(pendingReader.GetString(0));
        }

        return (needRestart.Where(stillPending.Contains).Concat(stillPending.Except(needRestart)).Distinct().ToList(), unknown);
    }

    public Task<IReadOnlyList<string>> PendingRestartAsync(CancellationToken cancellationToken) =>
        SqlAsync<IReadOnlyList<string>>(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pending = new NpgsqlCommand("SELECT name FROM pg_settings WHERE pending_restart ORDER BY name", connection);
            await using var reader = await pending.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var names = new List<string>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }

            return names;
        });

    public Task SetSynchronousStandbyNamesAsync(string value, CancellationToken cancellationToken) =>
        SqlAsync(() => SetSynchronousStandbyNamesCoreAsync(value, cancellationToken));

    private async Task SetSynchronousStandbyNamesCoreAsync(string value, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // ALTER SYSTEM takes no parameters: quote the literal ourselves.
        var literal = "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        await using (var alter = new NpgsqlCommand($"ALTER SYSTEM SET synchronous_standby_names = {literal}", connection))
        {
            await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<(string Name, long FlushLsn)>> StreamingStandbysAsync(CancellationToken cancellationToken) =>
        SqlAsync(() => StreamingStandbysCoreAsync(cancellationToken));

    private async Task<IReadOnlyList<(string Name, long FlushLsn)>> StreamingStandbysCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT application_name, COALESCE((flush_lsn - '0/0'::pg_lsn)::bigint, 0) FROM pg_stat_replication WHERE state = 'streaming' ORDER BY application_name", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var standbys = new List<(string, long)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            standbys.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return standbys;
    }

    public Task<IReadOnlyList<ReplicationConnection>> ReplicationAsync(CancellationToken cancellationToken) =>
        SqlAsync<IReadOnlyList<ReplicationConnection>>(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                "SELECT usename::text, application_name, host(client_addr), state, sync_state, sync_priority FROM pg_stat_replication ORDER BY application_name, pid", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<ReplicationConnection>();
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new ReplicationConnection(Text(0), Text(1), Text(2), Text(3), Text(4), reader.IsDBNull(5) ? null : reader.GetInt32(5)));
            }

            return rows;
        });

    public Task ExecuteAsync(string sql, CancellationToken cancellationToken) =>
        SqlAsync(() => ExecuteCoreAsync(sql, cancellationToken));

    /// <summary>Runs one statement on the local server as the superuser (bootstrap roles, checkpoints).</summary>
    private async Task ExecuteCoreAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task EnsureReplicationRoleAsync(CancellationToken cancellationToken) =>
        SqlAsync(() => EnsureReplicationRoleCoreAsync(cancellationToken));

    /// <summary>Creates or updates the replication role with its password (bootstrap, and when the secret rotates).</summary>
    private async Task EnsureReplicationRoleCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The password is a literal (ALTER ROLE takes no parameters): keep the statement out of the
        // server log, whatever log_statement says and even if it fails (as Patroni does). A separate
        // command, because log_statement is checked before a query string's first statement runs.
        await using (var quiet = new NpgsqlCommand("SET LOCAL log_statement = 'none'; SET LOCAL log_min_duration_statement = -1; SET LOCAL log_min_error_statement = 'panic'", connection, transaction))
        {
            await quiet.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var role = options.ReplicationUserName.Replace("\"", "\"\"", StringComparison.Ordinal);
        var password = "'" + options.ReplicationPassword.Replace("'", "''", StringComparison.Ordinal) + "'";
        await using var command = new NpgsqlCommand(
            $"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Quote(options.ReplicationUserName)}) THEN CREATE ROLE \"{role}\" WITH LOGIN REPLICATION; END IF; END $$; ALTER ROLE \"{role}\" WITH LOGIN REPLICATION PASSWORD {password}",
            connection,
            transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Process? process;
        lock (gate)
        {
            process = postmaster;
        }

        process?.Dispose();
        if (localDataSource is not null)
        {
            await localDataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Npgsql's failures become Core's: the agent never sees a driver exception.</summary>
    private async Task SqlAsync(Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresUnavailable, $"The local PostgreSQL on port {options.Port} failed a statement: {e.Message}", options.DataDirectory, e);
        }
    }

    private async Task<T> SqlAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresUnavailable, $"The local PostgreSQL on port {options.Port} failed a statement: {e.Message}", options.DataDirectory, e);
        }
    }

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = LocalSource.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.PostgresUnavailable, $"Cannot connect to the local PostgreSQL on port {options.Port}: {e.Message}", options.DataDirectory, e);
        }
    }

    private async Task<PostgresObservation> QueryStatusAsync(PostgresObservation observation, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT pg_is_in_recovery(),
                   (SELECT system_identifier FROM pg_control_system())::text,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint END,
                   (pg_last_wal_receive_lsn() - '0/0'::pg_lsn)::bigint,
                   (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint,
                   CASE WHEN pg_is_in_recovery()
                        THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), (pg_control_checkpoint()).timeline_id)
                        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
                   (SELECT sender_host FROM pg_stat_wal_receiver),
                   (SELECT sender_port FROM pg_stat_wal_receiver),
                   current_setting('server_version_num')::int,
                   CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END,
                   current_setting('max_connections'), current_setting('max_worker_processes'), current_setting('max_wal_senders'),
                   current_setting('max_prepared_transactions'), current_setting('max_locks_per_transaction')
            """;
        await using var connection = LocalSource.CreateConnection();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        long? Long(int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
        var inRecovery = reader.GetBoolean(0);
        var receive = Long(3);
        var replay = Long(4);
        var answered = observation with
        {
            AcceptingConnections = true,
            InRecovery = inRecovery,
            SystemIdentifier = reader.GetString(1),
            ControlState = inRecovery ? "in archive recovery" : "in production",
            Lsn = inRecovery ? Max(receive, replay) : Long(2),
            ReceiveLsn = receive,
            ReplayLsn = replay,
            Timeline = reader.IsDBNull(5) ? null : reader.GetInt32(5),
            UpstreamHost = reader.IsDBNull(6) ? null : reader.GetString(6),
            UpstreamPort = reader.IsDBNull(7) ? null : reader.GetInt32(7),
            ServerVersion = reader.GetInt32(8),
        };
        if (reader.IsDBNull(9) || reader.GetString(9) == "not paused")
        {
            return answered;
        }

        // Replay paused: PostgreSQL 14+ pauses a standby that replays a primary's PARAMETER_CHANGE above
        // its own settings (and aborts at promotion); pg_controldata then holds the primary's values.
        // (An operator's pg_wal_replay_pause() shows no shortfall and is left alone.)
        var running = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["max_connections"] = reader.GetString(10),
            ["max_worker_processes"] = reader.GetString(11),
            ["max_wal_senders"] = reader.GetString(12),
            ["max_prepared_transactions"] = reader.GetString(13),
            ["max_locks_per_transaction"] = reader.GetString(14),
        };
        return answered with { HotStandbyShortfall = HotStandbyParameters.Raise(running, await ControlDataAsync(cancellationToken).ConfigureAwait(false)) };
    }

    /// <summary>pg_controldata's lines as name → value; empty when it cannot read the data directory.</summary>
    private async Task<IReadOnlyDictionary<string, string>> ControlDataAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(Bin("pg_controldata"), ["-D", options.DataDirectory], TimeSpan.FromSeconds(10), cancellationToken,
            new Dictionary<string, string> { ["LC_ALL"] = "C" }).ConfigureAwait(false);
        return !result.Succeeded
            ? new Dictionary<string, string>()
            : result.Output.Split('\n')
                .Select(l => l.Split(':', 2))
                .Where(p => p.Length == 2)
                .GroupBy(p => p[0].Trim(), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.Ordinal);
    }

    private async Task<PostgresObservation> ReadControlDataAsync(PostgresObservation observation, CancellationToken cancellationToken)
    {
        var values = await ControlDataAsync(cancellationToken).ConfigureAwait(false);
        if (values.Count == 0)
        {
            return observation;
        }

        return observation with
        {
            SystemIdentifier = values.GetValueOrDefault("Database system identifier"),
            ControlState = values.GetValueOrDefault("Database cluster state"),
            Timeline = int.TryParse(values.GetValueOrDefault("Latest checkpoint's TimeLineID"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var tli) ? tli : null,
            Lsn = Model.Lsn.TryParse(values.GetValueOrDefault("Latest checkpoint location"), out var lsn) ? lsn : null,
        };
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private void OnExited(Process process)
    {
        lock (gate)
        {
            if (!ReferenceEquals(process, postmaster))
            {
                return;
            }

            if (!stopRequested)
            {
                exitedUnexpectedlyAt ??= time.GetUtcNow();
            }

            localDataSource?.Clear(); // every pooled connection died with the server

            var signal = exited;
            exited = NewExitSignal();
            signal.TrySetResult();
        }
    }

    private void EnsureStopped()
    {
        lock (gate)
        {
            if (postmaster is { HasExited: false })
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.PostgresFailed, "PostgreSQL must be stopped first.");
            }
        }
    }

    private void PrepareDirectories()
    {
        Directory.CreateDirectory(options.StateDirectory);
        Directory.CreateDirectory(options.DataDirectory);
        File.SetUnixFileMode(options.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(options.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Directory.EnumerateFileSystemEntries(options.DataDirectory).Any())
        {
            throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.PostgresFailed, $"The data directory {options.DataDirectory} is not empty; refusing to overwrite it.", options.DataDirectory);
        }
    }

    private async Task ChownAsync(CancellationToken cancellationToken, params string[] paths)
    {
        if (runner.RunAsUser is not { } user)
        {
            return;
        }

        // Running as root for a local formation or tests: PostgreSQL's user must own what we write.
        var chown = new CommandRunner();
        var result = await chown.RunAsync("chown", new[] { "-R", $"{user}:" }.Concat(paths.Where(p => Directory.Exists(p) || File.Exists(p))), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Failed($"chown to {user} failed: {Tail(result.Output)}");
        }
    }

    private static TaskCompletionSource NewExitSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static CitusHaException Failed(string message) => new(CitusErrorKind.Unavailable, ErrorIds.PostgresFailed, message);

    private static string Tail(string output) => string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(5));
}
