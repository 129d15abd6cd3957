using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Kubernetes;
using CitusHa.Core.Kubernetes.Apply;
using CitusHa.Core.Operations;
using CitusHa.Testing;
using CitusHa.Testing.Kubernetes;

namespace CitusHa.Core.Tests.Kubernetes;

/// <summary>
/// Publishing a rendered formation through KubernetesClient against the in-test API server: what is
/// sent (server-side apply, field manager, dry runs for planning), what is never sent (a Secret's
/// overwrite, a password outside the one Secret create), and the errors a user gets.
/// </summary>
public sealed class ClusterPublisherTests : IDisposable
{
    private static readonly ClusterManifestRequest Request = new() { Name = "sales", Namespace = "data", WorkerGroups = 1, MembersPerGroup = 3, EtcdEndpoints = ["etcd.etcd.svc:2379"] };
    private readonly string directory = Path.Combine(Path.GetTempPath(), "citusha-tests", $"publish-{Guid.NewGuid():N}");
    private readonly FakeKubernetesApi api = new();

    private const string SecretPath = "/api/v1/namespaces/data/secrets/sales-credentials";
    private const string CoordinatorSet = "/apis/apps/v1/namespaces/data/statefulsets/sales-coordinator";

    public void Dispose()
    {
        api.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private ClusterPublishing Open() => ClusterPublishing.Open(api.WriteKubeconfig(directory), null);

    private static IReadOnlyList<object> Render(ClusterManifestRequest request) => ClusterManifests.Render(request);

    private static Task<IReadOnlyList<ManifestChange>> PublishAsync(ClusterPublishing session, IReadOnlyList<object> objects, bool force = false) =>
        session.PublishAsync(objects, force, TestTimeouts.Default);

    [Fact]
    public async Task A_first_publish_creates_every_object_by_server_side_apply_and_the_credentials_once()
    {
        using var session = Open();
        var objects = Render(Request);
        var changes = await PublishAsync(session, objects);

        changes.Count.ShouldBe(objects.Count + 1, "every rendered object, and the credentials Secret the StatefulSets mount");
        changes.ShouldAllBe(c => c.Action == ManifestAction.Create);
        changes[0].Target.ShouldBe("Secret data/sales-credentials");

        var writes = api.Requests.Where(r => r.Method is "PATCH" or "POST").ToList();
        var applies = writes.Where(r => r.Method == "PATCH" && !r.PathAndQuery.Contains("dryRun", StringComparison.Ordinal)).ToList();
        applies.Count.ShouldBe(objects.Count);
        applies.ShouldAllBe(r => r.ContentType!.StartsWith("application/apply-patch+yaml") && r.PathAndQuery.Contains("fieldManager=CitusHa"));
        applies.ShouldAllBe(r => !r.PathAndQuery.Contains("force=true"), "conflicts are not forced unless asked");
        var secretWrite = writes.Where(r => r.PathAndQuery.Contains("/secrets", StringComparison.Ordinal)).ShouldHaveSingleItem();
        secretWrite.Method.ShouldBe("POST", "a Secret is created, never applied: an apply would overwrite one");

        var passwords = api.Get(SecretPath).ShouldNotBeNull()["stringData"]!.AsObject();
        passwords.Select(p => p.Key).Order().ShouldBe(["replication-password", "restapi-password", "superuser-password"]);
        var values = passwords.Select(p => p.Value!.GetValue<string>()).ToList();
        values.ShouldAllBe(v => v.Length == 32 && v.All(char.IsAsciiLetterOrDigit));
        values.Distinct().Count().ShouldBe(3);
        foreach (var request in api.Requests.Where(r => r != secretWrite))
        {
            values.ShouldAllBe(v => !request.Body.Contains(v), $"a password travelled in {request.Method} {request.PathAndQuery}");
        }

        api.Paths.ShouldContain(CoordinatorSet);
        api.Paths.ShouldContain("/apis/policy/v1/namespaces/data/poddisruptionbudgets/sales-worker-1");
        api.Paths.ShouldContain("/apis/rbac.authorization.k8s.io/v1/namespaces/data/roles/sales-agent");
    }

    [Fact]
    public async Task Publishing_the_same_render_again_changes_nothing_and_keeps_the_secret()
    {
        using var session = Open();
        await PublishAsync(session, Render(Request));
        var secret = api.Get(SecretPath)!.ToJsonString();
        var sent = api.Requests.Count;

        var plan = await session.PlanAsync(Render(Request), false, TestTimeouts.Default);
        plan.Single(c => c.Kind == "Secret").Action.ShouldBe(ManifestAction.Keep);
        plan.Where(c => c.Kind != "Secret").ShouldAllBe(c => c.Action == ManifestAction.Unchanged);
        foreach (var change in plan)
        {
            await session.ApplyAsync(change, false, TestTimeouts.Default);
        }

        api.Requests.Skip(sent).Where(r => r.Method != "GET").ShouldAllBe(r => r.PathAndQuery.Contains("dryRun=All"), "only dry runs: nothing to change");
        api.Get(SecretPath)!.ToJsonString().ShouldBe(secret);
    }

    [Fact]
    public async Task A_changed_parameter_is_an_update_that_names_the_changed_fields()
    {
        using var session = Open();
        await PublishAsync(session, Render(Request));

        var plan = await session.PlanAsync(Render(Request with { MemoryRequest = "4Gi" }), false, TestTimeouts.Default);
        var updates = plan.Where(c => c.Action == ManifestAction.Update).ToList();
        updates.Select(c => c.Name).Order().ToList().ShouldBe(new List<string> { "sales-config", "sales-coordinator", "sales-worker-1" }, "the StatefulSets carry resources; the ConfigMap records the parameters");
        updates.Where(c => c.Kind == "StatefulSet").ShouldAllBe(c => c.Fields.Count == 1 && c.Fields[0] == "spec.template");
        updates.Single(c => c.Kind == "ConfigMap").Fields.ShouldBe(["metadata.annotations"]);
        api.Get(CoordinatorSet)!.ToJsonString().ShouldNotContain("4Gi", Case.Sensitive, "planning sends dry runs only");
    }

    [Fact]
    public async Task Cert_manager_Certificates_are_applied_read_back_from_files_and_unchanged_the_second_time()
    {
        using var session = Open();
        var tls = Request with { TlsIssuer = "internal-ca" };
        var path = Path.Combine(directory, "sales.yaml");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(path, ClusterManifests.Yaml(tls));
        var fromFile = ClusterPublishing.Load(path);
        fromFile.OfType<CertManagerCertificate>().Count().ShouldBe(2, "the YAML reader knows cert-manager's kind");

        var changes = await PublishAsync(session, fromFile);
        changes.Where(c => c.Kind == "Certificate").Select(c => c.Action).ShouldBe([ManifestAction.Create, ManifestAction.Create]);
        var stored = api.Get("/apis/cert-manager.io/v1/namespaces/data/certificates/sales-worker-1").ShouldNotBeNull();
        stored["spec"]!["secretName"]!.GetValue<string>().ShouldBe("sales-worker-1-tls");
        stored["spec"]!["issuerRef"]!["name"]!.GetValue<string>().ShouldBe("internal-ca");

        var again = await session.PlanAsync(ClusterManifests.Render(tls), false, TestTimeouts.Default);
        again.Where(c => c.Kind == "Certificate").ShouldAllBe(c => c.Action == ManifestAction.Unchanged);
    }

    [Fact]
    public async Task A_secret_that_exists_is_never_overwritten_even_if_it_appears_after_the_plan()
    {
        using var session = Open();
        var plan = await session.PlanAsync(Render(Request), false, TestTimeouts.Default);
        plan[0].Action.ShouldBe(ManifestAction.Create);

        // The user's own Secret arrives between the plan and the apply.
        var users = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "sales-credentials", ["namespace"] = "data" },
            ["data"] = new JsonObject { ["superuser-password"] = "dXNlcnMtb3du" },
        };
        api.Put(SecretPath, users);
        var applied = await session.ApplyAsync(plan[0], false, TestTimeouts.Default);

