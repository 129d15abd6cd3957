using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Renders the next worker groups of a formation exactly as New-CitusCluster renders its first ones, with the ConfigMap and Role that change with them; pipe the result to Publish-CitusCluster.</para>
/// </summary>
[Cmdlet(VerbsCommon.Add, "CitusWorker", DefaultParameterSetName = LiveSet)]
[OutputType("k8s.Models.V1StatefulSet", "k8s.Models.V1Service", "k8s.Models.V1ConfigMap", "k8s.Models.V1Role")]
[OutputType(typeof(string))]
public sealed class AddCitusWorkerCommand : CitusCmdletBase
{
    private const string LiveSet = "Live";
    private const string PathSet = "Path";
    private const string ObjectsSet = "Objects";
    private readonly List<object> objects = [];

    /// <summary>The formation's name, read from the cluster (its ConfigMap records how it was rendered).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = LiveSet)]
    [ValidateNotNullOrEmpty]
    public string Cluster { get; set; } = string.Empty;

    [Parameter(ParameterSetName = LiveSet)]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    [Parameter(ParameterSetName = LiveSet)]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter(ParameterSetName = LiveSet)]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    /// <summary>The files New-CitusCluster -OutputPath wrote for the formation.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The formation's objects, as New-CitusCluster writes them.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    [ValidateNotNull]
    public object[] InputObject { get; set; } = [];

    [Parameter]
    public int Count { get; set; } = 1;

    [Parameter]
    public SwitchParameter AsYaml { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ObjectsSet)
        {
            objects.AddRange(InputObject.Select(o => o is PSObject wrapped ? wrapped.BaseObject : o));
        }
    }

    protected override void EndProcessing()
    {
        var request = ParameterSetName switch
        {
            PathSet => RunCore(_ => Task.FromResult(ClusterManifests.RequestFrom(ClusterPublishing.Load(GetUnresolvedProviderPathFromPSPath(Path)), Path))),
            ObjectsSet => RunCore(_ => Task.FromResult(ClusterManifests.RequestFrom(objects, "the piped objects"))),
            _ => ReadLive(),
        };
        if (AsYaml)
        {
            WriteObject(RunCore(_ => Task.FromResult(ClusterManifests.AddWorkersYaml(request, Count))));
            return;
        }

        foreach (var item in RunCore(_ => Task.FromResult(ClusterManifests.AddWorkers(request, Count))))
        {
            WriteObject(item);
        }
    }

    private Core.Kubernetes.ClusterManifestRequest ReadLive()
    {
        using var session = RunCore(_ => Task.FromResult(ClusterPublishing.Open(Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig), Context)));
        return RunCore(ct => session.ReadRequestAsync(Cluster, Namespace, ct));
    }
}
