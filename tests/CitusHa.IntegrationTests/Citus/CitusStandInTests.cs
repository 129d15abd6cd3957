using CitusHa.Core.Formation;
using CitusHa.Testing;
using Npgsql;

namespace CitusHa.IntegrationTests.Citus;

/// <summary>
/// One stand-in formation shared by the stories below: three groups × two members on plain
/// PostgreSQL, the stand-in catalog in the coordinator's Citus database. Group 2's agents carry a
/// REST password the coordinator does not accept, so every event they send is lost: their group
/// lives on the coordinator's reconcile alone. Each story leaves the formation healthy.
/// </summary>
public sealed class StandInFormation : IAsyncLifetime
{
    public const string LostEventsPassword = "not-the-coordinator-s";

    public CitusHarness Citus { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Citus = await CitusHarness.StartAsync(realCitus: false, TestTimeouts.After(TimeSpan.FromMinutes(3)), customize: LoseGroup2Events);

    public async Task DisposeAsync() => await Citus.DisposeAsync();

    /// <summary>Group 2's agents get a REST password the coordinator refuses: their events are lost.</summary>
    public static LocalFormationOptions LoseGroup2Events(LocalFormationOptions options) => options with
    {
        EnvironmentFor = m => m.Group == 2 ? new Dictionary<string, string> { ["CITUSHA_RESTAPI_PASSWORD_FILE"] = Secret(m) } : new Dictionary<string, string>(),
    };

    private static string Secret(LocalMember member)
    {
        var path = Path.Combine(member.Directory, "lost-events-api.secret");
        File.WriteAllText(path, LostEventsPassword);
        return path;
    }
}

/// <summary>The stand-in lane (runs everywhere): the agent's real SQL against the stand-in catalog.</summary>
public sealed partial class CitusStandInTests(StandInFormation fixture) : IClassFixture<StandInFormation>
{
    private static readonly int[] AllGroups = CitusStories.AllGroups;
    private readonly CitusHarness citus = fixture.Citus;

    private static CancellationToken Minutes(int n) => TestTimeouts.After(TimeSpan.FromMinutes(n));

    [Fact]
    public Task The_coordinator_registers_every_group_s_primary_and_standbys() => CitusStories.RegistrationAsync(citus, Minutes(2));

    [Fact]
    public async Task Test_CitusCluster_finds_pg_dist_node_equal_to_etcd_and_names_refused_credentials()
    {
        var ct = Minutes(2);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(60), ct);
        using var session = CitusHa.Testing.PowerShell.ModuleSession.Open();
        var variables = new System.Collections.Hashtable { ["endpoint"] = citus.Formation.EtcdEndpoint, ["password"] = citus.Formation.SuperuserPassword };

        var result = session.Invoke("""
            $credential = [pscredential]::new('postgres', [System.Net.NetworkCredential]::new('', $password).SecurePassword)
            Test-CitusCluster demo -Endpoint $endpoint -PostgresCredential $credential | Where-Object Check -eq PgDistNode
            """, variables);

        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.Select(o => $"{o.Properties["Group"].Value} {o.Properties["Status"].Value}").ShouldBe(["0 Passed", "1 Passed", "2 Passed"],
            string.Join("\n", result.Output.Select(o => o.Properties["Detail"].Value)));

        var refused = session.Invoke("""
            $credential = [pscredential]::new('postgres', [System.Net.NetworkCredential]::new('', 'wrong').SecurePassword)
            try { Test-CitusCluster demo -Endpoint $endpoint -PostgresCredential $credential } catch { $_ }
            """, variables);
        var error = refused.Output.Select(o => o.BaseObject).OfType<System.Management.Automation.ErrorRecord>().ShouldHaveSingleItem();
        error.FullyQualifiedErrorId.ShouldStartWith("PostgresAuthenticationFailed,", customMessage: error.Exception.Message);
        error.Exception.Message.ShouldNotContain("wrong");
    }

    [Fact]
    public async Task An_unplanned_worker_failover_moves_the_primary_row_to_the_new_primary()
    {
        var ct = Minutes(3);
        var (old, _, _) = await CitusStories.UnplannedWorkerFailoverAsync(citus, ct);
        await CitusStories.RejoinAsync(citus, old, ct);
    }

    [Fact]
    public Task A_worker_group_whose_events_are_lost_is_repaired_by_the_coordinator_s_reconcile() =>
        CitusStories.LostEventsRepairedAsync(citus, StandInFormation.LostEventsPassword, Minutes(2));

    [Fact]
    public Task A_transaction_nobody_finishes_is_rolled_back_after_its_deadline() => CitusStories.DeadlineRollbackAsync(citus, Minutes(2));

