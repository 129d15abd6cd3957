using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Gets the latest shard rebalance job of a Citus formation (citus_rebalance_status), or the job with -JobId.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CitusRebalanceStatus")]
[OutputType(typeof(CitusRebalanceJob))]
public sealed class GetCitusRebalanceStatusCommand : CitusCoordinatorCmdlet
{
    /// <summary>The job to read; omitted, the latest rebalance job. Binds a piped job's JobId.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, long.MaxValue)]
    public long? JobId { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(ct => Rebalance.GetAsync(connection, JobId, ct), out var job))
        {
            return;
        }

        if (job is null)
        {
            WriteVerbose($"No rebalance has run on '{connection.Scope}'.");
            return;
        }

        WriteObject(OutputMapper.ToOutput(job));
    }
}
