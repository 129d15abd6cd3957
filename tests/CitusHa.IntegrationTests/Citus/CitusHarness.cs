using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CitusHa.Core.Configuration;
using CitusHa.Core.Formation;
using CitusHa.Core.Model;
using CitusHa.Testing;
using CitusHa.Testing.Citus;
using CitusHa.Testing.Servers;
using Npgsql;

namespace CitusHa.IntegrationTests.Citus;

/// <summary>One pg_dist_node row as a test reads it.</summary>
public sealed record NodeRow(int NodeId, int Group, string Name, int Port, string Role)
{
    public override string ToString() => $"g{Group} #{NodeId} {Name}:{Port} {Role}";
}

/// <summary>
/// A Citus formation for one test: groups × members on loopback, coordinator = group 0. In the
/// stand-in lane the agents run without the Citus library and the test installs the stand-in catalog
/// into the coordinator's Citus database; in the real lane the agents use the installed extension.
/// </summary>
public sealed class CitusHarness : IAsyncDisposable
{
    public const string Database = "citus";
    public const string ApiUser = "citusha";
    public const string ApiPassword = "s3cret-api";

    private CitusHarness(FormationHarness harness, bool realCitus, int groups)
    {
        Harness = harness;
        RealCitus = realCitus;
        Groups = groups;
    }

    public FormationHarness Harness { get; }

    public LocalFormation Formation => Harness.Formation;

    public bool RealCitus { get; }

    public int Groups { get; }

    public static async Task<CitusHarness> StartAsync(bool realCitus, CancellationToken ct, int groups = 3, int membersPerGroup = 2, Func<LocalFormationOptions, LocalFormationOptions>? customize = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "citusha-tests", $"citus-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var basePort = LoopbackPorts.FreeRange(2 + (2 * groups * membersPerGroup));
        var options = new LocalFormationOptions
        {
            Root = root,
            AgentCommand = ["dotnet", AgentBinary.Path],
            Groups = groups,
            MembersPerGroup = membersPerGroup,
            EtcdBinary = ToolLocator.Etcd(),
            PostgresBinDirectory = ToolLocator.PostgresBinDir(),
            RunAsUser = OsUser.IsRoot ? "postgres" : null,
            BasePort = basePort,
            // log_statement = ddl: the server logs every ALTER ROLE, so a password in one would show in the agents' logs.
            PostgresParameters = new Dictionary<string, string> { ["fsync"] = "off", ["shared_buffers"] = "16MB", ["max_connections"] = "40", ["log_statement"] = "ddl" },
            CitusLibrary = realCitus ? "auto" : "off",
            RestApiAuthentication = (ApiUser, ApiPassword),
        };
        var formation = new LocalFormation(customize?.Invoke(options) ?? options);
        var harness = new FormationHarness(formation, root, DcsSettings.Create([formation.EtcdEndpoint], null, "demo", null, TimeSpan.FromSeconds(3)));
        var citus = new CitusHarness(harness, realCitus, groups);
        try
        {
            await formation.StartAsync(ct);
            var deferred = (customize?.Invoke(options) ?? options).DeferredGroups;
            await citus.WaitForGroupsHealthyAsync(Enumerable.Range(0, groups).Where(g => !deferred.Contains(g)), TimeSpan.FromSeconds(120), ct);
            if (!realCitus)
            {
                var coordinator = await citus.LeaderAsync(0, ct);
                await CitusLanes.InstallStandInAsync(citus.ConnectionString(coordinator, Database), ct);
            }

            return citus;
        }
        catch
        {
            await citus.DisposeAsync();
            throw;
        }
    }

    public LocalMember Member(string name) => Formation.Member(name);

    public async Task<IReadOnlyList<TopologyMember>> MembersAsync(int group, CancellationToken ct) =>
        (await Harness.MembersAsync(ct)).Where(m => m.Group == group).ToList();

