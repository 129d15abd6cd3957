using System.Diagnostics;
using CitusHa.Testing;
using CitusHa.Testing.Citus;
using CitusHa.Testing.Workloads;
using Npgsql;

namespace CitusHa.IntegrationTests.Citus;

/// <summary>The real-Citus lane's formation: the agents find the extension installed and use it.</summary>
public sealed class RealCitusFormation : IAsyncLifetime
{
    public CitusHarness? Citus { get; private set; }

    public async Task InitializeAsync()
    {
        if (CitusLanes.RealCitusAvailable)
        {
            var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
            Citus = await CitusHarness.StartAsync(realCitus: true, ct, customize: StandInFormation.LoseGroup2Events);
            await Citus.WaitForCatalogTruthAsync(CitusStories.AllGroups, TimeSpan.FromSeconds(30), ct);
            await using var connection = new NpgsqlConnection(Citus.ConnectionString(await Citus.LeaderAsync(0, ct), CitusHarness.Database, commandTimeout: 60));
            await connection.OpenAsync(ct);
            // Shards on the workers only (the coordinator holds none), so every write goes through a worker group.
            await using var create = new NpgsqlCommand(
                "CREATE TABLE numbered (id bigint PRIMARY KEY, at timestamptz DEFAULT now()); SELECT create_distributed_table('numbered', 'id', shard_count => 8); "
                + "CREATE TABLE numbered_copy (id bigint PRIMARY KEY, at timestamptz); SELECT create_distributed_table('numbered_copy', 'id', colocate_with => 'numbered')", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    public async Task DisposeAsync()
    {
        if (Citus is not null)
        {
            await Citus.DisposeAsync();
        }
    }
}

/// <summary>
/// The real-Citus lane: the stand-in lane's stories plus what only real Citus shows, a client's
/// distributed statements through the coordinator while a worker group's primary changes.
/// </summary>
public sealed class RealCitusTests(RealCitusFormation fixture) : IClassFixture<RealCitusFormation>
{
    private CitusHarness Citus => fixture.Citus!;

    private static CancellationToken Minutes(int n) => TestTimeouts.After(TimeSpan.FromMinutes(n));

    [RealCitusFact]
    public async Task The_coordinator_registers_every_group_in_real_Citus_with_the_superuser_s_authinfo()
    {
        var ct = Minutes(2);
        await CitusStories.RegistrationAsync(Citus, ct);

        foreach (var group in CitusStories.AllGroups)
        {
            await using var connection = new NpgsqlConnection(Citus.ConnectionString(await Citus.LeaderAsync(group, ct), CitusHarness.Database));
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = 'postgres' AND authinfo LIKE 'password=%'", connection);
            ((long)(await command.ExecuteScalarAsync(ct))!).ShouldBe(1, $"group {group}'s primary has the superuser's password for node-to-node connections");
        }
    }

    /// <summary>
    /// Writes to the switching group wait for the pause instead of failing. Reads of another group's
    /// shards never notice. Multi-shard reads that touch the switching group are not paused by real
    /// Citus (citus_update_node's locks are the shard metadata locks that only modifications take),
    /// so they may fail while the old primary is down: counted and printed, not hidden.
    /// </summary>
    [RealCitusFact]
    public async Task A_worker_switchover_under_distributed_load_fails_no_write_and_loses_no_row()
    {
        var ct = Minutes(3);
        await Citus.WaitForCatalogTruthAsync(CitusStories.AllGroups, TimeSpan.FromSeconds(20), ct);
        var coordinator = await Citus.LeaderAsync(0, ct);
        var client = Citus.ConnectionString(coordinator, CitusHarness.Database, commandTimeout: 60);
        var otherGroupId = await IdStoredInGroupAsync(client, 2, ct);
        await using var writer = new NumberedWriter(client);
        await using var allShards = new DistributedReader(client, "SELECT count(*) FROM numbered", TimeSpan.FromMilliseconds(20));
        await using var otherGroup = new DistributedReader(client, $"SELECT count(*) FROM numbered WHERE id = {otherGroupId}", TimeSpan.FromMilliseconds(20));
        // A distributed INSERT ... SELECT over every shard (pushed down to the colocated shards).
        await using var insertSelect = new DistributedReader(client, "INSERT INTO numbered_copy SELECT id, at FROM numbered ON CONFLICT (id) DO NOTHING", TimeSpan.FromMilliseconds(20));
        await writer.StartAsync(ct);
        allShards.Start();
        otherGroup.Start();
        insertSelect.Start();
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count > 20 && allShards.Statements > 20), TimeSpan.FromSeconds(20), "the client's statements running", ct);

        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var candidate = await Citus.SwitchoverAsync(1, ct);
        await Citus.WaitForGroupsHealthyAsync([1], TimeSpan.FromSeconds(60), ct);
        var acknowledged = writer.Acknowledged.Count;
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count > acknowledged + 20), TimeSpan.FromSeconds(20), "writes continuing after the switchover", ct);
        await writer.DisposeAsync();
        await allShards.DisposeAsync();
        await otherGroup.DisposeAsync();
        await insertSelect.DisposeAsync();

