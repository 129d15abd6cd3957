using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Applies a rendered formation to Kubernetes with server-side apply (field manager CitusHa), creating missing Secrets without ever overwriting one, and optionally waits until every group has a leader.</para>
/// </summary>
[Cmdlet(VerbsData.Publish, "CitusCluster", DefaultParameterSetName = ObjectsSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CitusManifestChange))]
public sealed class PublishCitusClusterCommand : CitusCmdletBase
{
    private const string ObjectsSet = "Objects";
    private const string PathSet = "Path";
    private readonly List<object> objects = [];

    /// <summary>Objects from New-CitusCluster or Add-CitusWorker (KubernetesClient models).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    [ValidateNotNull]
    public object[] InputObject { get; set; } = [];

    /// <summary>A YAML file, or a folder of them, written by New-CitusCluster -OutputPath.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    /// <summary>Take over fields another field manager owns (kubectl's --force-conflicts).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 600;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PathSet)
        {
            foreach (var path in Path)
            {
                objects.AddRange(RunCore(_ => Task.FromResult(ClusterPublishing.Load(GetUnresolvedProviderPathFromPSPath(path)))));
            }

            return;
        }

        objects.AddRange(InputObject.Select(o => o is PSObject wrapped ? wrapped.BaseObject : o));
    }

    protected override void EndProcessing()
    {
        using var session = OpenKubernetes(Kubeconfig, Context);
        var (applied, total) = ApplyObjects(session, objects, Force);
        if (Wait && !WhatIfRequested)
        {
            var waited = RunCoreWithProgress(2, (progress, ct) => session.WaitForLeadersAsync(objects, TimeSpan.FromSeconds(TimeoutSec), progress, ct));
            if (!waited)
            {
                WriteWarning("-Wait: the objects hold no StatefulSet of a formation, so there is no leader to wait for.");
            }
        }

        WriteVerbose($"{applied} of {total} objects applied");
    }
}