    public async Task<LocalMember> LeaderAsync(int group, CancellationToken ct)
    {
        LocalMember? leader = null;
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            var name = (await MembersAsync(group, ct)).FirstOrDefault(m => m.Role == MemberRole.Leader && m.State == "running")?.Name;
            leader = name is null ? null : Member(name);
            return leader is not null;
        }, TimeSpan.FromSeconds(60), $"a running leader in group {group}", ct);
        return leader!;
    }

    /// <summary>Every listed group: one running leader, the rest streaming on its timeline.</summary>
    public async Task WaitForGroupsHealthyAsync(IEnumerable<int> groups, TimeSpan timeout, CancellationToken ct)
    {
        var wanted = groups.ToList();
        var perGroup = Formation.Members.GroupBy(m => m.Group).ToDictionary(g => g.Key, g => g.Count());
        try
        {
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                var all = await Harness.MembersAsync(ct);
                return wanted.All(g => FormationHarness.IsHealthy(all.Where(m => m.Group == g).ToList(), perGroup[g]));
            }, timeout, $"groups {string.Join(",", wanted)} healthy", ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{await Harness.DescribeAsync(ct)}", e);
        }
    }

    public string ConnectionString(LocalMember member, string database, int commandTimeout = 10) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = member.PostgresPort,
        Username = "postgres",
        Password = Formation.SuperuserPassword,
        Database = database,
        Timeout = 3,
        CommandTimeout = commandTimeout,
        Pooling = false,
    }.ConnectionString;

    /// <summary>pg_dist_node as the coordinator's leader sees it (committed rows only).</summary>
    public async Task<IReadOnlyList<NodeRow>> PgDistNodeAsync(CancellationToken ct)
    {
        var coordinator = await LeaderAsync(0, ct);
        await using var connection = new NpgsqlConnection(ConnectionString(coordinator, Database));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT nodeid, groupid, nodename, nodeport, noderole::text FROM pg_catalog.pg_dist_node ORDER BY groupid, nodeid", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<NodeRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new NodeRow(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4)));
        }

        return rows;
    }

    /// <summary>
    /// What pg_dist_node must say by etcd's truth: per group, its leader as primary and every other
    /// running member as secondary, by the host:port of their conn_url.
    /// </summary>
    public async Task<HashSet<(int Group, string Name, int Port, string Role)>> ExpectedRowsAsync(IEnumerable<int> groups, CancellationToken ct)
    {
        var all = await Harness.MembersAsync(ct);
        var expected = new HashSet<(int, string, int, string)>();
        foreach (var g in groups)
        {
            foreach (var m in all.Where(m => m.Group == g && m.State is "running" or "streaming"))
            {
                var member = Member(m.Name);
                expected.Add((g, "127.0.0.1", member.PostgresPort, m.Role == MemberRole.Leader ? "primary" : "secondary"));
            }
        }

        return expected;
    }

    /// <summary>Waits until pg_dist_node equals etcd's truth for <paramref name="groups"/> (and has nothing else).</summary>
    public async Task WaitForCatalogTruthAsync(IEnumerable<int> groups, TimeSpan timeout, CancellationToken ct)
    {
        var wanted = groups.ToList();
        IReadOnlyList<NodeRow> last = [];
        HashSet<(int, string, int, string)> expected = [];
        try
        {
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                expected = await ExpectedRowsAsync(wanted, ct);
                last = await PgDistNodeAsync(ct);
                return last.Select(r => (r.Group, r.Name, r.Port, r.Role)).ToHashSet().SetEquals(expected);
            }, timeout, "pg_dist_node equal to etcd's truth", ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nexpected: {string.Join("; ", expected.Order())}\nactual: {string.Join("; ", last)}\n{await Harness.DescribeAsync(ct)}", e);
        }
    }

    /// <summary>POSTs to a member's REST API with the formation's credentials (or <paramref name="password"/>).</summary>
    public static async Task<(int Status, string Body)> PostAsync(LocalMember member, string path, string json, CancellationToken ct, string password = ApiPassword)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{member.ApiUrl}{path}")) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ApiUser}:{password}")));
        using var response = await http.SendAsync(request, ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>A switchover of <paramref name="group"/> through its leader's REST API; returns the candidate.</summary>
    public async Task<LocalMember> SwitchoverAsync(int group, CancellationToken ct, string password = ApiPassword)
    {
        var leader = await LeaderAsync(group, ct);
        var candidate = Formation.Members.First(m => m.Group == group && m.Name != leader.Name);
        var (status, body) = await PostAsync(leader, "/switchover", $"{{\"leader\":\"{leader.Name}\",\"candidate\":\"{candidate.Name}\"}}", ct, password);
        if (status != 200)
        {
            throw new InvalidOperationException($"switchover of group {group} answered {status.ToString(CultureInfo.InvariantCulture)}: {body}");
        }

        return candidate;
    }

    public async Task<LocalMember> WaitForNewLeaderAsync(int group, string? notThis, CancellationToken ct, string? expected = null)
    {
        LocalMember? leader = null;
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            var candidate = await LeaderAsync(group, ct);
            leader = candidate.Name != notThis && (expected is null || candidate.Name == expected) ? candidate : null;
            return leader is not null;
        }, TimeSpan.FromSeconds(60), $"a new leader in group {group}", ct);
        return leader!;
    }

    /// <summary>Sessions of the coordinator's metadata connection idle in an open transaction (a paused group).</summary>
    public async Task<long> OpenMetadataTransactionsAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(await LeaderAsync(0, ct), Database));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'citusha-metadata' AND state = 'idle in transaction'", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public static string AgentLog(LocalMember member) => File.Exists(member.LogFile) ? File.ReadAllText(member.LogFile) : string.Empty;

    public ValueTask DisposeAsync() => Harness.DisposeAsync();
}
