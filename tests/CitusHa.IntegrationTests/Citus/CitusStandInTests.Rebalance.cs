using System.Collections;
using System.Management.Automation;
using CitusHa.Testing;
using CitusHa.Testing.PowerShell;
using Npgsql;

namespace CitusHa.IntegrationTests.Citus;

/// <summary>
/// The rebalance cmdlets against the stand-in's background jobs on the coordinator's primary. The
/// stand-in has no shards: each story declares the moves Citus would plan (citus_standin.planned_moves).
/// </summary>
public sealed partial class CitusStandInTests
{
    private static object? Property(PSObject o, string name) => o.Properties[name]?.Value;

    private Hashtable ModuleVariables(string password) => new()
    {
        ["endpoint"] = citus.Formation.EtcdEndpoint,
        ["password"] = password,
    };

    private const string Credential = "$credential = [pscredential]::new('postgres', [System.Net.NetworkCredential]::new('', $password).SecurePassword)\n";

    [Fact]
    public async Task Start_Wait_and_Get_CitusRebalance_run_a_job_to_the_end_with_progress_and_refuse_a_second_one()
    {
        var ct = Minutes(2);
        await WaitForNoRunningRebalanceAsync(ct);
        using var session = ModuleSession.Open();
        var variables = ModuleVariables(citus.Formation.SuperuserPassword);

        var nothing = session.Invoke(Credential + "Start-CitusRebalance demo -Endpoint $endpoint -PostgresCredential $credential", variables);
        nothing.Errors.ShouldBeEmpty(nothing.Describe());
        nothing.Output.ShouldBeEmpty("nothing to move: no job");
        nothing.Warnings.ShouldHaveSingleItem().Message.ShouldContain("No moves available for rebalancing");

        await PlanMovesAsync(ct, ("1 s", null), ("1 s", null), ("1 s", null));
        var mark = await LastCallAsync(ct);
        var run = session.Invoke(Credential + """
            $ProgressPreference = 'Continue'
            $job = Start-CitusRebalance demo -Endpoint $endpoint -PostgresCredential $credential -ShardTransferMode BlockWrites
            $job
            try { Start-CitusRebalance demo -Endpoint $endpoint -PostgresCredential $credential -ErrorAction Stop } catch { $_ }
            $job | Wait-CitusRebalance -Endpoint $endpoint -PostgresCredential $credential
            Get-CitusRebalanceStatus demo -Endpoint $endpoint -PostgresCredential $credential
            """, variables);

        run.Terminating.ShouldBeNull(run.Describe());
        var started = run.Output[0];
        Property(started, "State").ShouldBe("Running");
        Property(started, "TasksTotal").ShouldBe(3);
        var jobId = (long)Property(started, "JobId")!;
        var busy = run.Output[1].BaseObject.ShouldBeOfType<ErrorRecord>();
        busy.FullyQualifiedErrorId.ShouldStartWith("RebalanceAlreadyRunning,", customMessage: busy.Exception.Message);
        busy.Exception.Message.ShouldContain($"job {jobId}");
        busy.CategoryInfo.Category.ShouldBe(ErrorCategory.ResourceBusy);

        var finished = run.Output[2];
        Property(finished, "JobId").ShouldBe(jobId);
        Property(finished, "State").ShouldBe("Finished");
        Property(finished, "TasksDone").ShouldBe(3);
        Property(finished, "PercentComplete").ShouldBe(100);
        run.Progress.ShouldContain(p => p.RecordType == ProgressRecordType.Processing && p.PercentComplete > 0 && p.PercentComplete < 100, "progress while moves ran");
        run.Progress[^1].RecordType.ShouldBe(ProgressRecordType.Completed);
        Property(run.Output[3], "JobId").ShouldBe(jobId);
        Property(run.Output[3], "State").ShouldBe("Finished");

        var calls = await CallsSinceAsync(mark, ct);
        calls.Where(c => c.Fn == "citus_rebalance_start").Select(c => c.Args).ShouldBe([", f, block_writes, f, f"], "the refused second start rolled back with its log row;\n" +
            string.Join("\n", calls));
    }

