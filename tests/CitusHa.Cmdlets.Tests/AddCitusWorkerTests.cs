using System.Collections;
using System.Management.Automation;
using CitusHa.Testing.Kubernetes;

namespace CitusHa.Cmdlets.Tests;

/// <summary>Add-CitusWorker through the real engine: from files, from the pipeline, and from a published formation.</summary>
[Collection(ModuleCollectionDefinition.Name)]
public sealed class AddCitusWorkerTests(ModuleFixture fixture) : IDisposable
{
    private const string Render = "New-CitusCluster sales -Namespace data -WorkerGroups 1 -EtcdEndpoint etcd:2379 -MemoryRequest 3Gi";
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-addworker-").FullName;
    private readonly FakeKubernetesApi api = new();

    public void Dispose()
    {
        api.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(folder, recursive: true);
    }

    private Hashtable Variables() => new() { ["kc"] = api.WriteKubeconfig(folder), ["folder"] = folder };

    [Fact]
    public void From_the_files_it_renders_what_New_CitusCluster_renders_for_the_grown_formation()
    {
        var result = fixture.Session.Invoke($"{Render} -OutputPath $folder/sales.yaml | Out-Null; Add-CitusWorker -Path $folder/sales.yaml -Count 2 -AsYaml", Variables());
        result.Errors.ShouldBeEmpty(result.Describe());
        var added = result.Output.Single().ToString().Split("---\n");
        var grown = fixture.Session.Invoke("New-CitusCluster sales -Namespace data -WorkerGroups 3 -EtcdEndpoint etcd:2379 -MemoryRequest 3Gi -AsYaml").Output.Single().ToString().Split("---\n");
        added.ShouldAllBe(document => grown.Contains(document));
        added.Count(d => d.Contains("kind: StatefulSet", StringComparison.Ordinal)).ShouldBe(2);
        added.ShouldNotContain(d => d.Contains("name: sales-worker-1\n", StringComparison.Ordinal), "the existing group is not rendered again");
    }

    [Fact]
    public void Piped_objects_of_a_formation_give_typed_objects_of_the_next_group()
    {
        var result = fixture.Session.Invoke($"{Render} | Add-CitusWorker | ForEach-Object {{ '{{0}}/{{1}}' -f $_.Kind, $_.Metadata.Name }}");
        result.Errors.ShouldBeEmpty(result.Describe());
        result.Output.Select(o => o.ToString()).ShouldBe([
            "Role/sales-agent", "ConfigMap/sales-config",
            "Service/sales-worker-2-members", "Service/sales-worker-2", "StatefulSet/sales-worker-2", "PodDisruptionBudget/sales-worker-2"]);
    }

    [Fact]
    public void A_published_formation_grows_through_the_cluster_and_Publish_CitusCluster()
    {
        var published = fixture.Session.Invoke($"{Render} | Publish-CitusCluster -Kubeconfig $kc | Out-Null; Add-CitusWorker sales -Namespace data -Kubeconfig $kc -Count 1 | Publish-CitusCluster -Kubeconfig $kc | ForEach-Object {{ '{{0}} {{1}}/{{2}}' -f $_.Action, $_.Kind, $_.Name }}", Variables());
        published.Errors.ShouldBeEmpty(published.Describe());
        var lines = published.Output.Select(o => o.ToString()).ToList();
        lines.ShouldContain("Create StatefulSet/sales-worker-2");
        lines.ShouldContain("Update Role/sales-agent");
        lines.ShouldContain("Update ConfigMap/sales-config");
        lines.ShouldContain("Keep Secret/sales-credentials");
        api.Get("/apis/apps/v1/namespaces/data/statefulsets/sales-worker-2")!.ToJsonString().ShouldContain("3Gi", customMessage: "the new group has the formation's parameters");
    }

    [Theory]
    [InlineData("Add-CitusWorker nothere -Namespace data -Kubeconfig $kc", "ClusterNotFound")]
    [InlineData("New-CitusCluster sales -EtcdEndpoint etcd:2379 | Add-CitusWorker -Count 0", "InvalidManifestParameter")]
    [InlineData("New-CitusCluster sales -EtcdEndpoint etcd:2379 | Where-Object Kind -ne ConfigMap | Add-CitusWorker", "InvalidManifest")]
    public void Bad_input_is_a_terminating_error_with_its_own_id(string command, string errorId)
    {
        var result = fixture.Session.Invoke($"try {{ {command} | Out-Null; $null }} catch {{ $_ }}", Variables());
        var error = result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem(result.Describe());
        error.FullyQualifiedErrorId.ShouldStartWith(errorId + ",");
    }

    [Theory]
    [InlineData("-Count 1 -Namespace data", "InvalidManifestParameter", "-Count: 1 of the formation's 1 worker groups cannot be removed")]
    [InlineData("-Count 1 -Namespace elsewhere", "ClusterNotFound", "No formation 'sales' in namespace 'elsewhere'")]
    public void Remove_CitusWorker_refuses_what_the_formation_cannot_lose_before_touching_anything(string arguments, string errorId, string message)
    {
        fixture.Session.Invoke($"{Render} | Publish-CitusCluster -Kubeconfig $kc | Out-Null", Variables()).Errors.ShouldBeEmpty();
        var sent = api.Requests.Count;
        var result = fixture.Session.Invoke($"try {{ Remove-CitusWorker sales -Endpoint http://127.0.0.1:9 -Kubeconfig $kc {arguments} -Force | Out-Null; $null }} catch {{ $_ }}", Variables());
        var error = result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem(result.Describe());
        error.FullyQualifiedErrorId.ShouldStartWith(errorId + ",");
        error.Exception.Message.ShouldContain(message);
        api.Requests.Skip(sent).ShouldAllBe(r => r.Method == "GET", "nothing was changed");
    }
}
