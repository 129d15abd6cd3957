using System.Collections;
using System.Management.Automation;
using CitusHa.Testing;

namespace CitusHa.Cmdlets.Tests;

/// <summary>
/// The operator's cmdlets through the real engine against a real etcd holding a written formation (no
/// agents): connection defaults, summaries, and every check an action makes before it asks a member.
/// The members' api_url point at hosts that do not exist, so an action that wrongly got past its checks
/// fails with MemberUnavailable instead of the expected error.
/// </summary>
[Collection(ModuleCollectionDefinition.Name)]
public sealed class OperatorCmdletTests(ModuleFixture fixture)
{
    private Hashtable Variables(string ns) => new() { ["endpoint"] = fixture.Etcd.Endpoint, ["ns"] = ns };

    private static object? P(PSObject o, string name) => o.Properties[name].Value;

    private async Task<string> FormationAsync()
    {
        var ns = ModuleFixture.UniqueNamespace();
        await fixture.WriteFormationAsync(ns, "demo", TestTimeouts.Default);
        return ns;
    }

    private ErrorRecord? Caught(string command, Hashtable variables)
    {
        var result = fixture.Session.Invoke($"try {{ {command} | Out-Null; $null }} catch {{ $_ }}", variables);
        result.Terminating.ShouldBeNull(result.Describe());
        return result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().SingleOrDefault()
            ?? result.Errors.SingleOrDefault();
    }

