using System.Collections;
using System.Management.Automation;

namespace CitusHa.Cmdlets.Tests;

/// <summary>New-CitusCluster through the real engine: typed objects, YAML, files, -WhatIf, bad input.</summary>
[Collection(ModuleCollectionDefinition.Name)]
public sealed class NewCitusClusterTests(ModuleFixture fixture) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("citusha-render-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private Hashtable Variables() => new() { ["folder"] = folder, ["out"] = Path.Combine(folder, "out") };

    [Fact]
    public void Without_a_format_switch_it_writes_typed_KubernetesClient_objects()
    {
        var result = fixture.Session.Invoke("New-CitusCluster sales -Namespace data -WorkerGroups 2 -EtcdEndpoint etcd:2379");
        result.Errors.ShouldBeEmpty(result.Describe());
        var sets = result.Output.Where(o => o.BaseObject.GetType().FullName == "k8s.Models.V1StatefulSet").ToList();
        sets.Count.ShouldBe(3);
        var names = fixture.Session.Invoke(
            "New-CitusCluster sales -Namespace data -WorkerGroups 2 -EtcdEndpoint etcd:2379 | Where-Object Kind -eq StatefulSet | ForEach-Object { '{0}={1}' -f $_.Metadata.Name, $_.Spec.Replicas }");
        names.Output.Select(o => o.ToString()).ShouldBe(["sales-coordinator=3", "sales-worker-1=3", "sales-worker-2=3"]);
        var table = fixture.Session.Invoke("New-CitusCluster sales -Namespace data -EtcdEndpoint etcd:2379 | Out-Default");
        table.HostText.ShouldContain("StatefulSet");
        table.HostText.ShouldContain("sales-worker-2-members");
        table.HostText.ShouldMatch(@"Kind\s+Name\s+Namespace\s+ApiVersion");
    }

    [Fact]
    public void AsYaml_is_one_deterministic_string()
    {
        const string Command = "New-CitusCluster sales -Namespace data -Profile Production -DeployEtcd -PostgresParameter @{ shared_buffers = '2GB'; max_connections = 300 } -AsYaml";
        var first = fixture.Session.Invoke(Command).Output.ShouldHaveSingleItem().BaseObject.ShouldBeOfType<string>();
        var second = fixture.Session.Invoke(Command).Output.ShouldHaveSingleItem().BaseObject.ShouldBeOfType<string>();
        second.ShouldBe(first);
        first.ShouldContain("kind: StatefulSet");
        first.ShouldContain("max_connections: '300'");
        first.ShouldContain("requiredDuringSchedulingIgnoredDuringExecution");
        first.ShouldNotContain("kind: Secret");
    }

    [Fact]
    public void OutputPath_writes_the_files_and_WhatIf_only_lists_them()
    {
        var whatIf = fixture.Session.Invoke("New-CitusCluster sales -EtcdEndpoint etcd:2379 -OutputPath $out -OneFilePerObject -WhatIf", Variables());
        whatIf.Errors.ShouldBeEmpty(whatIf.Describe());
        Directory.Exists(Path.Combine(folder, "out")).ShouldBeFalse("-WhatIf writes nothing");
        whatIf.HostText.ShouldContain("statefulset-sales-coordinator.yaml");

        var written = fixture.Session.Invoke("New-CitusCluster sales -EtcdEndpoint etcd:2379 -OutputPath $out -OneFilePerObject", Variables());
        written.Errors.ShouldBeEmpty(written.Describe());
        written.Output.Select(o => o.BaseObject).ShouldAllBe(o => o is FileInfo);
        Directory.GetFiles(Path.Combine(folder, "out")).Length.ShouldBe(written.Output.Count);

        var single = fixture.Session.Invoke("New-CitusCluster sales -EtcdEndpoint etcd:2379 -OutputPath $folder", Variables());
        single.Output.ShouldHaveSingleItem().BaseObject.ShouldBeOfType<FileInfo>().Name.ShouldBe("sales.yaml");
        File.ReadAllText(Path.Combine(folder, "sales.yaml")).ShouldBe(fixture.Session.Invoke("New-CitusCluster sales -EtcdEndpoint etcd:2379 -AsYaml").Output.Single().BaseObject.ToString());
    }

    [Theory]
    [InlineData("New-CitusCluster Sales -EtcdEndpoint etcd:2379 -OutputPath $folder", "-Name")]
    [InlineData("New-CitusCluster sales -WorkerGroups 0 -EtcdEndpoint etcd:2379 -OutputPath $folder", "-WorkerGroups")]
    [InlineData("New-CitusCluster sales -Profile Production -MembersPerGroup 2 -EtcdEndpoint etcd:2379 -OutputPath $folder", "-MembersPerGroup")]
    [InlineData("New-CitusCluster sales -DeployEtcd -EtcdEndpoint etcd:2379 -OutputPath $folder", "-DeployEtcd")]
    [InlineData("New-CitusCluster sales -OutputPath $folder", "-EtcdEndpoint")]
    [InlineData("New-CitusCluster sales -EtcdEndpoint etcd:2379 -TlsIssuer ca -TlsSecret sales-tls -OutputPath $folder", "-TlsIssuer")]
    public void Bad_input_is_a_terminating_error_naming_the_parameter_and_nothing_is_written(string command, string parameter)
    {
        var result = fixture.Session.Invoke($"try {{ {command} | Out-Null; $null }} catch {{ $_ }}", Variables());
        var error = result.Output.Where(o => o is not null).Select(o => o.BaseObject).OfType<ErrorRecord>().ShouldHaveSingleItem(result.Describe());
        error.Exception.Message.ShouldStartWith(parameter + ":");
        error.CategoryInfo.Category.ShouldBe(ErrorCategory.InvalidArgument);
        error.FullyQualifiedErrorId.ShouldStartWith("InvalidManifestParameter");
        Directory.GetFileSystemEntries(folder).ShouldBeEmpty("nothing is written when validation fails");
    }
}
