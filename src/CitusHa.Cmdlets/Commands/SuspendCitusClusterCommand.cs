using System.Management.Automation;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Puts groups in maintenance mode: no automatic failover or restart until Resume-CitusCluster.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Suspend, "CitusCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CitusMaintenanceResult))]
public sealed class SuspendCitusClusterCommand : MaintenanceCommand
{
    private protected override bool Pause => true;
}
