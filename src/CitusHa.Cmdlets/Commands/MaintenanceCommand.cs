using System.Management.Automation;
using CitusHa.Completers;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>Suspend-CitusCluster and Resume-CitusCluster: the same walk over groups, one mode each.</summary>
public abstract class MaintenanceCommand : CitusGroupsCmdlet
{
    /// <summary>How long to wait for etcd to show the new mode, in seconds (default 30).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>True to pause (maintenance mode on), false to resume.</summary>
    private protected abstract bool Pause { get; }

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(ct => Maintenance.GroupsAsync(connection, Group, ct), out var groups) || groups is null)
        {
            return;
        }

        var action = Pause ? "Suspend automatic failover" : "Resume automatic failover";
        foreach (var group in groups)
        {
            var target = GroupTarget(connection.Scope, group);
            if (ShouldProcess(target, action)
                && TryRunCore(ct => Maintenance.SetAsync(connection, group, Pause, TimeSpan.FromSeconds(TimeoutSec), ct), out var result)
                && result is not null)
            {
                WriteObject(OutputMapper.ToOutput(result));
            }
        }
    }
}
