using Npgsql;

namespace CitusHa.Testing.Servers;

/// <summary>
/// A real PostgreSQL (Debian's postgresql-15): initdb into a fresh directory, started on a free
/// loopback port as the 'postgres' OS user when the tests run as root, trust authentication on
/// loopback only. <see cref="DisposeAsync"/> stops it (fast shutdown, then SIGKILL by PID) and
/// deletes the directory.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly ServerProcess process;
    private readonly PostgresServerOptions options;
    private readonly string binDirectory;

    private PostgresServer(ServerProcess process, PostgresServerOptions options, string binDirectory, string dataDirectory, int port)
    {
        this.process = process;
        this.options = options;
        this.binDirectory = binDirectory;
        DataDirectory = dataDirectory;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory { get; }

    /// <summary>The postmaster's PID.</summary>
    public int Pid => process.Pid;

    public bool IsRunning => !process.HasExited;

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=5";

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PostgresServerOptions();
        var binDirectory = ToolLocator.PostgresBinDir(options.BinDirectory);
        OsUser.EnsureUsable(options.OsUser, options.PasswdFile);
        var port = options.Port ?? LoopbackPorts.Next();
        LoopbackPorts.EnsureFree(port, "PostgreSQL");

        var root = Path.Combine(Path.GetTempPath(), "citusha-tests");
        Directory.CreateDirectory(root);
        var dataDirectory = Path.Combine(root, $"pg-{port}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDirectory);
        File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await OsUser.ChownAsync(options.OsUser, dataDirectory, cancellationToken).ConfigureAwait(false);

        var (initdb, initdbArgs) = OsUser.Wrap(options.OsUser, Path.Combine(binDirectory, "initdb"),
            ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        var init = await OsUser.RunAsync(initdb, initdbArgs, cancellationToken).ConfigureAwait(false);
        if (init.ExitCode != 0)
        {
            TryDelete(dataDirectory);
            throw new SetupException($"initdb failed (exit {init.ExitCode}):\n{init.Output}");
        }

        var arguments = new List<string>
        {
            "-D", dataDirectory, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", dataDirectory, "-c", "listen_addresses=127.0.0.1",
        };
        foreach (var (name, value) in options.Settings)
        {
            arguments.Add("-c");
            arguments.Add($"{name}={value}");
        }

        var (postgres, postgresArgs) = OsUser.Wrap(options.OsUser, Path.Combine(binDirectory, "postgres"), arguments);
        var process = ServerProcess.Start(postgres, postgresArgs, $"PostgreSQL on 127.0.0.1:{port}", dataDirectory);
        var server = new PostgresServer(process, options, binDirectory, dataDirectory, port);
        try
        {
            await server.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<T?> QueryScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Fast shutdown through pg_ctl; SIGKILL by PID if that does not finish in time.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited)
        {
            return;
        }

        var (pgCtl, args) = OsUser.Wrap(options.OsUser, Path.Combine(binDirectory, "pg_ctl"), ["-D", DataDirectory, "stop", "-m", "fast", "-w", "-t", "20"]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await OsUser.RunAsync(pgCtl, args, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Fall through to the kill below.
        }

        if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false))
        {
            await process.KillAsync().ConfigureAwait(false);
        }
    }

    public Task KillAsync() => process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await process.DisposeAsync().ConfigureAwait(false);
        TryDelete(DataDirectory);
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new SetupException($"PostgreSQL exited with code {process.ExitCode} while starting:\n{process.OutputTail()}");
                }

                return await QueryScalarAsync<int>("SELECT 1", cancellationToken).ConfigureAwait(false) == 1;
            }, options.StartTimeout, $"PostgreSQL on 127.0.0.1:{Port} to accept connections", cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new SetupException($"{e.Message}\n{process.OutputTail()}", e);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
