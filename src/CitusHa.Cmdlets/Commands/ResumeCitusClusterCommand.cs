using System.Management.Automation;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Takes groups out of maintenance mode: automatic failover is on again.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "CitusCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CitusMaintenanceResult))]
public sealed class ResumeCitusClusterCommand : MaintenanceCommand
{
    private protected override bool Pause => false;
}
