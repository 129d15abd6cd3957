using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Starts Citus' background shard rebalancer on the coordinator's primary (citus_rebalance_start), optionally waiting for it with progress.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CitusRebalance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CitusRebalanceJob))]
public sealed class StartCitusRebalanceCommand : CitusCoordinatorCmdlet
{
    /// <summary>The rebalance strategy (pg_dist_rebalance_strategy.name); omitted, Citus' default strategy.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Strategy { get; set; }

    /// <summary>Only move shards off nodes marked shouldhaveshards = false.</summary>
    [Parameter]
    public SwitchParameter DrainOnly { get; set; }

    /// <summary>How shards move: Auto (logical replication, Citus' default), ForceLogical, or BlockWrites.</summary>
    [Parameter]
    [ValidateSet("Auto", "ForceLogical", "BlockWrites")]
    public string ShardTransferMode { get; set; } = "Auto";

    /// <summary>Copy reference tables in parallel with the shard moves.</summary>
    [Parameter]
    public SwitchParameter ParallelTransferReferenceTables { get; set; }

    /// <summary>Move colocated shards in parallel.</summary>
    [Parameter]
    public SwitchParameter ParallelTransferColocatedShards { get; set; }

    /// <summary>Wait for the job to end, with progress, and return it finished (as Wait-CitusRebalance does).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>With -Wait: how long to wait, in seconds (default: until it ends). The job goes on after a timeout.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? TimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        var request = new RebalanceRequest(Strategy, DrainOnly, Enum.Parse<Core.Operations.ShardTransferMode>(ShardTransferMode, ignoreCase: true),
            ParallelTransferReferenceTables, ParallelTransferColocatedShards);
        var what = $"Start a shard rebalance ({ShardTransferMode}{(Strategy is null ? string.Empty : $", strategy {Strategy}")}{(DrainOnly ? ", drain only" : string.Empty)})";
        if (!ShouldProcess(connection.Scope, what))
        {
            return;
        }

        var started = RunCore(ct => Rebalance.StartAsync(connection, request, ct));
        if (started.Job is not { } job)
        {
            WriteWarning($"'{connection.Scope}': no rebalance was started. {(started.Notices.Count > 0 ? string.Join(" ", started.Notices) : "Citus found nothing to move")}.");
            return;
        }

        WriteVerbose($"Started rebalance job {job.JobId} on {job.Coordinator}: {job.Describe()}");
        if (!Wait)
        {
            WriteObject(OutputMapper.ToOutput(job));
            return;
        }

        var timeout = TimeoutSec is { } t ? TimeSpan.FromSeconds(t) : Timeout.InfiniteTimeSpan;
        WriteObject(OutputMapper.ToOutput(RunCoreWithProgress(3, (progress, ct) => Rebalance.WaitAsync(connection, job.JobId, timeout, RebalancePolling.Interval, progress, ct))));
    }
}
