using System.Diagnostics;
using System.Globalization;
using CitusHa.Core.Configuration;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using CitusHa.Testing.Workloads;
using Npgsql;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>
/// The agent image for real (issue 16): etcd and a group of three agent containers on a user-defined
/// Docker network, members registered by container DNS name. Runs where a Docker engine answers and
/// the image was built (./build.sh image; ./build.sh test builds it where it can); skipped elsewhere.
/// </summary>
public sealed class ContainerLaneTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string id = Guid.NewGuid().ToString("N")[..8];
    private readonly string folder = Path.Combine(Path.GetTempPath(), "citusha-tests", $"containers-{Guid.NewGuid():N}"[..24]);
    private readonly List<string> containers = [];
    private const string Password = "lane-super-secret";

    private string Network => $"citusha-lane-{id}";

    private string Member(int i) => $"lane{id}-{i}";

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var container in containers)
        {
            await Docker.RunAsync(["rm", "-f", "-v", container], TimeSpan.FromSeconds(60), throwOnError: false);
        }

        await Docker.RunAsync(["network", "rm", Network], TimeSpan.FromSeconds(30), throwOnError: false);
        Directory.Delete(folder, recursive: true);
    }

    [ContainerLaneFact]
    public async Task A_group_of_agent_containers_survives_docker_kill_and_hands_over_on_docker_stop()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(8));
        await Docker.RunAsync(["network", "create", Network], TimeSpan.FromSeconds(30));

        // etcd: Debian's static binary from this machine, in a container of the agent image.
        var etcdName = $"lane{id}-etcd";
        containers.Add(etcdName);
        await Docker.RunAsync(
        [
            "run", "-d", "--name", etcdName, "--network", Network, "-v", $"{ToolLocator.Etcd()}:/usr/local/bin/etcd:ro", "--entrypoint", "/usr/local/bin/etcd", Docker.Image,
            "--name", "lane", "--data-dir", "/tmp/etcd", "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", $"http://{etcdName}:2379",
        ], TimeSpan.FromSeconds(60));
        var etcdIp = await Docker.IpAsync(etcdName);

        for (var i = 0; i < 3; i++)
        {
            var name = Member(i);
            var config = Path.Combine(folder, $"{name}.yml");
            string[] yaml =
            [
                $"scope: lane{id}",
                $"name: {name}",
                $"etcd3: {{hosts: '{etcdName}:2379'}}",
                $"restapi: {{listen: '0.0.0.0:8008', connect_address: '{name}:8008'}}",
                "bootstrap: {dcs: {ttl: 10, loop_wait: 1, retry_timeout: 3, synchronous_mode: quorum}}",
                "postgresql:",
                "  listen: 0.0.0.0:5432",
                $"  connect_address: {name}:5432",
                "  data_dir: /var/lib/postgresql/data/pgdata",
                "  parameters: {shared_buffers: 16MB, fsync: 'off'}",
                "  authentication:",
                $"    superuser: {{username: postgres, password: {Password}}}",
                "    replication: {username: replicator, password: lane-repl-secret}",
                "citusha: {state_dir: /var/lib/postgresql/data/state}",
            ];
            await File.WriteAllLinesAsync(config, yaml, ct);
            File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
            containers.Add(name);
            // As the rendered StatefulSet runs it: a read-only root filesystem, the data on a volume,
            // /tmp and the socket directory writable (emptyDir there, tmpfs here).
            await Docker.RunAsync(
            [
                "run", "-d", "--name", name, "--hostname", name, "--network", Network, "--read-only",
                "--tmpfs", "/tmp", "--tmpfs", "/var/run/postgresql:uid=999,gid=999", "--mount", $"type=volume,dst=/var/lib/postgresql/data",
                "-v", $"{config}:/etc/citusha/citusha.yml:ro", Docker.Image,
            ], TimeSpan.FromSeconds(60));
        }

        var dcs = DcsSettings.Create([$"{etcdIp}:2379"], null, $"lane{id}", null, TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();
        await WaitHealthyAsync(dcs, 3, ct);
        output.WriteLine($"three containers healthy (a leader, two streaming) after {clock.Elapsed.TotalSeconds:0.0} s");

        // The agent is PID 1: when a postmaster dies, its children are re-parented to the agent, which
        // must reap them (no init in the image). Kill a standby's postmaster and look for zombies.
        var leaderNow = (await LeaderAsync(dcs, ct)).ShouldNotBeNull();
        var victim = leaderNow == Member(0) ? Member(1) : Member(0);
        var postmaster = (await Docker.RunAsync(["exec", victim, "sh", "-c", "head -1 /var/lib/postgresql/data/pgdata/postmaster.pid"], TimeSpan.FromSeconds(30))).Trim();
        await Docker.RunAsync(["exec", victim, "sh", "-c", $"kill -9 {postmaster}"], TimeSpan.FromSeconds(30));
        await WaitHealthyAsync(dcs, 3, ct);
        const string Zombies = "for f in /proc/[0-9]*/stat; do read -r line < \"$f\" 2>/dev/null && case \"${line##*) }\" in Z*) echo \"$line\";; esac; done; true";
        var zombies = string.Empty;
        await TestTimeouts.WaitUntilAsync(async () => (zombies = (await Docker.RunAsync(["exec", victim, "sh", "-c", Zombies], TimeSpan.FromSeconds(30))).Trim()).Length == 0,
            TimeSpan.FromSeconds(15), $"the agent (PID 1) to reap the killed postmaster's orphans; zombies left: {zombies}", ct);
        output.WriteLine($"postmaster {postmaster} of {victim} killed: group healthy again, no zombie under PID 1");

        var ips = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ips.Add(await Docker.IpAsync(Member(i)));
        }

        var writerConnection = new NpgsqlConnectionStringBuilder
        {
            Host = string.Join(",", ips.Select(ip => $"{ip}:5432")), Username = "postgres", Password = Password, Database = "postgres",
            TargetSessionAttributes = "read-write", Timeout = 2, CommandTimeout = 5, Pooling = false,
        }.ConnectionString;
        await using var writer = new NumberedWriter(writerConnection);
        await writer.StartAsync(ct);
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= 25), TimeSpan.FromSeconds(30), "the writer to commit rows", ct);

        // docker kill: SIGKILL to the agent (PID 1) and, with the container, PostgreSQL.
        var first = (await LeaderAsync(dcs, ct)).ShouldNotBeNull();
        clock.Restart();
        await Docker.RunAsync(["kill", first], TimeSpan.FromSeconds(30));
        string? second = null;
        await TestTimeouts.WaitUntilAsync(async () => (second = await LeaderAsync(dcs, ct)) is { } l && l != first, TimeSpan.FromSeconds(60), "a new leader after docker kill", ct);
        var before = writer.Acknowledged.Count;
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= before + 25), TimeSpan.FromSeconds(30), "writes on the new primary", ct);
        output.WriteLine($"docker kill {first}: {second} took the key after {clock.Elapsed.TotalSeconds:0.0} s");
        await Docker.RunAsync(["start", first], TimeSpan.FromSeconds(60));
        await WaitHealthyAsync(dcs, 3, ct);

        // docker stop: SIGTERM with the default 10 s grace; the leader hands over before it exits.
        var leader = (await LeaderAsync(dcs, ct)).ShouldNotBeNull();
        clock.Restart();
        var stopping = Docker.RunAsync(["stop", leader], TimeSpan.FromSeconds(60));
        string? third = null;
        await TestTimeouts.WaitUntilAsync(async () => (third = await LeaderAsync(dcs, ct)) is { } l && l != leader, TimeSpan.FromSeconds(30), "a new leader after docker stop", ct);
        var handedOver = clock.Elapsed;
        await stopping;
        var exited = clock.Elapsed;
        var exitCode = (await Docker.RunAsync(["inspect", "-f", "{{.State.ExitCode}}", leader], TimeSpan.FromSeconds(30))).Trim();
        output.WriteLine($"docker stop {leader}: {third} took the key after {handedOver.TotalSeconds:0.0} s; the container exited after {exited.TotalSeconds:0.0} s with code {exitCode}");
        exited.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the agent stopped within docker's grace period instead of being killed");
        exitCode.ShouldBe("0");

        before = writer.Acknowledged.Count;
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= before + 25), TimeSpan.FromSeconds(30), "writes on the new primary", ct);
        await writer.DisposeAsync();
        var lost = await writer.LostAsync(writerConnection, ct);
        lost.ShouldBeEmpty($"acknowledged rows lost: {string.Join(",", lost.Take(20))}");
        output.WriteLine($"{writer.Acknowledged.Count} rows acknowledged, 0 lost");
    }

    private static async Task<string?> LeaderAsync(DcsSettings dcs, CancellationToken ct)
    {
        try
        {
            return (await Topology.GetAsync(dcs, new TopologyRequest(), ct)).Clusters.SelectMany(c => c.Members).FirstOrDefault(m => m.Role == MemberRole.Leader)?.Name;
        }
        catch (Core.Errors.CitusHaException)
        {
            return null;
        }
    }

    private static Task WaitHealthyAsync(DcsSettings dcs, int members, CancellationToken ct) =>
        TestTimeouts.WaitUntilAsync(async () =>
        {
            try
            {
                var all = (await Topology.GetAsync(dcs, new TopologyRequest(), ct)).Clusters.SelectMany(c => c.Members).ToList();
                return all.Count == members && all.Count(m => m.Role == MemberRole.Leader) == 1 && all.Count(m => m.State == "streaming") == members - 1;
            }
            catch (Core.Errors.CitusHaException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(180), $"{members} containers healthy", ct);
}

/// <summary>The docker CLI, and whether the container lane can run here.</summary>
internal static class Docker
{
    public static string Image { get; } = $"citusha/agent:{typeof(Docker).Assembly.GetName().Version!.ToString(3)}";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            if (RunAsync(["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(20)).GetAwaiter().GetResult().Length == 0)
            {
                return "container lane: no Docker engine answers here";
            }

            RunAsync(["image", "inspect", Image], TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or Core.Errors.CitusHaException)
        {
            return $"container lane: no Docker engine answers here or the image {Image} is not built (./build.sh image; CITUSHA_IMAGE_OFFLINE=1 where no registry is reachable)";
        }
    });

    public static string? Unavailable => Missing.Value;

    /// <summary>docker with <paramref name="arguments"/>; its output (stdout and stderr). Throws on a non-zero exit unless told not to.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> arguments, TimeSpan timeout, bool throwOnError = true)
    {
        var result = await new Core.Adapters.Processes.CommandRunner().RunAsync("docker", arguments, timeout, CancellationToken.None);
        if (!result.Succeeded && throwOnError)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Output}");
        }

        return result.Output;
    }

    public static async Task<string> IpAsync(string container) =>
        (await RunAsync(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container], TimeSpan.FromSeconds(30))).Trim();
}

[AttributeUsage(AttributeTargets.Method)]
internal sealed class ContainerLaneFactAttribute : FactAttribute
{
    public ContainerLaneFactAttribute()
    {
        if (Docker.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