    [Fact]
    public Task A_coordinator_failover_moves_group_0_s_primary_row_and_keeps_the_workers() => CitusStories.CoordinatorFailoverAsync(citus, Minutes(3));

    [Fact]
    public Task The_whole_formation_stopped_and_started_again_elects_every_group_s_leader_and_keeps_pg_dist_node() => CitusStories.WholeFormationRestartAsync(citus, Minutes(4));

    [Fact]
    public Task A_new_worker_group_is_registered_when_its_first_primary_runs() => CitusStories.NewWorkerGroupAsync(realCitus: false, Minutes(3));

    [Fact]
    public Task A_worker_group_joins_with_Add_CitusWorker_Rebalance_and_leaves_with_Remove_CitusWorker() => CitusStories.GrowAndShrinkAsync(realCitus: false, Minutes(5));

    [Fact]
    public async Task A_worker_switchover_renames_pauses_and_moves_rows_in_one_transaction()
    {
        var ct = Minutes(2);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var before = (await citus.PgDistNodeAsync(ct)).Where(r => r.Group == 1).ToList();
        var primaryRow = before.Single(r => r.Role == "primary");
        var secondaryRow = before.Single(r => r.Role == "secondary");
        var mark = await LastCallAsync(ct);

        var candidate = await citus.SwitchoverAsync(1, ct);
        await citus.WaitForGroupsHealthyAsync([1], TimeSpan.FromSeconds(60), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);

        var calls = await CallsSinceAsync(mark, ct);
        calls.Count.ShouldBeGreaterThanOrEqualTo(3, string.Join("\n", calls));
        var switchover = calls.Take(3).ToList();
        switchover.Select(c => c.Xid).Distinct().Count().ShouldBe(1, "before_demote, before_promote and after_promote share one transaction:\n" + string.Join("\n", calls));
        switchover.Select(c => c.Args).ShouldBe([
            $"{primaryRow.NodeId}, 127.0.0.1-demoted, {primaryRow.Port}, t, 3000",
            $"{secondaryRow.NodeId}, 127.0.0.1, {primaryRow.Port}, t, 3000",
            $"{primaryRow.NodeId}, 127.0.0.1, {candidate.PostgresPort}, t, 3000",
        ]);
        calls.Skip(3).ShouldAllBe(c => c.Fn != "citus_update_node" || !c.Args.StartsWith($"{primaryRow.NodeId},", StringComparison.Ordinal), "the primary row changes only in the switchover's transaction");
        var after = (await citus.PgDistNodeAsync(ct)).Where(r => r.Group == 1).ToList();
        after.Single(r => r.Role == "primary").ShouldBe(primaryRow with { Port = candidate.PostgresPort }, "the primary row keeps its nodeid");
    }

    [Fact]
    public async Task Citus_events_need_the_REST_credentials_on_both_paths()
    {
        var ct = Minutes(1);
        var coordinator = await citus.LeaderAsync(0, ct);
        var worker = await citus.LeaderAsync(1, ct);
        var body = $"{{\"type\":\"before_demote\",\"group\":1,\"leader\":\"{worker.Name}\",\"timeout\":3,\"cooldown\":1}}";

        foreach (var path in new[] { "/citus", "/mpp" })
        {
            (await CitusHarness.PostAsync(coordinator, path, body, ct, password: "wrong")).Status.ShouldBe(401, path);
        }

        (await CitusHarness.PostAsync(coordinator, "/mpp", "{\"type\":\"resume\"}", ct)).Status.ShouldBe(400);
        (await citus.OpenMetadataTransactionsAsync(ct)).ShouldBe(0, "refused events change nothing");
    }

    private async Task<NpgsqlConnection> CoordinatorAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(citus.ConnectionString(await citus.LeaderAsync(0, ct), CitusHarness.Database));
        await connection.OpenAsync(ct);
        return connection;
    }

    private async Task<long> LastCallAsync(CancellationToken ct)
    {
        await using var connection = await CoordinatorAsync(ct);
        await using var command = new NpgsqlCommand("SELECT coalesce(max(id), 0) FROM citus_standin.calls", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<List<(long Xid, string Fn, string Args)>> CallsSinceAsync(long mark, CancellationToken ct)
    {
        await using var connection = await CoordinatorAsync(ct);
        await using var command = new NpgsqlCommand("SELECT xid, fn, args FROM citus_standin.calls WHERE id > $1 ORDER BY id", connection) { Parameters = { new() { Value = mark } } };
        await using var reader = await command.ExecuteReaderAsync(ct);
        var calls = new List<(long, string, string)>();
        while (await reader.ReadAsync(ct))
        {
            calls.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return calls;
    }
}
