using CitusHa.Core.Configuration;
using CitusHa.Core.Formation;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using Npgsql;

namespace CitusHa.IntegrationTests;

/// <summary>A local formation for one test: started on free ports, torn down by PID, data removed.</summary>
public sealed class FormationHarness : IAsyncDisposable
{
    internal FormationHarness(LocalFormation formation, string root, DcsSettings dcs)
    {
        Formation = formation;
        Root = root;
        Dcs = dcs;
    }

    public LocalFormation Formation { get; }

    public string Root { get; }

    public DcsSettings Dcs { get; }

    /// <summary>
    /// Starts a formation of <paramref name="members"/> members and waits until it is healthy.
    /// <paramref name="etcdEndpointFor"/>, given etcd's port and a member's name, names the endpoint that
    /// member uses (a proxy a test can cut).
    /// </summary>
    public static async Task<FormationHarness> StartAsync(int members = 3, Func<int, string, string>? etcdEndpointFor = null, string synchronousMode = "quorum", Func<LocalFormationOptions, LocalFormationOptions>? customize = null, CancellationToken cancellationToken = default)
    {
        var root = Path.Combine(Path.GetTempPath(), "citusha-tests", $"formation-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var basePort = LoopbackPorts.FreeRange(2 + (2 * members));
        var options = new LocalFormationOptions
        {
            Root = root,
            AgentCommand = ["dotnet", AgentBinary.Path],
            MembersPerGroup = members,
            EtcdBinary = ToolLocator.Etcd(),
            PostgresBinDirectory = ToolLocator.PostgresBinDir(),
            RunAsUser = OsUser.IsRoot ? "postgres" : null,
            BasePort = basePort,
            PostgresParameters = new Dictionary<string, string> { ["fsync"] = "off", ["shared_buffers"] = "16MB", ["max_connections"] = "40" },
            EtcdEndpointFor = etcdEndpointFor is null ? null : name => etcdEndpointFor(basePort, name),
            SynchronousMode = synchronousMode,
            // The HA stories run on plain PostgreSQL wherever Citus happens to be installed; the Citus lanes choose for themselves.
            CitusLibrary = "off",
        };
        var formation = new LocalFormation(customize?.Invoke(options) ?? options);
        var harness = new FormationHarness(formation, root, DcsSettings.Create([formation.EtcdEndpoint], null, "demo", null, TimeSpan.FromSeconds(3)));
        try
        {
            await formation.StartAsync(cancellationToken);
            await harness.WaitForHealthyAsync(members, TimeSpan.FromSeconds(90), cancellationToken);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    public async Task<IReadOnlyList<TopologyMember>> MembersAsync(CancellationToken ct) =>
        (await Topology.GetAsync(Dcs, new TopologyRequest(), ct)).Clusters.SelectMany(c => c.Members).ToList();

    public async Task<string?> LeaderAsync(CancellationToken ct)
    {
        try
        {
            return (await MembersAsync(ct)).FirstOrDefault(m => m.Role == MemberRole.Leader)?.Name;
        }
        catch (Core.Errors.CitusHaException)
        {
            return null;
        }
    }

    /// <summary>One leader running and every other member streaming on the leader's timeline.</summary>
    public async Task WaitForHealthyAsync(int expectedMembers, TimeSpan timeout, CancellationToken ct, string? leader = null)
    {
        try
        {
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                return IsHealthy(await MembersAsync(ct), expectedMembers, leader);
            }, timeout, $"{expectedMembers} members with one leader and the rest streaming", ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{await DescribeAsync(ct)}", e);
        }
    }

    /// <summary>One group's members: <paramref name="expectedMembers"/> of them, one running leader, the rest streaming on its timeline.</summary>
    public static bool IsHealthy(IReadOnlyList<TopologyMember> members, int expectedMembers, string? leader = null)
    {
        var lead = members.Where(m => m.Role == MemberRole.Leader).ToList();
        return members.Count == expectedMembers && lead.Count == 1 && lead[0].State == "running" && (leader is null || lead[0].Name == leader)
            && members.Where(m => m.Role != MemberRole.Leader).All(m => m.State == "streaming" && m.Timeline == lead[0].Timeline);
    }

    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        var text = new System.Text.StringBuilder();
        try
        {
            foreach (var m in await MembersAsync(ct))
            {
                text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{m.Name}: {m.Role} {m.State} TL{m.Timeline}");
            }
        }
        catch (Core.Errors.CitusHaException e)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"(topology unavailable: {e.Message})");
        }

        foreach (var member in Formation.Members)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"--- {member.Name} agent log (last lines)");
            if (File.Exists(member.LogFile))
            {
                foreach (var line in File.ReadLines(member.LogFile).TakeLast(12))
                {
                    text.AppendLine(line);
                }
            }
        }

        return text.ToString();
    }

    /// <summary>A connection string that finds whichever member is writable.</summary>
    public string PrimaryConnectionString() => new NpgsqlConnectionStringBuilder
    {
        Host = string.Join(",", Formation.Members.Select(m => $"127.0.0.1:{m.PostgresPort}")),
        Username = "postgres",
        Password = Formation.SuperuserPassword,
        Database = "postgres",
        TargetSessionAttributes = "read-write",
        HostRecheckSeconds = 0, // Npgsql would otherwise remember a standby as such for 10 s after it was promoted
        Timeout = 2,
        CommandTimeout = 5,
        Pooling = false,
    }.ConnectionString;

    public string MemberConnectionString(LocalMember member) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = member.PostgresPort,
        Username = "postgres",
        Password = Formation.SuperuserPassword,
        Database = "postgres",
        Timeout = 1,
        CommandTimeout = 2,
        Pooling = false,
    }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        await Formation.DisposeAsync();
        if (Environment.GetEnvironmentVariable("CITUSHA_TEST_KEEP") == "1")
        {
            Console.WriteLine($"CITUSHA_TEST_KEEP=1: the formation's folder (agent logs, data) is kept at {Root}");
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
