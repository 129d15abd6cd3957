using System.Management.Automation;
using CitusHa.Core.Errors;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Summarises each group of a formation: leader, members, streaming standbys, modes, timeline, lag, pending restarts.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CitusCluster")]
[OutputType(typeof(CitusGroupStatus))]
public sealed class GetCitusClusterCommand : CitusGroupsCmdlet
{
    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(_ => Task.FromResult(new TopologyRequest(Group)), out var request) || request is null)
        {
            return;
        }

        if (!TryRunCore(ct => Topology.GetAsync(connection.Dcs, request, ct), out var result) || result is null)
        {
            return;
        }

        foreach (var group in result.Clusters.SelectMany(c => c.Groups))
        {
            WriteObject(OutputMapper.ToOutput(GroupSummary.Of(group)));
        }

        foreach (var missing in result.MissingGroups)
        {
            WriteError(ErrorRecords.MissingGroup(missing, connection.Dcs));
        }
    }
}
