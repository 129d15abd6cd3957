using System.Collections;
using System.Management.Automation;
using CitusHa.Testing;
using CitusHa.Testing.PowerShell;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>
/// The operator's day through the built module in the real PowerShell engine, against a running
/// formation: connect, read, switch over, maintenance mode, fail over. Each action's result is checked
/// against what etcd and the agents then show.
/// </summary>
public sealed class OperatorModuleTests(ITestOutputHelper output)
{
    private static object? P(PSObject o, string name) => o.Properties[name].Value;

    [Fact]
    public async Task Switchover_maintenance_and_failover_run_from_PowerShell_and_return_what_happened()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(5));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        using var session = ModuleSession.Open();
        session.ScriptTimeout = TimeSpan.FromSeconds(90);
        var variables = new Hashtable { ["endpoint"] = harness.Formation.EtcdEndpoint };

        var connect = session.Invoke("Connect-CitusCluster -Name demo -Endpoint $endpoint", variables);
        connect.Errors.ShouldBeEmpty(connect.Describe());
        var oldLeader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();

        // A planned switchover to whichever standby is healthiest, with progress and a typed result.
        var switched = session.Invoke("$ProgressPreference = 'Continue'; Invoke-CitusSwitchover -Group 0 -Force");
        switched.Errors.ShouldBeEmpty(switched.Describe());
        var result = switched.Output.ShouldHaveSingleItem();
        result.TypeNames[0].ShouldBe("CitusHa.CitusSwitchoverResult");
        P(result, "OldLeader").ShouldBe(oldLeader);
        var newLeader = ((string?)P(result, "NewLeader")).ShouldNotBeNull();
        newLeader.ShouldNotBe(oldLeader);
        ((int)P(result, "NewTimeline")!).ShouldBeGreaterThan((int)P(result, "OldTimeline")!);
        var duration = (TimeSpan)P(result, "Duration")!;
        duration.ShouldBeGreaterThan(TimeSpan.Zero);
        (await harness.LeaderAsync(ct)).ShouldBe(newLeader);
        switched.Progress.ShouldContain(p => p.RecordType == ProgressRecordType.Processing && p.StatusDescription.StartsWith("Asking", StringComparison.Ordinal));
        switched.Progress[^1].RecordType.ShouldBe(ProgressRecordType.Completed);
        output.WriteLine($"switchover {oldLeader} -> {newLeader}: writable after {duration.TotalSeconds:0.00} s (request until etcd shows it)");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: newLeader);

        // Maintenance mode on and off, as etcd shows it.
        var suspended = session.Invoke("Suspend-CitusCluster; (Get-CitusCluster).Paused");
        suspended.Errors.ShouldBeEmpty(suspended.Describe());
        P(suspended.Output[0], "Paused").ShouldBe(true);
        P(suspended.Output[0], "Changed").ShouldBe(true);
        suspended.Output[1].BaseObject.ShouldBe(true);
        var again = session.Invoke("Suspend-CitusCluster");
        P(again.Output.ShouldHaveSingleItem(), "Changed").ShouldBe(false, "already paused");
        var resumed = session.Invoke("Resume-CitusCluster; (Get-CitusCluster).Paused");
        resumed.Errors.ShouldBeEmpty(resumed.Describe());
        resumed.Output[1].BaseObject.ShouldBe(false);

        // A failover to a named standby, piped from Get-CitusTopology.
        var failedOver = session.Invoke("$old = $args[0]; Get-CitusTopology -Group 0 | Where-Object Role -ne Leader | Where-Object Member -ne $old | Invoke-CitusFailover -Force", oldLeader);
        failedOver.Errors.ShouldBeEmpty(failedOver.Describe());
        var failover = failedOver.Output.ShouldHaveSingleItem();
        P(failover, "Kind").ShouldBe("Failover");
        P(failover, "OldLeader").ShouldBe(newLeader);
        var third = (string)P(failover, "NewLeader")!;
        third.ShouldNotBe(newLeader);
        third.ShouldNotBe(oldLeader);
        (await harness.LeaderAsync(ct)).ShouldBe(third);

        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: third);

        // The history shows both timeline switches; a configuration change reaches every member.
        var history = session.Invoke("Get-CitusHistory -Group 0");
        history.Errors.ShouldBeEmpty(history.Describe());
        history.Output.Select(o => (int)P(o, "Timeline")!).ShouldBe([1, 2]);
        P(history.Output[^1], "NewLeader").ShouldBe(third);
        var changed = session.Invoke("Set-CitusConfiguration -PostgresParameter @{ work_mem = '7MB' } -Confirm:$false; (Get-CitusConfiguration).PostgresParameters['work_mem']");
        changed.Errors.ShouldBeEmpty(changed.Describe());
        (P(changed.Output[0], "Path"), P(changed.Output[0], "NewValue")).ShouldBe(((object?)"postgresql.parameters.work_mem", (object?)"\"7MB\""));
        changed.Output[^1].BaseObject.ShouldBe("7MB");
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            foreach (var member in harness.Formation.Members)
            {
                await using var connection = new Npgsql.NpgsqlConnection(harness.MemberConnectionString(member));
                await connection.OpenAsync(ct);
                await using var show = new Npgsql.NpgsqlCommand("SHOW work_mem", connection);
                if ((string?)await show.ExecuteScalarAsync(ct) != "7MB")
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(20), "work_mem = 7MB on every member", ct);

        // Restart one standby (its postmaster changes), a filtered restart that matches nobody is skipped,
        // and a rebuild of the other standby returns once it streams again.
        var standbys = harness.Formation.Members.Where(m => m.Name != third).ToList();
        var before = Core.Formation.LocalFormation.PostmasterPid(standbys[0]);
        var restarted = session.Invoke("Restart-CitusMember -Group 0 -Member $args[0] -Force", standbys[0].Name);
        restarted.Errors.ShouldBeEmpty(restarted.Describe());
        restarted.Terminating.ShouldBeNull(restarted.Describe());
        P(restarted.Output.ShouldHaveSingleItem(), "Outcome").ShouldBe("Restarted");
        Core.Formation.LocalFormation.PostmasterPid(standbys[0]).ShouldNotBe(before);
        var skipped = session.Invoke("Restart-CitusMember -Group 0 -Member $args[0] -Role primary -Force", standbys[1].Name);
        skipped.Errors.ShouldBeEmpty(skipped.Describe());
        skipped.Terminating.ShouldBeNull(skipped.Describe());
        P(skipped.Output.ShouldHaveSingleItem(), "Outcome").ShouldBe("Skipped", "a standby is not a primary: the member's own filter says no");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: third);
        // -Pending: each member decides by its own pending_restart (after the failovers some have one: recovery_target_timeline).
        var pending = session.Invoke("Restart-CitusMember -Group 0 -Pending -Force");
        pending.Terminating.ShouldBeNull(pending.Describe());
        pending.Errors.ShouldBeEmpty(pending.Describe());
        pending.Output.Select(o => (string)P(o, "Outcome")!).ShouldAllBe(o => o == "Restarted" || o == "Skipped");
        pending.Output.Count.ShouldBe(3);
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: third);
        var rebuilt = session.Invoke("$ProgressPreference = 'Continue'; Reset-CitusMember -Group 0 -Member $args[0] -Force", standbys[1].Name);
        rebuilt.Errors.ShouldBeEmpty(rebuilt.Describe());
        P(rebuilt.Output.ShouldHaveSingleItem(), "Outcome").ShouldBe("Rebuilt");
        rebuilt.Progress[^1].RecordType.ShouldBe(ProgressRecordType.Completed);
        output.WriteLine($"reinitialise of {standbys[1].Name}: streaming again after {((TimeSpan)P(rebuilt.Output[0], "Duration")!).TotalSeconds:0.00} s");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: third);

        // A scheduled switchover is recorded and shown, not run.
        var scheduled = session.Invoke("Invoke-CitusSwitchover -Group 0 -ScheduledAt ([DateTimeOffset]::UtcNow.AddHours(1)) -Confirm:$false; Get-CitusCluster");
        scheduled.Errors.ShouldBeEmpty(scheduled.Describe());
        P(scheduled.Output[0], "NewLeader").ShouldBeNull();
        P(scheduled.Output[0], "ScheduledAt").ShouldNotBeNull();
        P(scheduled.Output[1], "ScheduledSwitchover").ShouldNotBeNull();
        (await harness.LeaderAsync(ct)).ShouldBe(third);
        session.Invoke("Disconnect-CitusCluster");
    }
}
