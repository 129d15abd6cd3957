using System.Collections;
using CitusHa.Core.Configuration;
using CitusHa.Core.Operations;
using CitusHa.Testing;
using CitusHa.Testing.PowerShell;
using CitusHa.Testing.Servers;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>
/// A group run by Debian's Patroni itself (no CitusHa agent), operated from the module: the cmdlets read
/// its etcd layout and switch it over through its REST API, as they do ours.
/// </summary>
public sealed class PatroniGroupTests(ITestOutputHelper output)
{
    private const string Scope = "patroni-group";

    private static string Config(string name, string root, int apiPort, int pgPort, string etcd) => $"""
        scope: {Scope}
        namespace: /service/
        name: {name}
        restapi:
          listen: 127.0.0.1:{apiPort}
          connect_address: 127.0.0.1:{apiPort}
        etcd3:
          hosts: {etcd.Replace("http://", string.Empty, StringComparison.Ordinal)}
        bootstrap:
          dcs:
            ttl: 10
            loop_wait: 1
            retry_timeout: 3
            maximum_lag_on_failover: 1048576
            postgresql:
              use_pg_rewind: true
              parameters:
                max_connections: 40
                shared_buffers: 16MB
                fsync: 'off'
          initdb:
          - encoding: UTF8
          - auth: md5
          pg_hba:
          - local all all trust
          - host all all 127.0.0.1/32 md5
          - host replication replicator 127.0.0.1/32 md5
        postgresql:
          listen: 127.0.0.1:{pgPort}
          connect_address: 127.0.0.1:{pgPort}
          data_dir: {root}/{name}/data
          bin_dir: {ToolLocator.PostgresBinDir()}
          pgpass: {root}/{name}/pgpass
          authentication:
            superuser:
              username: postgres
              password: patroni-su
            replication:
              username: replicator
              password: patroni-rep
          parameters:
            unix_socket_directories: '{root}/{name}'
        """;

    [Fact]
    public async Task The_module_reads_a_Patroni_group_and_switches_it_over()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        var patroni = ToolLocator.FindOnPath("patroni")
            ?? throw new SetupException($"patroni is not installed: it comes with Debian's patroni package. {ToolLocator.InstallHint}");
        await using var etcd = await EtcdServer.StartAsync(cancellationToken: ct);
        var root = Path.Combine(Path.GetTempPath(), "citusha-tests", $"patroni-{Guid.NewGuid():N}"[..24]);
        var ports = LoopbackPorts.FreeRange(4);
        var members = new List<ServerProcess>();
        try
        {
            foreach (var (name, i) in new[] { ("p1", 0), ("p2", 1) })
            {
                Directory.CreateDirectory(Path.Combine(root, name));
                await File.WriteAllTextAsync(Path.Combine(root, $"{name}.yml"), Config(name, root, ports + (2 * i), ports + (2 * i) + 1, etcd.Endpoint), ct);
            }

            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
            await OsUser.ChownAsync("postgres", root, ct);
            var dcs = DcsSettings.Create([etcd.Endpoint], null, Scope, null, TimeSpan.FromSeconds(3));
            async Task<IReadOnlyList<Core.Model.TopologyMember>> MembersAsync()
            {
                try
                {
                    return (await Topology.GetAsync(dcs, new TopologyRequest(), ct)).Clusters.SelectMany(c => c.Members).ToList();
                }
                catch (Core.Errors.CitusHaException)
                {
                    return [];
                }
            }

            foreach (var name in new[] { "p1", "p2" })
            {
                var (file, arguments) = OsUser.Wrap("postgres", patroni, [Path.Combine(root, $"{name}.yml")]);
                members.Add(ServerProcess.Start(file, arguments, $"patroni {name}", root));
                var expected = members.Count;
                await TestTimeouts.WaitUntilAsync(async () => (await MembersAsync()) is var m && m.Count == expected
                    && m.Count(x => x.Role == Core.Model.MemberRole.Leader && x.State == "running") == 1
                    && m.Where(x => x.Role != Core.Model.MemberRole.Leader).All(x => x.State is "running" or "streaming"),
                    TimeSpan.FromSeconds(90), $"{expected} Patroni member(s) running with one leader", ct);
            }

            using var session = ModuleSession.Open();
            session.ScriptTimeout = TimeSpan.FromSeconds(90);
            var variables = new Hashtable { ["endpoint"] = etcd.Endpoint, ["scope"] = Scope };
            var topology = session.Invoke("Get-CitusTopology -Name $scope -Endpoint $endpoint", variables);
            topology.Errors.ShouldBeEmpty(topology.Describe());
            topology.Output.Count.ShouldBe(2);
            topology.Output.ShouldAllBe(o => o.Properties["Group"].Value == null, "a plain Patroni cluster has no Citus group");
            var leader = (string)topology.Output.Single(o => (bool)o.Properties["IsLeader"].Value).Properties["Member"].Value;

            var switched = session.Invoke("Invoke-CitusSwitchover -Name $scope -Endpoint $endpoint -Force", variables);
            switched.Errors.ShouldBeEmpty(switched.Describe() + "\n" + string.Join("\n", members.Select(m => m.OutputTail(15))));
            var result = switched.Output.ShouldHaveSingleItem();
            result.Properties["OldLeader"].Value.ShouldBe(leader);
            var newLeader = (string)result.Properties["NewLeader"].Value;
            newLeader.ShouldNotBe(leader);
            output.WriteLine($"Patroni group switched over {leader} -> {newLeader} in {((TimeSpan)result.Properties["Duration"].Value).TotalSeconds:0.00} s; {result.Properties["Message"].Value}");

            var health = session.Invoke("Get-CitusCluster -Name $scope -Endpoint $endpoint", variables);
            health.Errors.ShouldBeEmpty(health.Describe());
            health.Output.ShouldHaveSingleItem().Properties["Leader"].Value.ShouldBe(newLeader);
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // best effort: the folder is under the tests' temp root
            }
        }
    }
}
