using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Cancels a running shard rebalance job (citus_job_cancel): moves already done stay, the running move stops.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CitusRebalance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CitusRebalanceJob))]
public sealed class StopCitusRebalanceCommand : CitusCoordinatorCmdlet
{
    /// <summary>The job to cancel; omitted, the latest rebalance job. Binds a piped job's JobId.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, long.MaxValue)]
    public long? JobId { get; set; }

    /// <summary>Go ahead without asking for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!ConfirmDisruptive(Force, connection.Scope, JobId is { } id ? $"Cancel rebalance job {id}" : "Cancel the running rebalance"))
        {
            return;
        }

        if (TryRunCore(ct => Rebalance.CancelAsync(connection, JobId, ct), out var job) && job is not null)
        {
            WriteObject(OutputMapper.ToOutput(job));
        }
    }
}
