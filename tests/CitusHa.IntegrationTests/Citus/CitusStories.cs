using System.Diagnostics;
using CitusHa.Core.Formation;
using CitusHa.Testing;
using Npgsql;

namespace CitusHa.IntegrationTests.Citus;

/// <summary>
/// The Citus stories both lanes tell (stand-in and real Citus), against a running 3 × 2 formation.
/// Each leaves the formation healthy and pg_dist_node equal to etcd's truth.
/// </summary>
internal static class CitusStories
{
    public static readonly int[] AllGroups = [0, 1, 2];

    public static async Task RegistrationAsync(CitusHarness citus, CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(30), ct);

        var rows = await citus.PgDistNodeAsync(ct);
        rows.Count.ShouldBe(6);
        rows.Where(r => r.Role == "primary").Select(r => r.Group).Order().ShouldBe(AllGroups);
    }

    /// <summary>Kills group 1's leader (agent and PostgreSQL); the primary row follows the new primary and keeps its nodeid.</summary>
    public static async Task<(LocalMember Old, LocalMember Promoted, long KilledAt)> UnplannedWorkerFailoverAsync(CitusHarness citus, CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var primaryRow = (await citus.PgDistNodeAsync(ct)).Single(r => r.Group == 1 && r.Role == "primary");
        var old = await citus.LeaderAsync(1, ct);

        var killedAt = Stopwatch.GetTimestamp();
        await citus.Formation.KillAsync(old, postgresToo: true, ct);
        var promoted = await citus.WaitForNewLeaderAsync(1, old.Name, ct);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.NodeId == primaryRow.NodeId && r.Port == promoted.PostgresPort), TimeSpan.FromSeconds(5), "the primary row on the new primary", ct);
        return (old, promoted, killedAt);
    }

    public static async Task RejoinAsync(CitusHarness citus, LocalMember member, CancellationToken ct)
    {
        citus.Formation.StartAgent(member);
        await citus.WaitForGroupsHealthyAsync(AllGroups, TimeSpan.FromSeconds(90), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
    }

    /// <summary>Group 2's agents cannot authenticate to the coordinator: a switchover there is repaired by reconcile alone.</summary>
    public static async Task LostEventsRepairedAsync(CitusHarness citus, string group2Password, CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);

        var candidate = await citus.SwitchoverAsync(2, ct, group2Password);
        var leader = await citus.WaitForNewLeaderAsync(2, null, ct, candidate.Name);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.Group == 2 && r.Role == "primary" && r.Port == leader.PostgresPort), TimeSpan.FromSeconds(5), "group 2's primary row on its new primary", ct);
        await citus.WaitForGroupsHealthyAsync([2], TimeSpan.FromSeconds(60), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);

        CitusHarness.AgentLog(candidate).ShouldContain("request to Citus coordinator leader");
        CitusHarness.AgentLog(candidate).ShouldContain("HTTP 401");
        var coordinatorLog = CitusHarness.AgentLog(await citus.LeaderAsync(0, ct));
        coordinatorLog.ShouldNotContain("before_demote group 2", Case.Sensitive, "no event of group 2 arrived");
        coordinatorLog.ShouldNotContain("before_promote group 2", Case.Sensitive, "no event of group 2 arrived");
    }

    /// <summary>A worker announces its demotion and disappears: the pause ends at its deadline.</summary>
    public static async Task DeadlineRollbackAsync(CitusHarness citus, CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var coordinator = await citus.LeaderAsync(0, ct);
        var worker = await citus.LeaderAsync(1, ct);

        var clock = Stopwatch.StartNew();
        var (status, body) = await CitusHarness.PostAsync(coordinator, "/citus", $"{{\"type\":\"before_demote\",\"group\":1,\"leader\":\"{worker.Name}\",\"timeout\":3,\"cooldown\":1}}", ct);
        status.ShouldBe(200, body);
        (await citus.OpenMetadataTransactionsAsync(ct)).ShouldBe(1, "the pause is an open transaction on the coordinator");

        await TestTimeouts.WaitUntilAsync(async () => await citus.OpenMetadataTransactionsAsync(ct) == 0, TimeSpan.FromSeconds(10), "the paused transaction rolled back", ct);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3), "not before its deadline");
        CitusHarness.AgentLog(coordinator).ShouldContain("rolling back the pg_dist_node transaction past its deadline");
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(10), ct);
        (await citus.PgDistNodeAsync(ct)).ShouldNotContain(r => r.Name.EndsWith("-demoted", StringComparison.Ordinal));
    }

    /// <summary>Kills the coordinator's leader: the new one takes group 0's primary row and serves the workers' events.</summary>
    public static async Task CoordinatorFailoverAsync(CitusHarness citus, CancellationToken ct)
    {
        var (old, _, _) = await UnplannedCoordinatorFailoverAsync(citus, ct);
        await citus.SwitchoverAsync(1, ct);
        await RejoinAsync(citus, old, ct);
    }

    /// <summary>Kills group 0's leader (agent and PostgreSQL); group 0's primary row follows the new coordinator primary and keeps its nodeid.</summary>
    public static async Task<(LocalMember Old, LocalMember Promoted, NodeRow PrimaryRow)> UnplannedCoordinatorFailoverAsync(CitusHarness citus, CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var primaryRow = (await citus.PgDistNodeAsync(ct)).Single(r => r.Group == 0 && r.Role == "primary");
        var old = await citus.LeaderAsync(0, ct);

        await citus.Formation.KillAsync(old, postgresToo: true, ct);
        var promoted = await citus.WaitForNewLeaderAsync(0, old.Name, ct);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.NodeId == primaryRow.NodeId && r.Port == promoted.PostgresPort), TimeSpan.FromSeconds(10), "group 0's primary row on the new coordinator", ct);
        return (old, promoted, primaryRow);
    }

    /// <summary>
    /// Every agent of the formation stopped (SIGTERM) and started again after a ttl, when every key has
    /// expired: each group elects a leader again and the coordinator's catalog comes back to etcd's truth.
    /// Primary rows keep their nodeids; a standby's secondary row, removed while it was down, comes back
    /// with a new one (the agents' rule: only running standbys are secondaries).
    /// </summary>
    public static async Task WholeFormationRestartAsync(CitusHarness citus, CancellationToken ct)
    {
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);
        var before = await citus.PgDistNodeAsync(ct);
        var formation = citus.Formation;
        await Task.WhenAll(formation.Members.Select(m => formation.StopAgentAsync(m, TimeSpan.FromSeconds(60), ct)));
        await Task.Delay(formation.Ttl + TimeSpan.FromSeconds(2), ct);

        var clock = Stopwatch.StartNew();
        foreach (var member in formation.Members)
        {
            formation.StartAgent(member);
        }

        await citus.WaitForGroupsHealthyAsync(AllGroups, TimeSpan.FromSeconds(120), ct);
        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(30), ct);
        Console.WriteLine($"whole Citus formation ({formation.Members.Count} agents) restarted: healthy with pg_dist_node true after {clock.Elapsed.TotalSeconds:0.0} s");
        var after = await citus.PgDistNodeAsync(ct);
        after.Where(r => r.Role == "primary").Select(r => (r.NodeId, r.Group)).Order().ToList()
            .ShouldBe(before.Where(r => r.Role == "primary").Select(r => (r.NodeId, r.Group)).Order().ToList(), "every group keeps its primary row's nodeid");
        after.Select(r => (r.Group, r.Role)).Order().ToList().ShouldBe(before.Select(r => (r.Group, r.Role)).Order().ToList(), "a primary and a secondary per group again");
    }

    public static async Task NewWorkerGroupAsync(bool realCitus, CancellationToken ct)
    {
        await using var citus = await CitusHarness.StartAsync(realCitus, ct, customize: o => o with { DeferredGroups = [2] });
        await citus.WaitForCatalogTruthAsync([0, 1], TimeSpan.FromSeconds(30), ct);
        (await citus.PgDistNodeAsync(ct)).ShouldNotContain(r => r.Group == 2);

        citus.Formation.StartGroup(2);
        var leader = await citus.LeaderAsync(2, ct);
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.Group == 2 && r.Role == "primary" && r.Port == leader.PostgresPort), TimeSpan.FromSeconds(10), "group 2's primary registered", ct);
        await citus.WaitForGroupsHealthyAsync([2], TimeSpan.FromSeconds(60), ct);
        await citus.WaitForCatalogTruthAsync([0, 1, 2], TimeSpan.FromSeconds(20), ct);
    }

    /// <summary>
    /// A worker group joins and leaves through the module, on a formation published to the in-test
    /// Kubernetes API (the test starts a group's agents when its StatefulSet is applied and stops them
    /// when it is deleted, as Kubernetes would its pods). Add-CitusWorker -Rebalance applies the group,
    /// waits until the coordinator registers its primary and only then starts Citus' rebalancer;
    /// Remove-CitusWorker (-WhatIf first) drains it, deletes its objects, and its node leaves
    /// pg_dist_node while the other groups stay registered.
    /// </summary>
    public static async Task GrowAndShrinkAsync(bool realCitus, CancellationToken ct)
    {
        await using var citus = await CitusHarness.StartAsync(realCitus, ct, groups: 3, membersPerGroup: 1, customize: o => o with { DeferredGroups = [2] });
        await citus.WaitForCatalogTruthAsync([0, 1], TimeSpan.FromSeconds(30), ct);
        await using var api = new CitusHa.Testing.Kubernetes.FakeKubernetesApi();
        var folder = Directory.CreateTempSubdirectory("citusha-grow-").FullName;
        try
        {
            var kubeconfig = api.WriteKubeconfig(folder);
            var request = new CitusHa.Core.Kubernetes.ClusterManifestRequest
            {
                Name = "demo", Namespace = "data", WorkerGroups = 1, MembersPerGroup = 1,
                EtcdEndpoints = [citus.Formation.EtcdEndpoint.Contains("://", StringComparison.Ordinal) ? new Uri(citus.Formation.EtcdEndpoint).Authority : citus.Formation.EtcdEndpoint],
            };
            using (var kubernetes = CitusHa.Core.Operations.ClusterPublishing.Open(kubeconfig, null))
            {
                await kubernetes.PublishAsync(CitusHa.Core.Operations.ClusterManifests.Render(request), false, ct);
            }

            var started = 0;
            api.Applied += path =>
            {
                if (path.EndsWith("/statefulsets/demo-worker-2", StringComparison.Ordinal) && Interlocked.Exchange(ref started, 1) == 0)
                {
                    citus.Formation.StartGroup(2);
                }
            };
            var stopping = new List<Task>();
            api.Deleted += path =>
            {
                if (path.EndsWith("/statefulsets/demo-worker-2", StringComparison.Ordinal))
                {
                    lock (stopping)
                    {
                        stopping.Add(Task.WhenAll(citus.Formation.Members.Where(m => m.Group == 2)
                            .Select(m => citus.Formation.StopAgentAsync(m, TimeSpan.FromSeconds(30), CancellationToken.None))));
                    }
                }
            };

            using var session = CitusHa.Testing.PowerShell.ModuleSession.Open();
            session.ScriptTimeout = TimeSpan.FromMinutes(3);
            var variables = new System.Collections.Hashtable { ["endpoint"] = citus.Formation.EtcdEndpoint, ["password"] = citus.Formation.SuperuserPassword, ["kc"] = kubeconfig };
            const string Credential = "$credential = [pscredential]::new('postgres', [System.Net.NetworkCredential]::new('', $password).SecurePassword)\n";
            const string Connection = " -Endpoint $endpoint -PostgresCredential $credential -Namespace data -Kubeconfig $kc";

            // Grow.
            var addWhatIf = session.Invoke(Credential + "Add-CitusWorker demo -Rebalance -WhatIf" + Connection, variables);
            addWhatIf.Errors.ShouldBeEmpty(addWhatIf.Describe());
            addWhatIf.HostText.ShouldContain("StatefulSet data/demo-worker-2");
            started.ShouldBe(0, "-WhatIf applies nothing");

            var added = session.Invoke(Credential + "Add-CitusWorker demo -Rebalance -TimeoutSec 120" + Connection, variables);
            added.Errors.ShouldBeEmpty(added.Describe());
            added.Terminating.ShouldBeNull(added.Describe());
            var changes = added.Output.Where(o => o.BaseObject.GetType().Name == "CitusManifestChange")
                .Select(o => $"{o.Properties["Action"].Value} {o.Properties["Kind"].Value}/{o.Properties["Name"].Value}").ToList();
            changes.ShouldContain("Create StatefulSet/demo-worker-2");
            changes.ShouldContain("Update Role/demo-agent");
            // No table is distributed here: Citus finds nothing to move, after the group was registered.
            added.Warnings.ShouldHaveSingleItem().Message.ShouldContain("the new groups are registered, but no rebalance was started");
            var group2 = await citus.LeaderAsync(2, ct);
            (await citus.PgDistNodeAsync(ct)).ShouldContain(r => r.Group == 2 && r.Role == "primary" && r.Port == group2.PostgresPort);
            if (!realCitus)
            {
                var calls = await StandInCallsAsync(citus, ct);
                calls.IndexOf("citus_rebalance_start", StringComparison.Ordinal).ShouldBeGreaterThan(calls.IndexOf("citus_add_node", StringComparison.Ordinal), $"the rebalancer started only after group 2's primary was added: {calls}");
                calls.IndexOf("citus_add_node", StringComparison.Ordinal).ShouldBeGreaterThanOrEqualTo(0, calls);
            }

            // Shrink.
            const string Remove = "Remove-CitusWorker demo";
            var whatIf = session.Invoke(Credential + Remove + Connection + " -WhatIf", variables);
            whatIf.Errors.ShouldBeEmpty(whatIf.Describe());
            whatIf.HostText.ShouldContain("StatefulSet data/demo-worker-2");
            (await citus.PgDistNodeAsync(ct)).ShouldContain(r => r.Group == 2, "-WhatIf drains and removes nothing");
            api.Paths.ShouldContain("/apis/apps/v1/namespaces/data/statefulsets/demo-worker-2");

            var removed = session.Invoke(Credential + Remove + Connection + " -Force -TimeoutSec 120", variables);
            removed.Errors.ShouldBeEmpty(removed.Describe());
            removed.Terminating.ShouldBeNull(removed.Describe());
            var result = removed.Output.ShouldHaveSingleItem();
            ((IEnumerable<int>)result.Properties["Groups"].Value).ShouldBe([2]);
            ((IEnumerable<string>)result.Properties["DrainedNodes"].Value).ShouldBe([$"127.0.0.1:{group2.PostgresPort}"]);
            ((IEnumerable<string>)result.Properties["RemovedNodes"].Value).ShouldContain($"127.0.0.1:{group2.PostgresPort}");
            lock (stopping)
            {
                stopping.Count.ShouldBe(1, "the group's StatefulSet was deleted once");
            }

            var rows = await citus.PgDistNodeAsync(ct);
            rows.ShouldNotContain(r => r.Group == 2, string.Join("; ", rows));
            rows.ShouldContain(r => r.Group == 1 && r.Role == "primary");
            api.Paths.ShouldNotContain(p => p.Contains("demo-worker-2", StringComparison.Ordinal));
            api.Paths.ShouldContain("/apis/apps/v1/namespaces/data/statefulsets/demo-worker-1");
            api.Get("/api/v1/namespaces/data/configmaps/demo-config")!.ToJsonString().ShouldContain("\\u0022workerGroups\\u0022:1");
            api.Get("/apis/rbac.authorization.k8s.io/v1/namespaces/data/roles/demo-agent")!.ToJsonString().ShouldNotContain("demo-worker-2-0");
            if (!realCitus)
            {
                (await StandInCallsAsync(citus, ct)).ShouldEndWith("citus_drain_node,citus_remove_node", customMessage: "drained before removed");
            }

            await citus.WaitForCatalogTruthAsync([0, 1], TimeSpan.FromSeconds(30), ct);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The stand-in's log of the node and rebalance calls, in order.</summary>
    private static async Task<string> StandInCallsAsync(CitusHarness citus, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(citus.ConnectionString(await citus.LeaderAsync(0, ct), CitusHarness.Database));
        await db.OpenAsync(ct);
        await using var calls = new NpgsqlCommand(
            "SELECT string_agg(fn, ',' ORDER BY id) FROM citus_standin.calls WHERE fn IN ('citus_drain_node', 'citus_remove_node', 'citus_rebalance_start') OR (fn = 'citus_add_node' AND args LIKE '%, 2, primary%')", db);
        return await calls.ExecuteScalarAsync(ct) as string ?? string.Empty;
    }
}
