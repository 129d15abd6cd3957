using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CitusHa.Testing;
using CitusHa.Testing.Servers;

namespace CitusHa.Core.Tests.Fixtures;

/// <summary>The fixtures themselves: real servers, clean teardown by PID, clear set-up errors.</summary>
public sealed class ServerFixtureTests
{
    private static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Etcd_starts_on_a_free_loopback_port_and_is_gone_with_its_data_after_dispose()
    {
        var ct = TestTimeouts.Default;
        var server = await EtcdServer.StartAsync(cancellationToken: ct);
        int pid = server.Pid;
        string data = server.DataDirectory;
        using (var client = server.CreateClient())
        {
            await client.PutAsync("/fixture/probe", "1", cancellationToken: ct);
            (await client.GetValAsync("/fixture/probe", cancellationToken: ct)).ShouldBe("1");
        }

        ProcessAlive(pid).ShouldBeTrue();
        await server.DisposeAsync();
        ProcessAlive(pid).ShouldBeFalse("the fixture stops etcd by its PID");
        Directory.Exists(data).ShouldBeFalse("the data directory is removed");
    }

    [Fact]
    public async Task A_port_in_use_is_named_in_the_error()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var error = await Should.ThrowAsync<SetupException>(() => EtcdServer.StartAsync(new EtcdServerOptions { ClientPort = port }, TestTimeouts.Default));
        error.Message.ShouldContain($"Port {port}");
        error.Message.ShouldContain("in use");
    }

    [Fact]
    public async Task A_missing_etcd_binary_says_how_to_install_it()
    {
        var error = await Should.ThrowAsync<SetupException>(() => EtcdServer.StartAsync(new EtcdServerOptions { BinaryPath = "/nonexistent/etcd" }, TestTimeouts.Default));
        error.Message.ShouldContain("/nonexistent/etcd");
        error.Message.ShouldContain("etcd-server");
        error.Message.ShouldContain("install-test-deps.sh");
    }

    [Fact]
    public async Task PostgreSQL_15_starts_as_an_unprivileged_user_answers_and_is_gone_after_dispose()
    {
        var ct = TestTimeouts.Default;
        var server = await PostgresServer.StartAsync(cancellationToken: ct);
        int pid = server.Pid;
        string data = server.DataDirectory;

        var version = await server.QueryScalarAsync<string>("SHOW server_version_num", ct);
        int.Parse(version!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(150000);
        var user = await server.QueryScalarAsync<string>("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'postgres'", ct);
        user.ShouldBe("postgres");
        if (OsUser.IsRoot)
        {
            var status = await File.ReadAllTextAsync($"/proc/{pid}/status", ct);
            status.Split('\n').Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).ShouldNotContain("\t0\t", customMessage: "the postmaster must not run as root");
        }

        await server.DisposeAsync();
        ProcessAlive(pid).ShouldBeFalse();
        Directory.Exists(data).ShouldBeFalse();
    }

    [Fact]
    public async Task Running_as_root_without_the_postgres_user_names_the_user_and_the_fix()
    {
        var passwd = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(passwd, "root:x:0:0:root:/root:/bin/bash\n");
            var start = () => PostgresServer.StartAsync(new PostgresServerOptions { PasswdFile = passwd }, TestTimeouts.Default);
            if (OsUser.IsRoot)
            {
                var error = await Should.ThrowAsync<SetupException>(start);
                error.Message.ShouldContain("'postgres' user");
                error.Message.ShouldContain("useradd");
            }
            else
            {
                // Not root: PostgreSQL runs as the current user and no postgres user is needed.
                await using var server = await start();
                server.IsRunning.ShouldBeTrue();
            }
        }
        finally
        {
            File.Delete(passwd);
        }
    }

    [Fact]
    public async Task Missing_PostgreSQL_binaries_say_how_to_install_them()
    {
        var error = await Should.ThrowAsync<SetupException>(() => PostgresServer.StartAsync(new PostgresServerOptions { BinDirectory = "/nonexistent/bin" }, TestTimeouts.Default));
        error.Message.ShouldContain("postgresql-15");
        error.Message.ShouldContain("/nonexistent/bin");
    }
}
