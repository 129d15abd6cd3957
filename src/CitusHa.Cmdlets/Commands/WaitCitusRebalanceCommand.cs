using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Waits for a shard rebalance job to end, with progress, and returns it finished; a failed or cancelled job is an error.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "CitusRebalance")]
[OutputType(typeof(CitusRebalanceJob))]
public sealed class WaitCitusRebalanceCommand : CitusCoordinatorCmdlet
{
    /// <summary>The job to wait for; omitted, the latest rebalance job. Binds a piped job's JobId.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, long.MaxValue)]
    public long? JobId { get; set; }

    /// <summary>How long to wait, in seconds (default: until the job ends). The job goes on after a timeout.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? TimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        var timeout = TimeoutSec is { } t ? TimeSpan.FromSeconds(t) : Timeout.InfiniteTimeSpan;
        WriteObject(OutputMapper.ToOutput(RunCoreWithProgress(3, (progress, ct) => Rebalance.WaitAsync(connection, JobId, timeout, RebalancePolling.Interval, progress, ct))));
    }
}
