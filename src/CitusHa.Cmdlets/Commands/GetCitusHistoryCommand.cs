using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Lists the timeline switches (failovers and switchovers) of each group, oldest first.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CitusHistory")]
[OutputType(typeof(CitusTimelineSwitch))]
public sealed class GetCitusHistoryCommand : CitusGroupsCmdlet
{
    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(ct => Topology.GetAsync(connection.Dcs.WithScope(connection.Scope), new TopologyRequest(Group), ct), out var result) || result is null)
        {
            return;
        }

        foreach (var group in result.Clusters.SelectMany(c => c.Groups))
        {
            foreach (var line in group.History)
            {
                WriteObject(OutputMapper.ToOutput(group, line));
            }
        }
    }
}