    [Fact]
    public async Task Rebalance_cmdlets_change_nothing_under_WhatIf_report_a_failed_move_time_out_and_cancel()
    {
        var ct = Minutes(2);
        await WaitForNoRunningRebalanceAsync(ct);
        using var session = ModuleSession.Open();
        var variables = ModuleVariables(citus.Formation.SuperuserPassword);

        var refused = session.Invoke("""
            $credential = [pscredential]::new('postgres', [System.Net.NetworkCredential]::new('', 'not-the-password').SecurePassword)
            try { Get-CitusRebalanceStatus demo -Endpoint $endpoint -PostgresCredential $credential } catch { $_ }
            try { Get-CitusRebalanceStatus demo -Endpoint $endpoint } catch { $_ }
            """, variables);
        refused.Output.Count.ShouldBe(2, refused.Describe());
        var wrong = refused.Output[0].BaseObject.ShouldBeOfType<ErrorRecord>();
        wrong.FullyQualifiedErrorId.ShouldStartWith("PostgresAuthenticationFailed,", customMessage: wrong.Exception.Message);
        wrong.Exception.Message.ShouldNotContain("not-the-password");
        var none = refused.Output[1].BaseObject.ShouldBeOfType<ErrorRecord>();
        none.FullyQualifiedErrorId.ShouldStartWith("InvalidCredential,", customMessage: none.Exception.Message);
        none.Exception.Message.ShouldContain("-PostgresCredential");

        await PlanMovesAsync(ct, ("200 ms", null), ("200 ms", "ERROR:  could not copy shard 102009: connection to the remote node 10.0.0.9:5432 failed"), ("200 ms", null));
        var mark = await LastCallAsync(ct);
        var whatIf = session.Invoke(Credential + "Connect-CitusCluster demo -Endpoint $endpoint -PostgresCredential $credential | Out-Null; Start-CitusRebalance -WhatIf", variables);
        whatIf.Errors.ShouldBeEmpty(whatIf.Describe());
        whatIf.Output.ShouldBeEmpty();
        whatIf.HostText.ShouldContain("Start a shard rebalance");
        (await CallsSinceAsync(mark, ct)).ShouldNotContain(c => c.Fn == "citus_rebalance_start", "-WhatIf starts nothing");

        var failed = session.Invoke("try { Start-CitusRebalance -Wait -ErrorAction Stop } catch { $_ }");
        var error = failed.Output.Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem(failed.Describe());
        error.FullyQualifiedErrorId.ShouldStartWith("RebalanceFailed,", customMessage: error.Exception.Message);
        error.CategoryInfo.Category.ShouldBe(ErrorCategory.InvalidResult);
        error.Exception.Message.ShouldContain("could not copy shard 102009");
        error.Exception.Message.ShouldContain("after 1 of 3 tasks");

        await PlanMovesAsync(ct, ("60 s", null));
        var slow = session.Invoke("""
            $job = Start-CitusRebalance
            $job
            try { $job | Wait-CitusRebalance -TimeoutSec 1 -ErrorAction Stop } catch { $_ }
            Get-CitusRebalanceStatus
            Stop-CitusRebalance -Force
            Get-CitusRebalanceStatus -JobId $job.JobId
            Disconnect-CitusCluster
            """);
        slow.Terminating.ShouldBeNull(slow.Describe());
        var timedOut = slow.Output[1].BaseObject.ShouldBeOfType<ErrorRecord>();
        timedOut.FullyQualifiedErrorId.ShouldStartWith("OperationTimedOut,", customMessage: timedOut.Exception.Message);
        timedOut.Exception.Message.ShouldContain("goes on in the background");
        Property(slow.Output[2], "State").ShouldBe("Running", "a timed-out wait leaves the job running");
        Property(slow.Output[3], "State").ShouldBe("Cancelled");
        Property(slow.Output[4], "State").ShouldBe("Cancelled");
        Property(slow.Output[4], "JobId").ShouldBe(Property(slow.Output[0], "JobId"));
    }

