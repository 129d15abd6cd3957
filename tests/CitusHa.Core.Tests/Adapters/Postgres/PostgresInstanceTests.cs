using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Postgres;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using Npgsql;

namespace CitusHa.Core.Tests.Adapters.Postgres;

/// <summary>The PostgreSQL adapter on real PostgreSQL 15: bootstrap, replica, promotion, crash, rewind.</summary>
public sealed class PostgresInstanceTests : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "citusha-tests", $"pgadapter-{Guid.NewGuid():N}");
    private readonly List<PostgresInstance> instances = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(root);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in instances)
        {
            try
            {
                await instance.StopAsync(StopMode.Immediate, TestTimeouts.Default);
            }
            finally
            {
                await instance.DisposeAsync();
            }
        }

        Directory.Delete(root, recursive: true);
    }

    private (PostgresInstance Instance, PostgresOptions Options) Create(string name, string? logStatement = null)
    {
        var options = OptionsFor(root, name, logStatement);
        var instance = new PostgresInstance(options);
        instances.Add(instance);
        return (instance, options);
    }

    /// <summary>A test member's PostgreSQL under <paramref name="root"/> on a free loopback port (also the PostgreSQL contract's).</summary>
    internal static PostgresOptions OptionsFor(string root, string name, string? logStatement = null) => new()
    {
        BinDirectory = ToolLocator.PostgresBinDir(),
        DataDirectory = Path.Combine(root, name, "data"),
        StateDirectory = Path.Combine(root, name, "state"),
        MemberName = name,
        Port = LoopbackPorts.Next(),
        SuperuserPassword = "super-secret",
        ReplicationPassword = "repl-secret",
        RunAsUser = OsUser.IsRoot ? "postgres" : null,
        Parameters = new Dictionary<string, string> { ["fsync"] = "off", ["shared_buffers"] = "16MB", ["log_statement"] = logStatement ?? "none" },
    };

    private static async Task<T> ScalarAsync<T>(PostgresOptions options, string sql)
    {
        var cs = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = options.Port, Username = "postgres", Password = "super-secret", Database = "postgres", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>ALTER ROLE takes the password as a literal: even with log_statement = all it never reaches the server log.</summary>
    [Fact]
    public async Task The_replication_password_stays_out_of_the_server_log()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(1));
        var (a, options) = Create("logged", logStatement: "all");
        await a.InitializeAsync(ct);
        await a.StartAsync(null, ct);

        await a.EnsureReplicationRoleAsync(ct);
        await a.ExecuteAsync("SELECT 'statement-logging-is-on'", ct);
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(a.RecentServerLog(50).Contains("statement-logging-is-on", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the server to log statements", ct);

        a.RecentServerLog(50).ShouldNotContain("repl-secret");
        (await ScalarAsync<bool>(options, "SELECT rolreplication FROM pg_roles WHERE rolname = 'replicator'")).ShouldBeTrue("the role was still created");
    }

    [Fact]
    public async Task A_primary_and_a_replica_are_built_promoted_crashed_and_rewound()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));

        // Bootstrap a primary.
        var (a, aOptions) = Create("a");
        (await a.ObserveAsync(ct)).HasData.ShouldBeFalse();
        await a.InitializeAsync(ct);
        await a.StartAsync(null, ct);
        await a.EnsureReplicationRoleAsync(ct);
        var primary = await a.ObserveAsync(ct);
        primary.AcceptingConnections.ShouldBeTrue();
        primary.InRecovery.ShouldBe(false);
        primary.Timeline.ShouldBe(1);
        primary.SystemIdentifier.ShouldNotBeNullOrEmpty();
        (await ScalarAsync<int>(aOptions, "SELECT 1")).ShouldBe(1, "scram password login over TCP works");

        // A replica from a base backup, streaming through its slot.
        var (b, bOptions) = Create("b");
        await a.EnsureSlotsAsync([PostgresOptions.SlotNameFor("b")], ct);
        var fromA = new ReplicationSource("127.0.0.1", aOptions.Port, PostgresOptions.SlotNameFor("b"));
        await b.BaseBackupAsync(fromA, ct);
        await b.StartAsync(fromA, ct);
        await a.ExecuteAsync("CREATE TABLE t (id int); INSERT INTO t VALUES (1)", ct);
        await TestTimeouts.WaitUntilAsync(async () => (await b.ObserveAsync(ct)).UpstreamPort == aOptions.Port && await ScalarAsync<long>(bOptions, "SELECT count(*) FROM t") == 1, TimeSpan.FromSeconds(30), "the replica to stream the insert", ct);
        var replica = await b.ObserveAsync(ct);
        replica.InRecovery.ShouldBe(true);
        replica.SystemIdentifier.ShouldBe(primary.SystemIdentifier);
        (await a.StreamingStandbysAsync(ct)).Select(s => s.Name).ShouldBe(["b"]);

        // Synchronous replication setting is applied.
        await a.SetSynchronousStandbyNamesAsync("ANY 1 (b)", ct);
        await a.ExecuteAsync("INSERT INTO t VALUES (2)", ct); // would hang without a synchronous standby
        (await ScalarAsync<string>(aOptions, "SHOW synchronous_standby_names")).ShouldBe("ANY 1 (b)");
        await a.SetSynchronousStandbyNamesAsync("", ct);

        // The old primary crashes: the exit is an event, and marked unexpected.
        var exited = a.PostmasterExited;
        await Signals.SendAsync(PostmasterPid(aOptions), "KILL", ct);
        await exited.WaitAsync(TimeSpan.FromSeconds(10), ct);
        var crashed = await a.ObserveAsync(ct);
        crashed.PostmasterAlive.ShouldBeFalse();
        crashed.ExitedUnexpectedlyAt.ShouldNotBeNull();

        // Promote the replica; it moves to timeline 2 and takes writes.
        await b.PromoteAsync(null, ct);
        var promoted = await b.ObserveAsync(ct);
        promoted.InRecovery.ShouldBe(false);
        promoted.Timeline.ShouldBe(2);
        await b.ExecuteAsync("INSERT INTO t VALUES (3)", ct);

        // The old primary diverged? Rewind it against the new primary and follow it.
        var fromB = new ReplicationSource("127.0.0.1", bOptions.Port, PostgresOptions.SlotNameFor("a"));
        await b.EnsureSlotsAsync([PostgresOptions.SlotNameFor("a")], ct);
        var rewind = await a.RewindAsync(fromB, ct);
        rewind.Succeeded.ShouldBeTrue(rewind.Detail);
        await a.StartAsync(fromB, ct);
        try
        {
            // The timeline too: while the walreceiver moves from the old timeline's WAL to the new one it
            // is briefly absent, and the observed timeline falls back to the last restartpoint's (1).
            await TestTimeouts.WaitUntilAsync(
                async () => await ScalarAsync<long>(aOptions, "SELECT count(*) FROM t") == 3 && (await a.ObserveAsync(ct)).Timeline == 2,
                TimeSpan.FromSeconds(30), "the rewound member to stream from the new primary on its timeline", ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nrewound member log:\n{a.RecentServerLog()}\nnew primary log:\n{b.RecentServerLog()}", e);
        }
        var rejoined = await a.ObserveAsync(ct);
        rejoined.InRecovery.ShouldBe(true);
        rejoined.Timeline.ShouldBe(2);
        rejoined.UpstreamPort.ShouldBe(bOptions.Port);

        // A fast stop is not a crash.
        var stopped = b.PostmasterExited;
        await b.StopAsync(StopMode.Fast, ct);
        await stopped.WaitAsync(TimeSpan.FromSeconds(10), ct);
        var clean = await b.ObserveAsync(ct);
        clean.ExitedUnexpectedlyAt.ShouldBeNull();
        clean.ControlState.ShouldBe("shut down");
        clean.SystemIdentifier.ShouldBe(primary.SystemIdentifier);
    }

    /// <summary>
    /// primary_start_timeout counts from the first crash of a crash loop: a start that fails keeps the
    /// crash time, only a start that reaches accepting connections (or a stop on purpose) clears it. A
    /// read-only start replays and stays in recovery with no upstream.
    /// </summary>
    [Fact]
    public async Task A_crash_loop_keeps_its_first_crash_time_and_a_read_only_start_stays_in_recovery()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var (a, options) = Create("loop");
        await a.InitializeAsync(ct);
        await a.StartAsync(null, ct);
        await a.ExecuteAsync("CREATE TABLE t (id int)", ct);

        var exited = a.PostmasterExited;
        await Signals.SendAsync(PostmasterPid(options), "KILL", ct);
        await exited.WaitAsync(TimeSpan.FromSeconds(10), ct);
        var firstCrash = (await a.ObserveAsync(ct)).ExitedUnexpectedlyAt.ShouldNotBeNull();

        // A start that fails (a setting PostgreSQL refuses) is one more round of the loop, not a new crash.
        var conf = Path.Combine(options.DataDirectory, "postgresql.conf");
        var original = await File.ReadAllTextAsync(conf, ct);
        await File.AppendAllTextAsync(conf, "\nshared_buffers = 'not a size'\n", ct);
        await Should.ThrowAsync<Exception>(() => a.StartAsync(null, ct));
        (await a.ObserveAsync(ct)).ExitedUnexpectedlyAt.ShouldBe(firstCrash);

        // Started read-only: in recovery, no upstream, its data there; a successful start clears the crash.
        await File.WriteAllTextAsync(conf, original, ct);
        await a.StartReadOnlyAsync(ct);
        var readOnly = await a.ObserveAsync(ct);
        readOnly.ExitedUnexpectedlyAt.ShouldBeNull();
        readOnly.StartingSince.ShouldBeNull("it answered: a later moment without an answer is not a start taking too long");
        readOnly.InRecovery.ShouldBe(true);
        readOnly.UpstreamHost.ShouldBeNull();
        (await ScalarAsync<long>(options, "SELECT count(*) FROM t")).ShouldBe(0);
        File.Exists(Path.Combine(options.DataDirectory, "standby.signal")).ShouldBeTrue();

        // Promoted, it is an ordinary primary again (no standby.signal left for the next start).
        await a.PromoteAsync(null, ct);
        (await a.ObserveAsync(ct)).InRecovery.ShouldBe(false);
        File.Exists(Path.Combine(options.DataDirectory, "standby.signal")).ShouldBeFalse();
    }

    /// <summary>
    /// The watchdog can kill PostgreSQL while its agent, frozen, waits for a promotion to finish. The
    /// resumed agent must learn at once that the promotion is over, not retry connections to a dead
    /// server for a minute (seen in the frozen-candidate integration test under load).
    /// </summary>
    [Fact]
    public async Task A_postmaster_that_dies_during_a_promotion_fails_it_at_once()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var (a, options) = Create("dies");
        await a.InitializeAsync(ct);
        await a.StartReadOnlyAsync(ct);
        var postmaster = PostmasterPid(options);
        var startup = CitusHa.Core.Adapters.Processes.ProcessTable.Descendants(postmaster)
            .Single(p => string.Join(' ', CitusHa.Core.Adapters.Processes.ProcessTable.CommandLine(p) ?? []).Contains("startup", StringComparison.Ordinal));
        await Signals.SendAsync(startup, "STOP", ct); // holds the promotion unfinished
        try
        {
            var promotion = a.PromoteAsync(null, ct);
            await Task.Delay(500, ct);
            promotion.IsCompleted.ShouldBeFalse("the stopped startup process keeps the server in recovery");

            await Signals.SendAsync(postmaster, "KILL", ct);
            var error = await Should.ThrowAsync<CitusHa.Core.Errors.CitusHaException>(() => promotion.WaitAsync(TimeSpan.FromSeconds(30), ct));
            error.Message.ShouldContain("exited during its promotion");
        }
        finally
        {
            if (CitusHa.Core.Adapters.Processes.ProcessTable.IsAlive(startup))
            {
                await Signals.SendAsync(startup, "CONT", CancellationToken.None); // it then sees its postmaster gone and exits
            }
        }
    }

    private static int PostmasterPid(PostgresOptions options) =>
        int.Parse(File.ReadLines(Path.Combine(options.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_non_empty_data_directory_is_never_overwritten()
    {
        var (a, options) = Create("x");
        Directory.CreateDirectory(options.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(options.DataDirectory, "precious"), "data");
        var error = await Should.ThrowAsync<CitusHa.Core.Errors.CitusHaException>(() => a.InitializeAsync(TestTimeouts.Default));
        error.Message.ShouldContain("not empty");
        File.Exists(Path.Combine(options.DataDirectory, "precious")).ShouldBeTrue();
    }
}