        Console.WriteLine($"real Citus worker switchover: longest write gap {writer.LongestGapSince(start):0.00} s, failed writes {writer.Failures}; "
            + $"multi-shard reads: {allShards.Failures.Count} failed of {allShards.Statements + allShards.Failures.Count}, longest {allShards.LongestStatement.TotalSeconds:0.00} s; "
            + $"other group's reads: {otherGroup.Failures.Count} failed, longest {otherGroup.LongestStatement.TotalSeconds:0.00} s; "
            + $"INSERT ... SELECT: {insertSelect.Failures.Count} failed of {insertSelect.Statements + insertSelect.Failures.Count}, longest {insertSelect.LongestStatement.TotalSeconds:0.00} s");
        writer.Failures.ShouldBe(0, "writes to the switching group wait for the pause instead of failing");
        otherGroup.Failures.ShouldBeEmpty("another group's shards are not affected");
        insertSelect.Failures.ShouldBeEmpty("a distributed INSERT ... SELECT is a modification: it waits for the pause too");
        (await writer.LostAsync(client, ct)).ShouldBeEmpty();
        await Citus.WaitForCatalogTruthAsync(CitusStories.AllGroups, TimeSpan.FromSeconds(20), ct);
        (await Citus.PgDistNodeAsync(ct)).ShouldContain(r => r.Group == 1 && r.Role == "primary" && r.Port == candidate.PostgresPort);
    }

    /// <summary>
    /// The rebalance cmdlets on real shards: group 2's primary is marked shouldhaveshards = false and
    /// Start-CitusRebalance -DrainOnly -Wait moves every shard to group 1; marked back,
    /// Start-CitusRebalance | Wait-CitusRebalance spreads them again. No row is lost on the way.
    /// </summary>
    [RealCitusFact]
    public async Task Start_and_Wait_CitusRebalance_drain_a_worker_group_and_spread_the_shards_again()
    {
        var ct = Minutes(4);
        await Citus.WaitForCatalogTruthAsync(CitusStories.AllGroups, TimeSpan.FromSeconds(20), ct);
        var coordinator = await Citus.LeaderAsync(0, ct);
        var worker = await Citus.LeaderAsync(2, ct);
        await using var db = new NpgsqlConnection(Citus.ConnectionString(coordinator, CitusHarness.Database, commandTimeout: 60));
        await db.OpenAsync(ct);
        await ExecuteAsync(db, "INSERT INTO numbered (id) SELECT i FROM generate_series(1000001, 1000400) i ON CONFLICT DO NOTHING", ct);
        var rows = await ScalarAsync(db, "SELECT count(*) FROM numbered", ct);
        using var session = CitusHa.Testing.PowerShell.ModuleSession.Open();
        session.ScriptTimeout = TimeSpan.FromMinutes(3);
        var variables = new System.Collections.Hashtable { ["endpoint"] = Citus.Formation.EtcdEndpoint, ["password"] = Citus.Formation.SuperuserPassword };
        const string Connect = "Connect-CitusCluster demo -Endpoint $endpoint -PostgresCredential ([pscredential]::new('postgres', [System.Net.NetworkCredential]::new('', $password).SecurePassword)) | Out-Null\n";

        await ExecuteAsync(db, $"SELECT citus_set_node_property('127.0.0.1', {worker.PostgresPort}, 'shouldhaveshards', false)", ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var drained = session.Invoke(Connect + "$ProgressPreference = 'Continue'; Start-CitusRebalance -DrainOnly -Wait", variables);
        var drainTime = clock.Elapsed;
        drained.Terminating.ShouldBeNull(drained.Describe());
        drained.Errors.ShouldBeEmpty(drained.Describe());
        drained.Output.ShouldHaveSingleItem(drained.Describe()).Properties["State"].Value.ShouldBe("Finished");
        drained.Progress[^1].RecordType.ShouldBe(System.Management.Automation.ProgressRecordType.Completed);
        (await PlacementsAsync(db, ct)).ShouldBe(new Dictionary<int, long> { [1] = 8 }, "every shard of numbered drained to group 1");

        await ExecuteAsync(db, $"SELECT citus_set_node_property('127.0.0.1', {worker.PostgresPort}, 'shouldhaveshards', true)", ct);
        clock.Restart();
        var spread = session.Invoke(Connect + "Start-CitusRebalance | Wait-CitusRebalance; Get-CitusRebalanceStatus", variables);
        Console.WriteLine($"real Citus rebalance through the module: drain of group 2 (4 shards x 2 colocated tables) {drainTime.TotalSeconds:0.0} s, spread again {clock.Elapsed.TotalSeconds:0.0} s");
        spread.Terminating.ShouldBeNull(spread.Describe());
        spread.Output.Count.ShouldBe(2, spread.Describe());
        spread.Output[0].Properties["State"].Value.ShouldBe("Finished");
        spread.Output[1].Properties["JobId"].Value.ShouldBe(spread.Output[0].Properties["JobId"].Value);
        (await PlacementsAsync(db, ct)).ShouldBe(new Dictionary<int, long> { [1] = 4, [2] = 4 }, "the shards spread over both worker groups again");
        (await ScalarAsync(db, "SELECT count(*) FROM numbered", ct)).ShouldBe(rows, "no row lost by the moves");
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection db, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>How many of numbered's shard placements each group holds.</summary>
    private static async Task<Dictionary<int, long>> PlacementsAsync(NpgsqlConnection db, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT p.groupid, count(*) FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid) WHERE s.logicalrelid = 'numbered'::regclass GROUP BY p.groupid ORDER BY 1", db);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<int, long>();
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>A distribution key whose shard is placed in <paramref name="group"/>.</summary>
    private static async Task<long> IdStoredInGroupAsync(string client, int group, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(client);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT i FROM generate_series(1, 1000) i JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('numbered', i) WHERE p.groupid = $1 ORDER BY i LIMIT 1", connection)
        { Parameters = { new() { Value = group } } };
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The stall after a worker primary dies is ended by its lease's expiry: the new primary, the
    /// pause and the catalog follow at once. The target (ttl + 1 s) is a timing target and
    /// lives in the benchmark (<c>citusha-bench --citus</c>), which prints its distribution; here the
    /// bound is what no load can excuse: a second ttl, or a wait for a pause deadline.
    /// </summary>
    [RealCitusFact]
    public async Task After_an_unplanned_worker_failover_writes_to_its_shards_succeed_again_once_its_lease_expires()
    {
        var ct = Minutes(3);
        await Citus.WaitForCatalogTruthAsync(CitusStories.AllGroups, TimeSpan.FromSeconds(20), ct);
        var client = Citus.ConnectionString(await Citus.LeaderAsync(0, ct), CitusHarness.Database, commandTimeout: 60);
        // Retries every 10 ms, so the stall measured is the service's, not the client's back-off.
        await using var writer = new NumberedWriter(client, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10));
        await writer.StartAsync(ct);
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count > 20), TimeSpan.FromSeconds(20), "the client's writes running", ct);

        var (old, promoted, killedAt) = await CitusStories.UnplannedWorkerFailoverAsync(Citus, ct);
        var count = writer.Acknowledged.Count;
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count > count + 50), TimeSpan.FromSeconds(30), "writes to every shard again", ct);
        await writer.DisposeAsync();

        var gap = writer.LongestGapSince(killedAt);
        var ttl = Citus.Formation.Ttl.TotalSeconds;
        Console.WriteLine($"real Citus unplanned worker failover: writes stalled {gap:0.00} s (ttl {ttl} s), {writer.Failures} failed attempts");
        gap.ShouldBeLessThan(2 * ttl, "the first lease expiry ends the stall: nothing waits for a second ttl or a pause deadline");
        CitusHarness.AgentLog(promoted).ShouldContain("promoted: PostgreSQL accepts writes", customMessage: "the new primary logs how long its promotion took");
        (await writer.LostAsync(client, ct)).ShouldBeEmpty("quorum commit: no acknowledged row is lost");
        await CitusStories.RejoinAsync(Citus, old, ct);
    }

    /// <summary>
    /// The agents' logs carry PostgreSQL's own output too (log_statement = ddl here): the role and
    /// pg_dist_authinfo statements, which carry passwords, are kept out of it.
    /// </summary>
    [RealCitusFact]
    public void No_agent_log_holds_a_password()
    {
        var logs = Citus.Formation.Members.Where(m => File.Exists(m.LogFile)).Select(m => (m.Name, Text: CitusHarness.AgentLog(m))).ToList();
        logs.ShouldNotBeEmpty();
        logs.ShouldContain(l => l.Text.Contains("LOG:", StringComparison.Ordinal), "PostgreSQL's output reaches the agent's log");
        foreach (var (name, text) in logs)
        {
            text.ShouldNotContain(Citus.Formation.SuperuserPassword, Case.Sensitive, $"{name}'s log holds the superuser's password");
            text.ShouldNotContain(Citus.Formation.ReplicationPassword, Case.Sensitive, $"{name}'s log holds the replication password");
        }
    }

    /// <summary>Citus' shard moves keep a logical slot on the source primary: the agent's slot upkeep leaves it alone.</summary>
    [RealCitusFact]
    public async Task A_Citus_shard_move_slot_survives_the_leader_s_slot_upkeep()
    {
        var ct = Minutes(1);
        var leader = await Citus.LeaderAsync(1, ct);
        await using var connection = new NpgsqlConnection(Citus.ConnectionString(leader, CitusHarness.Database));
        await connection.OpenAsync(ct);
        await using (var create = new NpgsqlCommand("SELECT pg_create_logical_replication_slot('citus_shard_move_slot_1_2_3', 'pgoutput')", connection))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        try
        {
            // Several HA cycles of the leader (loop_wait 1 s), each of which makes the member slots exact.
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'citus_shard_move_slot_1_2_3'", connection);
            ((long)(await count.ExecuteScalarAsync(ct))!).ShouldBe(1);
        }
        finally
        {
            await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot('citus_shard_move_slot_1_2_3')", connection);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [RealCitusFact]
    public Task A_worker_group_whose_events_are_lost_is_repaired_by_the_coordinator_s_reconcile() =>
        CitusStories.LostEventsRepairedAsync(Citus, StandInFormation.LostEventsPassword, Minutes(2));

    [RealCitusFact]
    public Task A_transaction_nobody_finishes_is_rolled_back_after_its_deadline() => CitusStories.DeadlineRollbackAsync(Citus, Minutes(2));

    [RealCitusFact]
    public Task A_coordinator_failover_moves_group_0_s_primary_row_and_keeps_the_workers() => CitusStories.CoordinatorFailoverAsync(Citus, Minutes(3));

    [RealCitusFact]
    public Task The_whole_formation_stopped_and_started_again_elects_every_group_s_leader_and_keeps_pg_dist_node() => CitusStories.WholeFormationRestartAsync(Citus, Minutes(4));

    [RealCitusFact]
    public Task A_new_worker_group_is_registered_when_its_first_primary_runs() => CitusStories.NewWorkerGroupAsync(realCitus: true, Minutes(4));

    [RealCitusFact]
    public Task A_worker_group_joins_with_Add_CitusWorker_Rebalance_and_leaves_with_Remove_CitusWorker() => CitusStories.GrowAndShrinkAsync(realCitus: true, Minutes(5));
}