    /// <summary>
    /// The job lives in the coordinator's catalog, which its standby replicates: when the coordinator's
    /// primary is killed mid-wait, Wait-CitusRebalance keeps looking, finds the new primary through
    /// etcd, and returns the job finished there.
    /// </summary>
    [Fact]
    public async Task Wait_CitusRebalance_follows_the_job_through_a_coordinator_failover()
    {
        var ct = Minutes(3);
        await WaitForNoRunningRebalanceAsync(ct);
        using var session = ModuleSession.Open();
        session.ScriptTimeout = TimeSpan.FromMinutes(2);
        await PlanMovesAsync(ct, ("8 s", null), ("8 s", null));
        var started = session.Invoke(Credential + "Connect-CitusCluster demo -Endpoint $endpoint -PostgresCredential $credential | Out-Null; Start-CitusRebalance",
            ModuleVariables(citus.Formation.SuperuserPassword));
        var jobId = (long)Property(started.Output.ShouldHaveSingleItem(started.Describe()), "JobId")!;
        var leader = await citus.LeaderAsync(0, ct);
        var standby = citus.Formation.Members.Single(m => m.Group == 0 && m.Name != leader.Name);
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            await using var db = new NpgsqlConnection(citus.ConnectionString(standby, CitusHarness.Database));
            await db.OpenAsync(ct);
            await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_dist_background_job WHERE job_id = $1", db) { Parameters = { new() { Value = jobId } } };
            return (long)(await count.ExecuteScalarAsync(ct))! == 1;
        }, TimeSpan.FromSeconds(10), "the job replicated to the coordinator's standby", ct);

        using var wait = session.CreatePowerShell();
        wait.AddScript("$ProgressPreference = 'Continue'; Wait-CitusRebalance -TimeoutSec 90");
        var waiting = Task.Factory.FromAsync(wait.BeginInvoke(), wait.EndInvoke);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        var (old, _, _) = await CitusStories.UnplannedCoordinatorFailoverAsync(citus, ct);
        try
        {
            var output = await waiting.WaitAsync(TimeSpan.FromSeconds(100), ct);
            wait.Streams.Error.ShouldBeEmpty(string.Join("; ", wait.Streams.Error));
            var job = output.ShouldHaveSingleItem();
            Property(job, "JobId").ShouldBe(jobId);
            Property(job, "State").ShouldBe("Finished");
            Property(job, "Coordinator").ShouldNotBe(old.Name, "read from the new coordinator primary");
            wait.Streams.Progress.ShouldContain(p => p.StatusDescription.Contains("trying again", StringComparison.Ordinal), "the wait said it was looking for the coordinator");
        }
        finally
        {
            // The formation is shared by the class: whatever happened, the killed member comes back.
            session.Invoke("Disconnect-CitusCluster");
            await CitusStories.RejoinAsync(citus, old, ct);
        }
    }

    private async Task PlanMovesAsync(CancellationToken ct, params (string Duration, string? FailWith)[] moves)
    {
        await using var connection = await CoordinatorAsync(ct);
        var shard = 102008;
        foreach (var (duration, failWith) in moves)
        {
            await using var command = new NpgsqlCommand(
                "INSERT INTO citus_standin.planned_moves (shardid, source, target, duration, fail_with) VALUES ($1, '127.0.0.1:5432', '127.0.0.1:5433', $2::interval, $3)", connection)
            {
                Parameters = { new() { Value = shard++ }, new() { Value = duration }, new() { Value = (object?)failWith ?? DBNull.Value } },
            };
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Stories share the coordinator: a job left running by another story ends first.</summary>
    private async Task WaitForNoRunningRebalanceAsync(CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(30), ct);
        await using var connection = await CoordinatorAsync(ct);
        await using var cancel = new NpgsqlCommand(
            "SELECT pg_catalog.citus_job_cancel(job_id) FROM pg_catalog.pg_dist_background_job WHERE state NOT IN ('finished', 'cancelled', 'failed'); DELETE FROM citus_standin.planned_moves", connection);
        await cancel.ExecuteNonQueryAsync(ct);
    }
}
