using System.Diagnostics;
using CitusHa.Core.Kubernetes;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using k8s.Models;
using Npgsql;

namespace CitusHa.Core.Tests.Kubernetes;

/// <summary>
/// The rendered PgBouncer configuration against the real pooler (Debian's pgbouncer) and a real
/// PostgreSQL with SCRAM logins: the init container's script builds the auth file from the Secret's
/// file (a password with a quote in it), and a client logs in through PgBouncer as its own user via
/// auth_query. Only the host names and ports are changed for loopback.
/// </summary>
public sealed class PgBouncerConfigTests
{
    private const string Pgbouncer = "/usr/sbin/pgbouncer";

    private static readonly ClusterManifestRequest Request = new() { Name = "sales", Namespace = "data", EtcdEndpoints = ["etcd:2379"], PgBouncer = true };

    [PgBouncerFact]
    public async Task A_client_logs_in_through_the_rendered_pooler_as_its_own_user()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        await using var postgres = await PostgresServer.StartAsync(cancellationToken: ct);
        const string SuperuserPassword = "super\"quoted'secret";
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync(ct);
            await using var setup = new NpgsqlCommand("SET password_encryption = 'scram-sha-256'; ALTER ROLE postgres PASSWORD 'super\"quoted''secret'; CREATE ROLE app LOGIN PASSWORD 'app-secret'", admin);
            await setup.ExecuteNonQueryAsync(ct);
        }

        // SCRAM for every TCP login from here on (the fixture's own trust rules only for the socket).
        await File.WriteAllTextAsync(Path.Combine(postgres.DataDirectory, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", ct);
        await postgres.QueryScalarAsync<bool>("SELECT pg_reload_conf()", ct);

        var objects = ClusterManifestRenderer.Render(Request);
        var ini = objects.OfType<V1ConfigMap>().Single(m => m.Metadata.Name == "sales-pgbouncer").Data["pgbouncer.ini"];
        var init = objects.OfType<V1Deployment>().Single().Spec.Template.Spec.InitContainers.Single().Command;

        var folder = Directory.CreateTempSubdirectory("citusha-pgbouncer-").FullName;
        Process? pooler = null;
        try
        {
            var secret = Path.Combine(folder, "superuser-password");
            await File.WriteAllTextAsync(secret, SuperuserPassword, ct);
            var userlist = Path.Combine(folder, "userlist.txt");
            var script = init[2].Replace("/etc/citusha/secrets/superuser-password", secret, StringComparison.Ordinal).Replace("/etc/pgbouncer-auth/userlist.txt", userlist, StringComparison.Ordinal);
            var (code, output) = await OsUser.RunAsync(init[0], [init[1], script], ct);
            code.ShouldBe(0, output);
            (await File.ReadAllTextAsync(userlist, ct)).ShouldBe("\"postgres\" \"super\"\"quoted'secret\"\n", "a quote in the password is doubled, as pgbouncer's auth file wants");

            var port = LoopbackPorts.Next();
            ini = ini.Replace("host=sales-coordinator.data.svc port=5432", $"host=127.0.0.1 port={postgres.Port}", StringComparison.Ordinal)
                .Replace("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1", StringComparison.Ordinal)
                .Replace("listen_port = 6432", $"listen_port = {port}", StringComparison.Ordinal)
                .Replace("/etc/pgbouncer-auth/userlist.txt", userlist, StringComparison.Ordinal);
            var config = Path.Combine(folder, "pgbouncer.ini");
            await File.WriteAllTextAsync(config, ini, ct);
            await OsUser.ChownAsync("postgres", folder, ct);

            var (file, arguments) = OsUser.Wrap("postgres", Pgbouncer, [config]);
            var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            arguments.ForEach(start.ArgumentList.Add);
            pooler = Process.Start(start)!;
            var through = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "app", Password = "app-secret", Database = "postgres", Pooling = false, Timeout = 5 }.ConnectionString;
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                try
                {
                    await using var probe = new NpgsqlConnection(through);
                    await probe.OpenAsync(ct);
                    return true;
                }
                catch (NpgsqlException) when (!pooler.HasExited)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20), "PgBouncer to accept a login", ct);

            await using (var client = new NpgsqlConnection(through))
            {
                await client.OpenAsync(ct);
                await using var who = new NpgsqlCommand("SELECT current_user", client);
                (await who.ExecuteScalarAsync(ct)).ShouldBe("app", "PgBouncer looked the user's SCRAM secret up with auth_query and logged in as the user");
            }

            var wrong = new NpgsqlConnectionStringBuilder(through) { Password = "not-it" }.ConnectionString;
            await using var refused = new NpgsqlConnection(wrong);
            var error = await Should.ThrowAsync<PostgresException>(() => refused.OpenAsync(ct));
            error.SqlState.ShouldBe("08P01", customMessage: error.MessageText);
        }
        finally
        {
            if (pooler is { HasExited: false })
            {
                pooler.Kill(entireProcessTree: true);
                await pooler.WaitForExitAsync(CancellationToken.None);
            }

            pooler?.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>Runs where Debian's pgbouncer is installed (./build.sh test installs it), skipped elsewhere with the reason.</summary>
public sealed class PgBouncerFactAttribute : FactAttribute
{
    public PgBouncerFactAttribute()
    {
        if (!File.Exists("/usr/sbin/pgbouncer"))
        {
            Skip = "pgbouncer is not installed (apt-get install pgbouncer; scripts/install-test-deps.sh does it)";
        }
    }
}
