using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Renders the next worker groups of a formation exactly as New-CitusCluster renders its first ones, with the ConfigMap and Role that change with them; pipe the result to Publish-CitusCluster.</para>
/// </summary>
[Cmdlet(VerbsCommon.Add, "CitusWorker", DefaultParameterSetName = LiveSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType("k8s.Models.V1StatefulSet", "k8s.Models.V1Service", "k8s.Models.V1ConfigMap", "k8s.Models.V1Role")]
[OutputType(typeof(string))]
[OutputType(typeof(CitusManifestChange), typeof(CitusRebalanceJob), ParameterSetName = [LiveSet])]
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

    /// <summary>Apply the objects to the cluster (as Publish-CitusCluster) instead of writing them.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    public SwitchParameter Apply { get; set; }

    /// <summary>Apply, wait until the new groups are registered in pg_dist_node, then start Citus' rebalancer.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    public SwitchParameter Rebalance { get; set; }

    /// <summary>etcd, to find the coordinator for -Rebalance (else the session's default, CITUSHA_ETCD_HOSTS, or 127.0.0.1:2379).</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Endpoint { get; set; }

    /// <summary>The PostgreSQL user that runs Citus' functions on the coordinator, for -Rebalance.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [Credential]
    public PSCredential? PostgresCredential { get; set; }

    /// <summary>How long -Rebalance waits for the new groups to be registered.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 600;

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
        if (ParameterSetName == LiveSet && (Apply || Rebalance))
        {
            ApplyAndRebalance();
            return;
        }

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

    private void ApplyAndRebalance()
    {
        using var session = OpenKubernetes(Kubeconfig, Context);
        var request = RunCore(ct => session.ReadRequestAsync(Cluster, Namespace, ct));
        var added = RunCore(_ => Task.FromResult(ClusterManifests.AddWorkers(request, Count)));
        ApplyObjects(session, added, forceConflicts: false);
        if (!Rebalance || WhatIfRequested)
        {
            return;
        }

        var groups = ClusterManifests.AddedGroups(request, Count);
        var connection = RunCore(_ => Task.FromResult(ConnectionParameters.ResolveOperator(Endpoint, null, null, null, null, null, null, SessionState, PostgresCredential).WithScope(Cluster)));
        var started = RunCoreWithProgress(3, (progress, ct) => WorkerRegistration.RebalanceWhenRegisteredAsync(connection, groups, new RebalanceRequest(), TimeSpan.FromSeconds(TimeoutSec), progress, ct));
        if (started.Job is { } job)
        {
            WriteObject(OutputMapper.ToOutput(job));
        }
        else
        {
            WriteWarning($"'{Cluster}': the new groups are registered, but no rebalance was started. {(started.Notices.Count > 0 ? string.Join(" ", started.Notices) : "Citus found nothing to move")}.");
        }
    }

    private Core.Kubernetes.ClusterManifestRequest ReadLive()
    {
        using var session = OpenKubernetes(Kubeconfig, Context);
        return RunCore(ct => session.ReadRequestAsync(Cluster, Namespace, ct));
    }
}
