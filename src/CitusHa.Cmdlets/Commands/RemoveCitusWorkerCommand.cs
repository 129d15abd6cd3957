using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Removes the last worker groups of a formation on Kubernetes: drains their shards (citus_drain_node), deletes their StatefulSets, Services and PodDisruptionBudgets, shrinks the ConfigMap and Role, and removes their nodes from pg_dist_node.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CitusWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CitusWorkerRemovalResult))]
public sealed class RemoveCitusWorkerCommand : CitusCoordinatorCmdlet
{
    /// <summary>How many of the highest-numbered worker groups to remove.</summary>
    [Parameter]
    public int Count { get; set; } = 1;

    /// <summary>The formation's Kubernetes namespace.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    [Parameter]
    [ValidateSet("Auto", "ForceLogical", "BlockWrites")]
    public string ShardTransferMode { get; set; } = "Auto";

    /// <summary>How long each step (a drain, the groups' shutdown) may take.</summary>
    [Parameter]
    [ValidateRange(1, 604800)]
    public int TimeoutSec { get; set; } = 3600;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        var connection = ResolveConnection();
        using var kubernetes = OpenKubernetes(Kubeconfig, Context);
        var plan = RunCore(ct => WorkerRemoval.PlanAsync(kubernetes, connection.Scope, Namespace, Count, ct));
        foreach (var line in plan.Deletes)
        {
            WriteVerbose($"would delete {line}");
        }

        var action = $"Drain the shards off worker group(s) {plan.GroupList}, delete {string.Join(", ", plan.Deletes.Where(d => d.StartsWith("StatefulSet", StringComparison.Ordinal)))} with their Services and PodDisruptionBudgets (volume claims are kept), and remove their nodes from pg_dist_node";
        if (!ConfirmDisruptive(Force, $"{plan.Cluster} in namespace {plan.Namespace}", action))
        {
            return;
        }

        var mode = Enum.Parse<Core.Operations.ShardTransferMode>(ShardTransferMode, ignoreCase: true);
        WriteObject(OutputMapper.ToOutput(RunCoreWithProgress(4, (progress, ct) => WorkerRemoval.RunAsync(connection, kubernetes, plan, mode, TimeSpan.FromSeconds(TimeoutSec), progress, ct))));
    }
}
