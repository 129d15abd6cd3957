using System.Diagnostics;
using CitusHa.Testing;
using CitusHa.Testing.Servers;

namespace CitusHa.Agent.Tests.Cli;

/// <summary><c>citusha list</c> as a user runs it: the built binary as a process, against a real etcd.</summary>
public sealed class ListCommandTests : IAsyncLifetime
{
    private EtcdServer? etcd;

    private EtcdServer Etcd => etcd!;

    public async Task InitializeAsync() => etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync() => await etcd!.DisposeAsync();

    private static async Task<(int ExitCode, string Stdout, string Stderr)> Citusha(params string[] arguments)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "citusha.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(binary);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("CITUSHA_", StringComparison.Ordinal) || k.StartsWith("PATRONI_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name); // the runner's own settings must not leak into the test
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync(TestTimeouts.Default);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task List_prints_a_patronictl_style_table()
    {
        var ns = $"/c{Guid.NewGuid():N}";
        using (var client = Etcd.CreateClient())
        {
            await client.PutAsync($"{ns}/demo/0/leader", "coord1");
            await client.PutAsync($"{ns}/demo/0/status", """{"optime":3145728}""");
            await client.PutAsync($"{ns}/demo/0/members/coord1", """{"conn_url":"postgres://10.0.0.1:5432/postgres","state":"running","role":"primary","timeline":1}""");
            await client.PutAsync($"{ns}/demo/0/members/coord2", """{"conn_url":"postgres://10.0.0.2:5432/postgres","state":"running","role":"replica","replication_state":"streaming","timeline":1,"xlog_location":1048576}""");
        }

        var (exit, stdout, stderr) = await Citusha("list", "demo", "--dcs-url", Etcd.Endpoint, "--namespace", ns);

        exit.ShouldBe(0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("+ Citus cluster: demo ");
        lines[1].ShouldBe("| Group | Member | Host     | Role    | State     | TL | Lag in MB |");
        lines.ShouldContain("|     0 | coord1 | 10.0.0.1 | Leader  | running   |  1 |           |");
        lines.ShouldContain("|     0 | coord2 | 10.0.0.2 | Replica | streaming |  1 |         2 |");
    }

    [Fact]
    public async Task A_missing_cluster_exits_3_with_the_error_id_on_stderr()
    {
        var (exit, stdout, stderr) = await Citusha("list", "nosuch", "--dcs-url", Etcd.Endpoint, "--namespace", "/empty");
        exit.ShouldBe(3);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain("[ClusterNotFound]");
    }

    [Fact]
    public async Task Unreachable_etcd_exits_5_and_a_bad_endpoint_exits_2()
    {
        using var refusing = LoopbackPorts.Refusing();
        var (exit, _, stderr) = await Citusha("list", "--dcs-url", refusing.Endpoint, "--timeout", "3");
        exit.ShouldBe(5, stderr);
        stderr.ShouldContain("[EtcdUnavailable]");

        var (badExit, _, badStderr) = await Citusha("list", "--dcs-url", "ftp://nope:1");
        badExit.ShouldBe(2);
        badStderr.ShouldContain("[InvalidEndpoint]");
    }
}
