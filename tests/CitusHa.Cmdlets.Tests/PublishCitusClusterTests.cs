using System.Collections;
using System.Management.Automation;
using CitusHa.Testing.Kubernetes;

namespace CitusHa.Cmdlets.Tests;

/// <summary>
/// Publish-CitusCluster through the real engine against the in-test Kubernetes API server: the
/// pipeline from New-CitusCluster, -Path, -WhatIf listing what would change without changing it,
/// -Wait with its timeout, and the errors of a bad kubeconfig.
/// </summary>
[Collection(ModuleCollectionDefinition.Name)]
public sealed class PublishCitusClusterTests(ModuleFixture fixture) : IDisposable
{
    private const string Render = "New-CitusCluster sales -Namespace data -WorkerGroups 1 -EtcdEndpoint etcd:2379";
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-publish-").FullName;
    private readonly FakeKubernetesApi api = new();

    public void Dispose()
    {
        api.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(folder, recursive: true);
    }

    private Hashtable Variables() => new() { ["kc"] = api.WriteKubeconfig(folder), ["folder"] = folder };

    [Fact]
    public void Rendered_objects_piped_in_are_created_and_reported_as_typed_changes()
    {
        var result = fixture.Session.Invoke($"{Render} | Publish-CitusCluster -Kubeconfig $kc | ForEach-Object {{ '{{0}} {{1}} {{2}}' -f $_.Action, $_.Kind, $_.Name }}", Variables());
        result.Errors.ShouldBeEmpty(result.Describe());
        var lines = result.Output.Select(o => o.ToString()).ToList();
        lines[0].ShouldBe("Create Secret sales-credentials");
        lines.ShouldContain("Create StatefulSet sales-worker-1");
        lines.ShouldAllBe(l => l.StartsWith("Create ", StringComparison.Ordinal));
        api.Paths.ShouldContain("/apis/apps/v1/namespaces/data/statefulsets/sales-coordinator");
        var type = fixture.Session.Invoke($"@({Render} | Publish-CitusCluster -Kubeconfig $kc)[0].GetType().FullName", Variables());
        type.Output.Single().ToString().ShouldBe("CitusHa.CitusManifestChange");
    }

    [Fact]
    public void WhatIf_lists_each_change_and_sends_only_reads_and_dry_runs()
    {
        var first = fixture.Session.Invoke($"{Render} | Publish-CitusCluster -Kubeconfig $kc -WhatIf", Variables());
        first.Errors.ShouldBeEmpty(first.Describe());
        first.HostText.ShouldContain("What if: Performing the operation \"Create (server-side apply)\" on target \"StatefulSet data/sales-coordinator\"");
        first.HostText.ShouldContain("Secret data/sales-credentials");
        api.Paths.ShouldBeEmpty("-WhatIf changes nothing");

        fixture.Session.Invoke($"{Render} | Publish-CitusCluster -Kubeconfig $kc", Variables()).Errors.ShouldBeEmpty();
        var sent = api.Requests.Count;
        var changed = fixture.Session.Invoke($"New-CitusCluster sales -Namespace data -WorkerGroups 1 -EtcdEndpoint etcd:2379 -MemoryRequest 4Gi | Publish-CitusCluster -Kubeconfig $kc -WhatIf -Verbose", Variables());
        changed.Errors.ShouldBeEmpty(changed.Describe());
        changed.HostText.ShouldContain("What if: Performing the operation \"Update spec.template (server-side apply)\" on target \"StatefulSet data/sales-worker-1\"");
        changed.Verbose.Select(v => v.Message).ShouldContain("Service data/sales-coordinator: unchanged");
        changed.Verbose.Select(v => v.Message).ShouldContain("Secret data/sales-credentials: exists, kept as it is");
        api.Requests.Skip(sent).Where(r => r.Method != "GET").ShouldAllBe(r => r.PathAndQuery.Contains("dryRun=All"));
    }

    [Fact]
    public void A_path_written_by_New_CitusCluster_publishes_the_same_objects_and_then_nothing_changes()
    {
        var written = fixture.Session.Invoke($"{Render} -OutputPath $folder/out.yaml | Out-Null; Publish-CitusCluster -Path $folder/out.yaml -Kubeconfig $kc | ForEach-Object Action", Variables());
        written.Errors.ShouldBeEmpty(written.Describe());
        var objects = (int)fixture.Session.Invoke($"@({Render}).Count").Output.Single().BaseObject;
        Counts(written).ShouldBe($"Create={objects + 1}");

        var again = fixture.Session.Invoke("Publish-CitusCluster $folder/out.yaml -Kubeconfig $kc | ForEach-Object Action", Variables());
        Counts(again).ShouldBe($"Keep=1 Unchanged={objects}");
    }

    private static string Counts(Testing.PowerShell.ScriptResult result) =>
        string.Join(' ', result.Output.Select(o => o.ToString()).GroupBy(a => a, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Count()}"));

    [Fact]
    public void Wait_reports_progress_and_fails_with_the_groups_that_have_no_leader()
    {
        api.SetPod("data", "sales-coordinator-0", "sales", 0, "primary");
        var result = fixture.Session.Invoke($"$ProgressPreference = 'Continue'; try {{ {Render} | Publish-CitusCluster -Kubeconfig $kc -Wait -TimeoutSec 2 | Out-Null; $null }} catch {{ $_ }} finally {{ $ProgressPreference = 'SilentlyContinue' }}", Variables());
        var error = result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem(result.Describe());
        error.FullyQualifiedErrorId.ShouldStartWith("OperationTimedOut");
        error.Exception.Message.ShouldContain("No leader in group(s) 1 of sales");
        result.Progress.Select(p => p.StatusDescription).ShouldContain("1 of 2 groups have a leader", string.Join(" | ", result.Progress.Select(p => $"{p.Activity}: {p.StatusDescription}")));
    }

    [Theory]
    [InlineData("-Kubeconfig $folder/none", "KubeconfigNotFound")]
    [InlineData("-Kubeconfig $kc -Context elsewhere", "KubeconfigInvalid")]
    public void A_kubeconfig_that_cannot_be_used_is_a_terminating_error_and_nothing_is_sent(string arguments, string errorId)
    {
        var result = fixture.Session.Invoke($"try {{ {Render} | Publish-CitusCluster {arguments} | Out-Null; $null }} catch {{ $_ }}", Variables());
        var error = result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem(result.Describe());
        error.FullyQualifiedErrorId.ShouldStartWith(errorId);
        api.Requests.ShouldBeEmpty();
    }
}
