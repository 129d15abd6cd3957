using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Postgres;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using Npgsql;

namespace CitusHa.Core.Tests.Adapters.Postgres;

/// <summary>The PostgreSQL adapter on real PostgreSQL 15: bootstrap, replica, promotion, crash, rewind, client TLS.</summary>
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
        return (Create(options), options);
    }

    private PostgresInstance Create(PostgresOptions options)
    {
        var instance = new PostgresInstance(options);
        instances.Add(instance);
        return instance;
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

    /// <summary>A CA and a server certificate for 127.0.0.1 signed by it, as PEM files the postgres user can read.</summary>
    private static async Task<(string Ca, string Cert, string Key)> CertificatesAsync(string folder, string name)
    {
        Directory.CreateDirectory(folder);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={name} test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));

        var paths = (Ca: Path.Combine(folder, "ca.crt"), Cert: Path.Combine(folder, "tls.crt"), Key: Path.Combine(folder, "tls.key"));
        await File.WriteAllTextAsync(paths.Ca, ca.ExportCertificatePem());
        await File.WriteAllTextAsync(paths.Cert, server.ExportCertificatePem());
        await File.WriteAllTextAsync(paths.Key, serverKey.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(paths.Key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (OsUser.IsRoot)
        {
            await OsUser.ChownAsync("postgres", folder, TestTimeouts.Default);
        }

        return paths;
    }

    /// <summary>
    /// The agent's connections to a peer with Patroni's per-user sslmode and sslrootcert: a primary that
    /// serves a certificate of a test CA (for 127.0.0.1), a replica copied and streaming with verify-full,
    /// and a copy refused when the root does not match, so verification really happens.
    /// </summary>
    [Fact]
    public async Task A_replica_copies_and_streams_with_verify_full_and_a_wrong_root_is_refused()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var (ca, cert, key) = await CertificatesAsync(Path.Combine(root, "tls"), "cluster");
        var (otherCa, _, _) = await CertificatesAsync(Path.Combine(root, "other"), "other");

        var primaryOptions = OptionsFor(root, "a") with
        {
            Parameters = new Dictionary<string, string> { ["fsync"] = "off", ["shared_buffers"] = "16MB", ["ssl"] = "on", ["ssl_cert_file"] = cert, ["ssl_key_file"] = key },
        };
        var primary = Create(primaryOptions);
        await primary.InitializeAsync(ct);
        await primary.StartAsync(null, ct);
        await primary.EnsureReplicationRoleAsync(ct);
        await primary.EnsureSlotsAsync([PostgresOptions.SlotNameFor("b"), PostgresOptions.SlotNameFor("c")], ct);

        // A root that did not sign the server's certificate: pg_basebackup must refuse it.
        var refused = Create(OptionsFor(root, "c") with { ReplicationTls = new ClientTls("verify-full", otherCa) });
        var error = await Should.ThrowAsync<CitusHa.Core.Errors.CitusHaException>(() => refused.BaseBackupAsync(new ReplicationSource("127.0.0.1", primaryOptions.Port, PostgresOptions.SlotNameFor("c")), ct));
        error.Message.ShouldContain("certificate verify failed");

        var replicaOptions = OptionsFor(root, "b") with { ReplicationTls = new ClientTls("verify-full", ca), SuperuserTls = new ClientTls("verify-full", ca) };
        var replica = Create(replicaOptions);
        var source = new ReplicationSource("127.0.0.1", primaryOptions.Port, PostgresOptions.SlotNameFor("b"));
        await replica.BaseBackupAsync(source, ct);
        await replica.StartAsync(source, ct);
        await TestTimeouts.WaitUntilAsync(async () => (await primary.StreamingStandbysAsync(ct)).Any(s => s.Name == "b"), TimeSpan.FromSeconds(30), "the replica to stream over TLS", ct);
        (await replica.AnswersAsPrimaryAsync(source, ct)).ShouldBeTrue("the superuser's check on the leader verifies too");

        var conf = await File.ReadAllTextAsync(Path.Combine(replicaOptions.DataDirectory, "postgresql.auto.conf"), ct) + string.Join("\n", Directory.GetFiles(replicaOptions.DataDirectory, "*.conf").Select(File.ReadAllText));
        conf.ShouldContain($"sslmode=verify-full sslrootcert={ca}");
        await using var primaryDb = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={primaryOptions.Port};Username=postgres;Password=super-secret;Database=postgres;Pooling=false");
        await primaryDb.OpenAsync(ct);
        await using var ssl = new Npgsql.NpgsqlCommand("SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_replication r USING (pid) WHERE r.application_name = 'b'", primaryDb);
        (await ssl.ExecuteScalarAsync(ct)).ShouldBe(true, "the replica's stream runs over TLS");
    }
}
