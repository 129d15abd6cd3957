using System.Diagnostics;
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
        Citus = await CitusHarness.StartAsync(realCitus: false, TestTimeouts.After(TimeSpan.FromMinutes(3)), customize: o => o with
        {
            EnvironmentFor = m => m.Group == 2 ? new Dictionary<string, string> { ["CITUSHA_RESTAPI_PASSWORD_FILE"] = Secret(m) } : new Dictionary<string, string>(),
        });

    public async Task DisposeAsync() => await Citus.DisposeAsync();

    private static string Secret(LocalMember member)
    {
        var path = Path.Combine(member.Directory, "lost-events-api.secret");
        File.WriteAllText(path, LostEventsPassword);
        return path;
    }
}

public sealed class CitusStandInTests(StandInFormation fixture) : IClassFixture<StandInFormation>
{
    private static readonly int[] AllGroups = [0, 1, 2];
    private readonly CitusHarness citus = fixture.Citus;

    [Fact]
    public async Task The_coordinator_registers_every_group_s_primary_and_standbys()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));

        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);

        var rows = await citus.PgDistNodeAsync(ct);
        rows.Count.ShouldBe(6);
        rows.Where(r => r.Role == "primary").Select(r => r.Group).Order().ShouldBe(AllGroups);
    }

    [Fact]
    public async Task A_worker_switchover_renames_pauses_and_moves_rows_in_one_transaction()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
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
    public async Task An_unplanned_worker_failover_moves_the_primary_row_to_the_new_primary()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var primaryRow = (await citus.PgDistNodeAsync(ct)).Single(r => r.Group == 1 && r.Role == "primary");
        var old = await citus.LeaderAsync(1, ct);

        await citus.Formation.KillAsync(old, postgresToo: true, ct);
        var promoted = await WaitForNewLeaderAsync(1, old.Name, ct);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.NodeId == primaryRow.NodeId && r.Port == promoted.PostgresPort), TimeSpan.FromSeconds(5), "the primary row on the new primary", ct);

        citus.Formation.StartAgent(old);
        await citus.WaitForGroupsHealthyAsync([1], TimeSpan.FromSeconds(90), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
    }

    [Fact]
    public async Task A_worker_group_whose_events_are_lost_is_repaired_by_the_coordinator_s_reconcile()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var mark = await LastCallAsync(ct);

        var candidate = await citus.SwitchoverAsync(2, ct, StandInFormation.LostEventsPassword);
        var leader = await WaitForNewLeaderAsync(2, null, ct, candidate.Name);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.Group == 2 && r.Role == "primary" && r.Port == leader.PostgresPort), TimeSpan.FromSeconds(5), "group 2's primary row on its new primary", ct);
        await citus.WaitForGroupsHealthyAsync([2], TimeSpan.FromSeconds(60), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);

        CitusHarness.AgentLog(candidate).ShouldContain("request to Citus coordinator leader");
        CitusHarness.AgentLog(candidate).ShouldContain("HTTP 401");
        var coordinatorLog = CitusHarness.AgentLog(await citus.LeaderAsync(0, ct));
        coordinatorLog.ShouldNotContain("before_demote group 2", Case.Sensitive, "no event of group 2 arrived");
        coordinatorLog.ShouldNotContain("before_promote group 2", Case.Sensitive, "no event of group 2 arrived");
        var moved = (await CallsSinceAsync(mark, ct)).Where(c => c.Fn == "citus_update_node").ToList();
        moved.Count.ShouldBeGreaterThanOrEqualTo(1);
        moved.Take(3).Select(c => c.Xid).Distinct().Count().ShouldBe(1, "the reconcile moves the rows in one transaction");
    }

    [Fact]
    public async Task A_transaction_nobody_finishes_is_rolled_back_after_its_deadline()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(2));
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var coordinator = await citus.LeaderAsync(0, ct);
        var worker = await citus.LeaderAsync(1, ct);

        // A worker that announces its demotion and then disappears: the pause must not last for ever.
        var clock = Stopwatch.StartNew();
        var (status, body) = await CitusHarness.PostAsync(coordinator, "/citus", $"{{\"type\":\"before_demote\",\"group\":1,\"leader\":\"{worker.Name}\",\"timeout\":3,\"cooldown\":1}}", ct);
        status.ShouldBe(200, body);
        (await OpenMetadataTransactionsAsync(ct)).ShouldBe(1, "the pause is an open transaction on the coordinator");

        await TestTimeouts.WaitUntilAsync(async () => await OpenMetadataTransactionsAsync(ct) == 0, TimeSpan.FromSeconds(10), "the paused transaction rolled back", ct);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3), "not before its deadline");
        CitusHarness.AgentLog(coordinator).ShouldContain("rolling back the pg_dist_node transaction past its deadline");
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(10), ct);
        (await citus.PgDistNodeAsync(ct)).ShouldNotContain(r => r.Name.EndsWith("-demoted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Citus_events_need_the_REST_credentials_on_both_paths()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(1));
        var coordinator = await citus.LeaderAsync(0, ct);
        var worker = await citus.LeaderAsync(1, ct);
        var body = $"{{\"type\":\"before_demote\",\"group\":1,\"leader\":\"{worker.Name}\",\"timeout\":3,\"cooldown\":1}}";

        foreach (var path in new[] { "/citus", "/mpp" })
        {
            (await CitusHarness.PostAsync(coordinator, path, body, ct, password: "wrong")).Status.ShouldBe(401, path);
        }

        (await CitusHarness.PostAsync(coordinator, "/mpp", "{\"type\":\"resume\"}", ct)).Status.ShouldBe(400);
        (await OpenMetadataTransactionsAsync(ct)).ShouldBe(0, "refused events change nothing");
    }

    [Fact]
    public async Task A_coordinator_failover_moves_group_0_s_primary_row_and_keeps_the_workers()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var primaryRow = (await citus.PgDistNodeAsync(ct)).Single(r => r.Group == 0 && r.Role == "primary");
        var old = await citus.LeaderAsync(0, ct);

        await citus.Formation.KillAsync(old, postgresToo: true, ct);
        var promoted = await WaitForNewLeaderAsync(0, old.Name, ct);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.NodeId == primaryRow.NodeId && r.Port == promoted.PostgresPort), TimeSpan.FromSeconds(10), "group 0's primary row on the new coordinator", ct);

        // The new coordinator leader also serves the workers' events: a worker switchover right away.
        await citus.SwitchoverAsync(1, ct);
        citus.Formation.StartAgent(old);
        await citus.WaitForGroupsHealthyAsync(AllGroups, TimeSpan.FromSeconds(90), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
    }

    private async Task<LocalMember> WaitForNewLeaderAsync(int group, string? notThis, CancellationToken ct, string? expected = null)
    {
        LocalMember? leader = null;
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            var candidate = await citus.LeaderAsync(group, ct);
            leader = candidate.Name != notThis && (expected is null || candidate.Name == expected) ? candidate : null;
            return leader is not null;
        }, TimeSpan.FromSeconds(60), $"a new leader in group {group}", ct);
        return leader!;
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

    private async Task<long> OpenMetadataTransactionsAsync(CancellationToken ct)
    {
        await using var connection = await CoordinatorAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'citusha-metadata' AND state = 'idle in transaction'", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
