using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CitusHa.Core.Adapters.Postgres;
using CitusHa.Core.Postgres;
using CitusHa.Testing;
using CitusHa.Testing.Servers;

namespace CitusHa.Core.Tests.Adapters.Postgres;

/// <summary>
/// The agent's connections to a peer with Patroni's per-user sslmode and sslrootcert: a primary that
/// serves a certificate of a test CA (for 127.0.0.1), a replica copied and streaming with verify-full,
/// and a copy refused when the root does not match, so verification really happens.
/// </summary>
public sealed class ClientTlsTests : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "citusha-tests", $"tls-{Guid.NewGuid():N}");
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

    private PostgresInstance Create(PostgresOptions options)
    {
        var instance = new PostgresInstance(options);
        instances.Add(instance);
        return instance;
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

    [Fact]
    public async Task A_replica_copies_and_streams_with_verify_full_and_a_wrong_root_is_refused()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        var (ca, cert, key) = await CertificatesAsync(Path.Combine(root, "tls"), "cluster");
        var (otherCa, _, _) = await CertificatesAsync(Path.Combine(root, "other"), "other");

        var primaryOptions = PostgresInstanceTests.OptionsFor(root, "a") with
        {
            Parameters = new Dictionary<string, string> { ["fsync"] = "off", ["shared_buffers"] = "16MB", ["ssl"] = "on", ["ssl_cert_file"] = cert, ["ssl_key_file"] = key },
        };
        var primary = Create(primaryOptions);
        await primary.InitializeAsync(ct);
        await primary.StartAsync(null, ct);
        await primary.EnsureReplicationRoleAsync(ct);
        await primary.EnsureSlotsAsync([PostgresOptions.SlotNameFor("b"), PostgresOptions.SlotNameFor("c")], ct);

        // A root that did not sign the server's certificate: pg_basebackup must refuse it.
        var refused = Create(PostgresInstanceTests.OptionsFor(root, "c") with { ReplicationTls = new ClientTls("verify-full", otherCa) });
        var error = await Should.ThrowAsync<CitusHa.Core.Errors.CitusHaException>(() => refused.BaseBackupAsync(new ReplicationSource("127.0.0.1", primaryOptions.Port, PostgresOptions.SlotNameFor("c")), ct));
        error.Message.ShouldContain("certificate verify failed");

        var replicaOptions = PostgresInstanceTests.OptionsFor(root, "b") with { ReplicationTls = new ClientTls("verify-full", ca), SuperuserTls = new ClientTls("verify-full", ca) };
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
