using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Shows each group's dynamic configuration (timers, synchronous mode, PostgreSQL parameters) as etcd holds it.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CitusConfiguration")]
[OutputType(typeof(CitusConfiguration))]
public sealed class GetCitusConfigurationCommand : CitusGroupsCmdlet
{
    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (TryRunCore(ct => Configuration.GetAsync(connection, Group, ct), out var groups) && groups is not null)
        {
            foreach (var group in groups)
            {
                WriteObject(OutputMapper.ToOutput(group));
            }
        }
    }
}