        applied.Action.ShouldBe(ManifestAction.Keep);
        api.Get(SecretPath)!["data"]!["superuser-password"]!.GetValue<string>().ShouldBe("dXNlcnMtb3du");
        api.Get(SecretPath)!.ContainsKey("stringData").ShouldBeFalse();
    }

    [Fact]
    public async Task Fields_another_manager_owns_are_a_conflict_naming_the_object_unless_forced()
    {
        using var session = Open();
        await PublishAsync(session, Render(Request));
        api.OwnedByAnotherManager(CoordinatorSet, "kubectl-edit");

        var error = await Should.ThrowAsync<CitusHaException>(() => session.PlanAsync(Render(Request), false, TestTimeouts.Default));
        error.ErrorId.ShouldBe(ErrorIds.KubernetesApplyConflict);
        error.Message.ShouldContain("StatefulSet data/sales-coordinator");
        error.Message.ShouldContain("kubectl-edit");
        error.Message.ShouldContain("-Force");

        await PublishAsync(session, Render(Request with { MemoryRequest = "4Gi" }), force: true);
        api.Requests.Where(r => r.Method == "PATCH" && r.PathAndQuery.StartsWith(CoordinatorSet, StringComparison.Ordinal)).Last().PathAndQuery.ShouldContain("force=true");
        api.Get(CoordinatorSet)!.ToJsonString().ShouldContain("4Gi");
    }

    [Fact]
    public async Task Refused_credentials_are_an_unauthorized_error_that_names_the_server_and_not_the_token()
    {
        using var session = ClusterPublishing.Open(api.WriteKubeconfig(directory, token: "wrong-token"), null);
        var error = await Should.ThrowAsync<CitusHaException>(() => session.PlanAsync(Render(Request), false, TestTimeouts.Default));
        error.Kind.ShouldBe(CitusErrorKind.Unauthorized);
        error.Message.ShouldContain(api.Url);
        error.Message.ShouldNotContain("wrong-token");
    }

    [Fact]
    public async Task An_unreachable_server_is_an_unavailable_error_and_a_foreign_object_is_refused_before_sending()
    {
        var kubeconfig = api.WriteKubeconfig(directory);
        await api.DisposeAsync();
        using (var session = ClusterPublishing.Open(kubeconfig, null))
        {
            var error = await Should.ThrowAsync<CitusHaException>(() => session.PlanAsync(Render(Request), false, TestTimeouts.Default));
            error.Kind.ShouldBe(CitusErrorKind.Unavailable);
            error.Message.ShouldContain("Cannot reach");

            var foreign = await Should.ThrowAsync<CitusHaException>(() => session.PlanAsync([.. Render(Request), new k8s.Models.V1Pod { ApiVersion = "v1", Kind = "Pod" }], false, TestTimeouts.Default));
            foreign.ErrorId.ShouldBe(ErrorIds.InvalidManifest);
            foreign.Message.ShouldContain("v1 Pod");
            var notKubernetes = await Should.ThrowAsync<CitusHaException>(() => session.PlanAsync(["a string"], false, TestTimeouts.Default));
            notKubernetes.Message.ShouldContain("not a Kubernetes object");
        }
    }

    [Fact]
    public async Task Waiting_follows_the_pod_watch_until_every_group_has_a_pod_labelled_primary()
    {
        using var session = Open();
        var objects = Render(Request);
        api.SetPod("data", "sales-coordinator-0", "sales", 0, "replica");
        var reports = new System.Collections.Concurrent.ConcurrentQueue<OperationProgress>();
        var wait = session.WaitForLeadersAsync(objects, TimeSpan.FromSeconds(30), new SyncProgress(reports.Enqueue), TestTimeouts.Default);

        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(api.Requests.Any(r => r.PathAndQuery.Contains("watch=true", StringComparison.Ordinal))), TimeSpan.FromSeconds(10), "the wait to open a pod watch", TestTimeouts.Default);
        api.SetPod("data", "sales-coordinator-0", "sales", 0, "primary");
        await Task.Delay(200);
        wait.IsCompleted.ShouldBeFalse("group 1 has no leader yet");
        api.SetPod("data", "sales-worker-1-2", "sales", 1, "primary");

        (await wait.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        reports.Last().Status.ShouldBe("2 of 2 groups have a leader");
        reports.Select(r => r.Status).ShouldContain("1 of 2 groups have a leader");
    }

    [Fact]
    public async Task Waiting_past_the_timeout_names_the_groups_without_a_leader()
    {
        using var session = Open();
        api.SetPod("data", "sales-coordinator-1", "sales", 0, "primary");
        var error = await Should.ThrowAsync<CitusHaException>(() => session.WaitForLeadersAsync(Render(Request), TimeSpan.FromSeconds(1), null, TestTimeouts.Default));
        error.Kind.ShouldBe(CitusErrorKind.Timeout);
        error.Message.ShouldContain("No leader in group(s) 1 of sales");
    }

    [Fact]
    public void The_kubeconfig_is_chosen_as_kubectl_chooses_it()
    {
        var first = api.WriteKubeconfig(Path.Combine(directory, "a"), context: "one");
        var second = api.WriteKubeconfig(Path.Combine(directory, "b"), context: "two");
        var list = string.Join(Path.PathSeparator, first, Path.Combine(directory, "missing"), second);

        KubeconfigResolver.Candidates(null, list, "/nonexistent").Select(f => f.FullName).ShouldBe([first, second], "a missing file in $KUBECONFIG is skipped");
        KubeconfigResolver.Candidates(second, list, "/nonexistent").Select(f => f.FullName).ShouldBe([second], "-Kubeconfig wins over $KUBECONFIG");
        KubeconfigResolver.Resolve(null, "two", list, "/nonexistent").Host.ShouldStartWith(api.Url, Case.Insensitive);
        KubeconfigResolver.Resolve(null, null, list, "/nonexistent").Host.ShouldStartWith(api.Url, Case.Insensitive);

        var unknown = Should.Throw<CitusHaException>(() => KubeconfigResolver.Resolve(null, "three", list, "/nonexistent"));
        unknown.Message.ShouldContain("no context 'three' (contexts: one, two)");
        var missing = Should.Throw<CitusHaException>(() => KubeconfigResolver.Resolve(Path.Combine(directory, "nope"), null, null, "/nonexistent"));
        missing.ErrorId.ShouldBe(ErrorIds.KubeconfigNotFound);
        missing.Message.ShouldContain("-Kubeconfig");
    }

    private sealed class SyncProgress(Action<OperationProgress> report) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => report(value);
    }
}
