using System.Diagnostics;
using CitusHa.Testing;
using CitusHa.Testing.Servers;
using CitusHa.Testing.Workloads;
using Npgsql;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>Unplanned failures of a three-member group: real etcd, real PostgreSQL, agents as processes.</summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("quorum")]
    [InlineData("on")]
    [InlineData("off")]
    public async Task A_lost_primary_is_replaced_without_losing_acknowledged_writes_and_returns_as_a_standby(string synchronousMode)
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct, synchronousMode: synchronousMode);
        var oldLeader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var members = await harness.MembersAsync(ct);
        members.Count(m => m.State == "streaming").ShouldBe(2, "bootstrap gives one primary and two streaming standbys");

        await using var monitor = new PrimaryMonitor(harness.Formation.Members.Select(m => (m.Name, harness.MemberConnectionString(m))).ToList());
        monitor.Start();
        await using var writer = new NumberedWriter(harness.PrimaryConnectionString());
        await writer.StartAsync();
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= 25), TimeSpan.FromSeconds(30), "the writer to commit rows", ct);

        var clock = Stopwatch.StartNew();
        await harness.Formation.KillAsync(harness.Formation.Member(oldLeader), postgresToo: true, ct);
        string? newLeader = null;
        await TestTimeouts.WaitUntilAsync(async () => (newLeader = await harness.LeaderAsync(ct)) is { } l && l != oldLeader, TimeSpan.FromSeconds(40), "another member to take the leader key", ct);
        var takeover = clock.Elapsed;
        var before = writer.Acknowledged.Count;
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= before + 25), TimeSpan.FromSeconds(30), "writes to succeed on the new primary", ct);
        output.WriteLine($"kill -9 of {oldLeader} (agent and postmaster) → {newLeader} took the key after {takeover.TotalSeconds:0.0} s; writable again at {clock.Elapsed.TotalSeconds:0.0} s");

        // The old primary comes back: it rewinds and follows the new leader.
        harness.Formation.StartAgent(harness.Formation.Member(oldLeader));
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: newLeader);

        await writer.DisposeAsync();
        var lost = await writer.LostAsync(harness.PrimaryConnectionString());
        if (synchronousMode != "off")
        {
            // Asynchronous replication may lose the last commits on failover, by design; synchronous modes may not.
            lost.ShouldBeEmpty($"acknowledged rows lost: {string.Join(",", lost.Take(20))}");
        }

        await monitor.DisposeAsync();
        monitor.Rounds.ShouldBeGreaterThan(50);
        monitor.Violations.ShouldBeEmpty();
        output.WriteLine($"synchronous_mode {synchronousMode}: {writer.Acknowledged.Count} rows acknowledged, {lost.Count} lost, {writer.Failures} failed statements, {monitor.Rounds} monitor rounds");
    }

    [Theory]
    [InlineData("")]
    [InlineData("after a group restart")]
    [InlineData("the moment its promotion makes it writable")]
    public async Task A_frozen_leader_agent_is_replaced_and_on_resume_demotes_without_losing_acknowledged_writes(string history)
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(5));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        if (history == "after a group restart")
        {
            // Every member starts read-only and the race promotes one: that leader is frozen next.
            await Task.WhenAll(harness.Formation.Members.Select(m => harness.Formation.StopAgentAsync(m, TimeSpan.FromSeconds(60), ct)));
            foreach (var m in harness.Formation.Members)
            {
                harness.Formation.StartAgent(m);
            }

            await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct);
        }

        var oldLeader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        await using var monitor = new PrimaryMonitor(harness.Formation.Members.Select(m => (m.Name, harness.MemberConnectionString(m))).ToList());
        monitor.Start();
        await using var writer = new NumberedWriter(harness.PrimaryConnectionString());
        await writer.StartAsync();
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= 25), TimeSpan.FromSeconds(30), "the writer to commit rows", ct);

        // SIGSTOP: the agent can neither renew nor fence; its watchdog must stop PostgreSQL before the
        // lease runs out and another member is promoted.
        int agent;
        var clock = Stopwatch.StartNew();
        if (history == "the moment its promotion makes it writable")
        {
            // Frozen inside the cycle that promotes it, before that cycle ends: the watchdog, armed
            // only at the end of a cycle that saw a primary, knew of no primary to fence.
            oldLeader = await FreezeWhenPromotedAsync(harness, oldLeader, ct);
            agent = harness.Formation.AgentPid(harness.Formation.Member(oldLeader)).ShouldNotBeNull();
            clock.Restart();
        }
        else
        {
            agent = harness.Formation.AgentPid(harness.Formation.Member(oldLeader)).ShouldNotBeNull();
            await Signals.SendAsync(agent, "STOP", ct);
        }

        try
        {
            string? newLeader = null;
            await TestTimeouts.WaitUntilAsync(async () => (newLeader = await harness.LeaderAsync(ct)) is { } l && l != oldLeader, TimeSpan.FromSeconds(40), "another member to take the leader key", ct);
            var takeover = clock.Elapsed;
            var before = writer.Acknowledged.Count;
            await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count >= before + 25), TimeSpan.FromSeconds(30), "writes to succeed on the new primary", ct);
            output.WriteLine($"agent of {oldLeader} frozen → {newLeader} took the key after {takeover.TotalSeconds:0.0} s");
        }
        finally
        {
            await Signals.SendAsync(agent, "CONT", ct);
        }

        // Resumed, it finds its lease gone and rejoins the new leader as a standby.
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        leader.ShouldNotBe(oldLeader, "a resumed agent must not take the key back");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: leader);

        await writer.DisposeAsync();
        var lost = await writer.LostAsync(harness.PrimaryConnectionString());
        lost.ShouldBeEmpty($"acknowledged rows lost: {string.Join(",", lost.Take(20))}");
        await monitor.DisposeAsync();
        monitor.Rounds.ShouldBeGreaterThan(50);
        monitor.Violations.ShouldBeEmpty("the watchdog fences the frozen agent's primary before anyone is promoted");
        output.WriteLine($"{writer.Acknowledged.Count} rows acknowledged, 0 lost, {writer.Failures} failed statements, {monitor.Rounds} monitor rounds");
    }

    /// <summary>
    /// Asks for a switchover to a standby and SIGSTOPs that standby's agent the moment its PostgreSQL
    /// takes writes (polled every few ms); returns the frozen candidate.
    /// </summary>
    private static async Task<string> FreezeWhenPromotedAsync(FormationHarness harness, string leader, CancellationToken ct)
    {
        var candidate = harness.Formation.Members.First(m => m.Name != leader);
        var agent = harness.Formation.AgentPid(candidate).ShouldNotBeNull();
        await using var connection = new NpgsqlConnection(harness.MemberConnectionString(candidate));
        await connection.OpenAsync(ct);
        await using var probe = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
        var switchover = SwitchoverTests.SendAsync(HttpMethod.Post, $"{harness.Formation.Member(leader).ApiUrl}/switchover", $$"""{"leader":"{{leader}}","candidate":"{{candidate.Name}}"}""", ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        while (!(bool)(await probe.ExecuteScalarAsync(limit.Token))!)
        {
            await Task.Delay(2, limit.Token);
        }

        await Signals.SendAsync(agent, "STOP", ct);
        // The switchover's caller may wait for the frozen member's answer; its outcome does not matter here.
        _ = switchover.ContinueWith(t => t.Exception, TaskScheduler.Default);
        return candidate.Name;
    }

    [Fact]
    public async Task An_agent_restarted_over_a_running_postgres_owns_it_again_instead_of_leaving_it_unfenceable()
    {
        // kill -9 of a standby's agent only: its watchdog is disarmed and exits, PostgreSQL keeps
        // running. The fault soak showed what followed when the agent came back at once: it could not
        // see that postmaster, flapped between failed starts, later promoted it with pg_ctl, and could
        // not fence it: acknowledged writes were lost. The new agent must own PostgreSQL again.
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var member = harness.Formation.Members.First(m => m.Name != leader);
        var leftover = Core.Formation.LocalFormation.PostmasterPid(member).ShouldNotBeNull();

        await harness.Formation.KillAsync(member, postgresToo: false, ct);
        File.Exists($"/proc/{leftover}/stat").ShouldBeTrue("PostgreSQL outlives its agent's kill -9");
        harness.Formation.StartAgent(member);
        await TestTimeouts.WaitUntilAsync(
            () => Task.FromResult(!File.Exists($"/proc/{leftover}/stat") && Core.Formation.LocalFormation.PostmasterPid(member) is { } p && p != leftover && File.Exists($"/proc/{p}/stat")),
            TimeSpan.FromSeconds(60), "the new agent to stop the postmaster its predecessor left and start its own", ct);
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: leader);

        var agent = harness.Formation.AgentPid(member).ShouldNotBeNull();
        var postmaster = Core.Formation.LocalFormation.PostmasterPid(member).ShouldNotBeNull();
        Core.Adapters.Processes.ProcessTable.ParentOf(postmaster).ShouldBe(agent, "PostgreSQL runs as the new agent's child, which it can observe, stop and fence");
    }

    [Fact]
    public async Task A_crashed_postgres_under_a_live_agent_is_restarted_in_place_and_keeps_the_leader()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var member = harness.Formation.Member(leader);
        var postmaster = Core.Formation.LocalFormation.PostmasterPid(member).ShouldNotBeNull();

        var clock = Stopwatch.StartNew();
        await Signals.SendAsync(postmaster, "KILL", ct);
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(harness.MemberConnectionString(member));
                await connection.OpenAsync(ct);
                await using var probe = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
                return (bool)(await probe.ExecuteScalarAsync(ct))! && Core.Formation.LocalFormation.PostmasterPid(member) != postmaster;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the primary to be writable again", ct).WithDiagnostics(harness, ct);
        output.WriteLine($"postmaster killed → writable again after {clock.Elapsed.TotalSeconds:0.0} s");
        (await harness.LeaderAsync(ct)).ShouldBe(leader, "restarting in place keeps the leader");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(30), ct, leader: leader);
    }

    [Fact]
    public async Task A_primary_cut_off_from_etcd_stops_taking_writes_before_its_lease_expires()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var proxies = new EtcdProxies();
        await using var harness = await FormationHarness.StartAsync(etcdEndpointFor: proxies.EndpointFor, cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var member = harness.Formation.Member(leader);

        var clock = Stopwatch.StartNew();
        proxies[leader].Cut();
        TimeSpan? fenced = null;
        TimeSpan? replaced = null;
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            if (fenced is null && !await IsWritableAsync(harness.MemberConnectionString(member), ct))
            {
                fenced = clock.Elapsed;
            }

            if (replaced is null && await harness.LeaderAsync(ct) is { } l && l != leader)
            {
                replaced = clock.Elapsed;
            }

            return fenced is not null && replaced is not null;
        }, TimeSpan.FromSeconds(40), "the cut-off primary to fence itself and another member to lead", ct).WithDiagnostics(harness, ct);
        output.WriteLine($"cut off at 0 s: old primary read-only at {fenced!.Value.TotalSeconds:0.0} s, new leader at {replaced!.Value.TotalSeconds:0.0} s");
        fenced.Value.ShouldBeLessThan(replaced.Value, "the old primary must stop taking writes before anyone else can be promoted");

        proxies[leader].Restore();
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct);
    }

    [Fact]
    public async Task A_primary_the_agent_cannot_query_is_fenced_before_another_member_is_promoted()
    {
        // The postmaster frozen (SIGSTOP): the agent's queries time out, but a backend opened before
        // keeps serving writes. Cut off from etcd as well, the agent must still fence it (it used to
        // see "not a primary" and disarm the watchdog), before another member can take over.
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        await using var proxies = new EtcdProxies();
        await using var harness = await FormationHarness.StartAsync(etcdEndpointFor: proxies.EndpointFor, cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var member = harness.Formation.Member(leader);
        await using var session = new NpgsqlConnection(harness.MemberConnectionString(member));
        await session.OpenAsync(ct);
        await using (var create = new NpgsqlCommand("CREATE TABLE fencing_probe (at timestamptz)", session))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        await using var backendPidQuery = new NpgsqlCommand("SELECT pg_backend_pid()", session);
        var backend = (int)(await backendPidQuery.ExecuteScalarAsync(ct))!;
        var postmaster = CitusHa.Core.Formation.LocalFormation.PostmasterPid(member).ShouldNotBeNull();

        // The agent's pooled connections go first, so that its next look needs a new one (which a
        // frozen postmaster never forks); then the freeze.
        await using (var terminate = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'", session))
        {
            await terminate.ExecuteScalarAsync(ct);
        }

        await Signals.SendAsync(postmaster, "STOP", ct);
        try
        {
            await using (var write = new NpgsqlCommand("INSERT INTO fencing_probe VALUES (now())", session))
            {
                (await write.ExecuteNonQueryAsync(ct)).ShouldBe(1, "the backend still takes writes while its postmaster is frozen");
            }

            proxies[leader].Cut();
            var clock = Stopwatch.StartNew();
            TimeSpan? fenced = null, replaced = null;
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                if (fenced is null && !IsAlive(backend))
                {
                    fenced = clock.Elapsed;
                }

                if (replaced is null && await harness.LeaderAsync(ct) is { } l && l != leader)
                {
                    replaced = clock.Elapsed;
                }

                return fenced is not null && replaced is not null;
            }, TimeSpan.FromSeconds(40), "the unanswering primary to be fenced and another member to lead", ct).WithDiagnostics(harness, ct);
            output.WriteLine($"postmaster frozen and etcd cut at 0 s: the writing backend was gone at {fenced!.Value.TotalSeconds:0.0} s, new leader at {replaced!.Value.TotalSeconds:0.0} s");
            fenced.Value.ShouldBeLessThan(replaced.Value, "a primary nobody can query must stop taking writes before anyone else is promoted");
        }
        finally
        {
            if (IsAlive(postmaster))
            {
                await Signals.SendAsync(postmaster, "CONT", CancellationToken.None);
            }

            proxies[leader].Restore();
        }

        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(90), ct).WithDiagnostics(harness, ct);
    }

    /// <summary>The process runs (a killed one may linger as a zombie until it is reaped: that is gone).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static async Task<bool> IsWritableAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var probe = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
            return (bool)(await probe.ExecuteScalarAsync(ct))!;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}