    [Fact]
    public async Task Get_CitusCluster_writes_one_typed_summary_per_group()
    {
        var ns = await FormationAsync();

        var result = fixture.Session.Invoke("Get-CitusCluster demo -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));

        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.ShouldAllBe(o => o.TypeNames[0] == "CitusHa.CitusGroupStatus");
        var groups = result.Output;
        groups.Select(g => ((int?)P(g, "Group"), (string)P(g, "Leader")!, (int)P(g, "Members")!, (int)P(g, "Streaming")!))
            .ShouldBe([(0, "coord-a", 2, 1), (1, "work1-a", 1, 0)]);
        P(groups[0], "Timeline").ShouldBe(2);
        P(groups[0], "MaxLagBytes").ShouldBe(8388608L - 3145728L);
        P(groups[0], "MaxLagMB").ShouldBe(5L);
        P(groups[0], "Paused").ShouldBe(false);
        var table = fixture.Session.Invoke("Get-CitusCluster demo -Endpoint $endpoint -EtcdNamespace $ns | Out-Default", Variables(ns));
        table.HostText.ShouldContain("Cluster Group Leader  Members Streaming Sync Paused TL Max lag MB Pending");
        table.HostText.ShouldContain("demo        0 coord-a       2         1 off  False   2          5");
    }

    [Fact]
    public async Task Connect_sets_the_session_default_and_Disconnect_forgets_it()
    {
        var ns = await FormationAsync();
        try
        {
            var connect = fixture.Session.Invoke("Connect-CitusCluster -Name demo -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
            connect.Errors.ShouldBeEmpty(connect.Describe());
            var connection = connect.Output.ShouldHaveSingleItem();
            connection.TypeNames[0].ShouldBe("CitusHa.CitusConnection");
            P(connection, "Name").ShouldBe("demo");
            P(connection, "Groups").ShouldBe(2);
            P(connection, "EtcdNamespace").ShouldBe(ns);
            connection.Properties.Select(p => p.Name).ShouldNotContain(n => n.Contains("Password", StringComparison.OrdinalIgnoreCase));

            // No connection parameters: the session's default answers.
            var summary = fixture.Session.Invoke("Get-CitusCluster -Group 1");
            summary.Errors.ShouldBeEmpty(summary.Describe());
            P(summary.Output.ShouldHaveSingleItem(), "Leader").ShouldBe("work1-a");

            // A failed Connect leaves the previous default in force.
            var failed = Caught("Connect-CitusCluster -Name nosuch -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
            failed.FullyQualifiedErrorId.ShouldStartWith("ClusterNotFound,");
            fixture.Session.Invoke("Get-CitusCluster").Output.Count.ShouldBe(2);
        }
        finally
        {
            fixture.Session.Invoke("Disconnect-CitusCluster");
        }

        // Without the default, the same call reads every cluster under /service, where there is none.
        var after = Caught("Get-CitusCluster -Group 1 -Endpoint $endpoint", Variables(ns)).ShouldNotBeNull();
        after.FullyQualifiedErrorId.ShouldStartWith("GroupNotFound,", customMessage: after.Exception.Message);
        after.Exception.Message.ShouldContain("any cluster under /service");
    }

    [Theory]
    [InlineData("-Group 0 -Candidate ghost", "MemberNotFound", ErrorCategory.ObjectNotFound, "'ghost' is not a member of group 0")]
    [InlineData("-Group 0 -Candidate coord-a", "CandidateIsLeader", ErrorCategory.InvalidArgument, "already leads")]
    [InlineData("-Group 0 -Candidate coord-b", "CandidateNotEligible", ErrorCategory.ResourceBusy, "nofailover")]
    [InlineData("-Group 0", "NoEligibleCandidate", ErrorCategory.ResourceBusy, "coord-b: it is tagged nofailover")]
    [InlineData("-Group 1", "NoEligibleCandidate", ErrorCategory.ResourceBusy, "the leader is its only member")]
    [InlineData("-Group 7", "GroupNotFound", ErrorCategory.ObjectNotFound, "its groups are 0, 1")]
    [InlineData("-Group 0 -ScheduledAt '2001-01-01T00:00:00Z'", "RequestRefused", ErrorCategory.InvalidArgument, "not in the future")]
    public async Task A_switchover_that_cannot_succeed_is_refused_before_any_member_is_asked(string parameters, string errorId, ErrorCategory category, string message)
    {
        var ns = await FormationAsync();

        var error = Caught($"Invoke-CitusSwitchover demo {parameters} -Force -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();

        error.FullyQualifiedErrorId.ShouldBe($"{errorId},CitusHa.Commands.InvokeCitusSwitchoverCommand", customMessage: error.Exception.Message);
        error.CategoryInfo.Category.ShouldBe(category);
        error.Exception.Message.ShouldContain(message);
    }

    [Fact]
    public async Task A_lagging_or_asynchronous_standby_is_refused_for_a_switchover_but_accepted_for_a_failover_check()
    {
        var ns = ModuleFixture.UniqueNamespace();
        using (var client = fixture.Etcd.CreateClient())
        {
            await client.PutAsync($"{ns}/lag/0/leader", "a");
            await client.PutAsync($"{ns}/lag/0/config", """{"synchronous_mode":"quorum","maximum_lag_on_failover":1048576}""");
            await client.PutAsync($"{ns}/lag/0/sync", """{"leader":"a","sync_standby":"b","quorum":1}""");
            await client.PutAsync($"{ns}/lag/0/status", """{"optime":104857600}""");
            await client.PutAsync($"{ns}/lag/0/members/a", """{"api_url":"http://a.invalid:8008/patroni","state":"running","role":"primary","timeline":3}""");
            await client.PutAsync($"{ns}/lag/0/members/b", """{"api_url":"http://b.invalid:8008/patroni","state":"running","role":"replica","replication_state":"streaming","timeline":3,"xlog_location":10485760}""");
            await client.PutAsync($"{ns}/lag/0/members/c", """{"api_url":"http://c.invalid:8008/patroni","state":"running","role":"replica","replication_state":"streaming","timeline":3,"xlog_location":104857600}""");
        }

        var lagging = Caught("Invoke-CitusSwitchover lag -Group 0 -Candidate b -Force -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        lagging.Exception.Message.ShouldContain("more than maximum_lag_on_failover (1048576)");
        var asynchronous = Caught("Invoke-CitusSwitchover lag -Group 0 -Candidate c -Force -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        asynchronous.Exception.Message.ShouldContain("not a synchronous standby");

        // A failover takes the operator's word on lag: it gets past the checks and only then fails to reach b's API.
        var failover = Caught("Invoke-CitusFailover lag -Group 0 -Candidate b -Force -TimeoutSec 5 -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        failover.FullyQualifiedErrorId.ShouldStartWith("MemberUnavailable,", customMessage: failover.Exception.Message);
    }

    [Fact]
    public async Task WhatIf_shows_the_action_and_changes_nothing()
    {
        var ns = await FormationAsync();

        var result = fixture.Session.Invoke("""
            Invoke-CitusSwitchover demo -Group 0 -Candidate ghost -Endpoint $endpoint -EtcdNamespace $ns -WhatIf
            Invoke-CitusFailover demo -Group 0 -Candidate coord-b -Force -Endpoint $endpoint -EtcdNamespace $ns -WhatIf
            Suspend-CitusCluster demo -Endpoint $endpoint -EtcdNamespace $ns -WhatIf
            """, Variables(ns));

        result.Terminating.ShouldBeNull(result.Describe());
        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.ShouldBeEmpty();
        result.HostText.ShouldContain("What if: Performing the operation \"Switch over to ghost\" on target \"demo group 0\"");
        result.HostText.ShouldContain("What if: Performing the operation \"Fail over to coord-b\"");
        result.HostText.ShouldContain("What if: Performing the operation \"Suspend automatic failover\" on target \"demo group 1\"");
        using var client = fixture.Etcd.CreateClient();
        (await client.GetRangeValAsync($"{ns}/demo/")).Keys.ShouldNotContain(k => k.EndsWith("/failover", StringComparison.Ordinal) || k.EndsWith("/config", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_confirmation_answered_no_does_nothing_and_yes_goes_on()
    {
        var ns = await FormationAsync();

        fixture.Session.Host.UI.ChoiceAnswers.Enqueue(2); // "No" of Yes / Yes to All / No / No to All / Suspend
        var declined = fixture.Session.Invoke("Invoke-CitusSwitchover demo -Group 0 -Candidate ghost -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
        declined.Errors.ShouldBeEmpty(declined.Describe());
        declined.Output.ShouldBeEmpty();
        fixture.Session.Host.UI.PromptsAsked.ShouldContain(p => p.Contains("Switch over to ghost", StringComparison.Ordinal));

        fixture.Session.Host.UI.ChoiceAnswers.Enqueue(0); // "Yes": the action runs, and its check refuses the ghost
        var accepted = Caught("Invoke-CitusSwitchover demo -Group 0 -Candidate ghost -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        accepted.FullyQualifiedErrorId.ShouldStartWith("MemberNotFound,");
    }

    [Fact]
    public async Task Piped_members_bind_cluster_group_and_candidate_by_property_name()
    {
        var ns = await FormationAsync();

        // The piped standby coord-b is the candidate (and is refused for its nofailover tag): proof that
        // Name, Group and Member bound from the object.
        var error = Caught("Get-CitusTopology demo -Group 0 -Endpoint $endpoint -EtcdNamespace $ns | Where-Object Role -ne Leader | Invoke-CitusSwitchover -Force -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        error.FullyQualifiedErrorId.ShouldStartWith("CandidateNotEligible,");
        error.TargetObject.ShouldBe("coord-b");
    }

    [Fact]
    public async Task Completion_offers_live_cluster_group_and_member_names()
    {
        var ns = await FormationAsync();

        string[] Complete(string line)
        {
            var result = fixture.Session.Invoke("[System.Management.Automation.CommandCompletion]::CompleteInput($args[0], $args[0].Length, $null).CompletionMatches | ForEach-Object CompletionText", line);
            result.Errors.ShouldBeEmpty(result.Describe());
            return result.Output.Select(o => o.ToString()).ToArray();
        }

        var prefix = $"Invoke-CitusSwitchover -Endpoint {fixture.Etcd.Endpoint} -EtcdNamespace {ns}";
        Complete($"{prefix} -Name de").ShouldBe(["demo"]);
        Complete($"{prefix} -Name demo -Group ").ShouldBe(["0", "1"]);
        Complete($"{prefix} -Name demo -Group 0 -Candidate ").ShouldBe(["coord-b", "coord-a"], "standbys first, the leader last");
    }

    [Fact]
    public async Task History_and_configuration_read_back_typed_and_a_change_is_planned_validated_and_shown()
    {
        var ns = await FormationAsync();
        using (var client = fixture.Etcd.CreateClient())
        {
            await client.PutAsync($"{ns}/demo/0/history", """[[1,50331744,"no recovery target specified","2026-11-30T04:00:00+00:00","coord-a"]]""");
            await client.PutAsync($"{ns}/demo/0/config", """{"ttl":10,"loop_wait":1,"retry_timeout":3,"synchronous_mode":"quorum","postgresql":{"parameters":{"work_mem":"4MB"}}}""");
        }

        var history = fixture.Session.Invoke("Get-CitusHistory demo -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
        history.Errors.ShouldBeEmpty(history.Describe());
        var line = history.Output.ShouldHaveSingleItem();
        line.TypeNames[0].ShouldBe("CitusHa.CitusTimelineSwitch");
        (P(line, "Group"), P(line, "Timeline"), P(line, "Lsn"), P(line, "NewLeader")).ShouldBe(((object?)0, (object?)1, (object?)"0/3000060", (object?)"coord-a"));

        var config = fixture.Session.Invoke("Get-CitusConfiguration demo -Group 0 -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
        config.Errors.ShouldBeEmpty(config.Describe());
        var group0 = config.Output.ShouldHaveSingleItem();
        (P(group0, "Ttl"), P(group0, "SynchronousMode")).ShouldBe(((object?)10.0, (object?)"quorum"));
        ((System.Collections.Hashtable)P(group0, "PostgresParameters")!)["work_mem"].ShouldBe("4MB");

        var whatIf = fixture.Session.Invoke("Set-CitusConfiguration demo -Group 0 -Setting @{ ttl = 20 } -PostgresParameter @{ work_mem = $null } -WhatIf -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));
        whatIf.Errors.ShouldBeEmpty(whatIf.Describe());
        whatIf.Output.ShouldBeEmpty();
        whatIf.HostText.ShouldContain("Change the configuration: postgresql.parameters.work_mem: \"4MB\" -> (removed); ttl: 10 -> 20");

        var invalid = Caught("Set-CitusConfiguration demo -Group 0 -Setting @{ ttl = 5 } -Confirm:$false -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        invalid.FullyQualifiedErrorId.ShouldStartWith("InvalidConfiguration,", customMessage: invalid.Exception.Message);
        invalid.Exception.Message.ShouldContain("ttl");

        var nothing = Caught("Set-CitusConfiguration demo -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        nothing.FullyQualifiedErrorId.ShouldStartWith("InvalidConfiguration,");
        using var check = fixture.Etcd.CreateClient();
        (await check.GetValAsync($"{ns}/demo/0/config")).ShouldContain("\"ttl\":10", customMessage: "nothing was written");
    }

    [Fact]
    public async Task Restart_and_reset_refuse_unknown_members_and_the_leader_before_asking_anyone()
    {
        var ns = await FormationAsync();

        var ghost = Caught("Restart-CitusMember demo -Group 0 -Member coord-b, ghost -Force -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        ghost.FullyQualifiedErrorId.ShouldBe("MemberNotFound,CitusHa.Commands.RestartCitusMemberCommand", customMessage: ghost.Exception.Message);
        ghost.Exception.Message.ShouldContain("ghost");

        var leader = Caught("Reset-CitusMember demo -Group 0 -Member coord-a -Force -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns)).ShouldNotBeNull();
        leader.FullyQualifiedErrorId.ShouldBe("MemberIsLeader,CitusHa.Commands.ResetCitusMemberCommand", customMessage: leader.Exception.Message);
        leader.Exception.Message.ShouldContain("Switch over first");

        var whatIf = fixture.Session.Invoke("""
            Restart-CitusMember demo -Group 0 -Endpoint $endpoint -EtcdNamespace $ns -WhatIf
            Reset-CitusMember demo -Group 0 -Member coord-b -Endpoint $endpoint -EtcdNamespace $ns -WhatIf
            """, Variables(ns));
        whatIf.Errors.ShouldBeEmpty(whatIf.Describe());
        whatIf.Output.ShouldBeEmpty();
        // Standbys first, the leader last; then the rebuild.
        var lines = whatIf.HostText.Split('\n').Where(l => l.StartsWith("What if:", StringComparison.Ordinal)).ToList();
        lines.Count.ShouldBe(3, whatIf.HostText);
        lines[0].ShouldContain("coord-b (standby of demo group 0)");
        lines[1].ShouldContain("coord-a (leader of demo group 0)");
        lines[2].ShouldContain("Wipe the data directory and rebuild it from the leader");
    }

    [Fact]
    public async Task Test_CitusCluster_reports_each_check_and_names_what_failed()
    {
        var ns = await FormationAsync();

        var result = fixture.Session.Invoke("Test-CitusCluster demo -Endpoint $endpoint -EtcdNamespace $ns", Variables(ns));

        result.Errors.ShouldBeEmpty(result.Describe());
        var rows = result.Output.Select(o => $"{P(o, "Group")} {P(o, "Check")} {P(o, "Status")}").ToList();
        rows.ShouldContain("0 Leader Passed");
        rows.ShouldContain("0 Lag Failed", "coord-b is 5 MiB behind");
        rows.ShouldContain("1 Replication Passed");
        rows.ShouldContain("0 PgDistNode Skipped", "no PostgreSQL credentials were given");
        result.Output.Single(o => (string)P(o, "Check")! == "Lag" && (int?)P(o, "Group") == 0).Properties["Detail"].Value.ShouldBe("coord-b is 5242880 bytes behind (limit 1048576)");

        var quiet = fixture.Session.Invoke("Test-CitusCluster demo -Endpoint $endpoint -EtcdNamespace $ns -Quiet; Test-CitusCluster demo -Group 1 -Endpoint $endpoint -EtcdNamespace $ns -Quiet", Variables(ns));
        quiet.Output.Select(o => o.BaseObject).ShouldBe([false, true]);
    }
}
