using System.Management.Automation;
using CitusHa.Session;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Forgets the session's default connection; later commands fall back to their parameters and the environment.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "CitusCluster")]
[OutputType(typeof(void))]
public sealed class DisconnectCitusClusterCommand : CitusCmdletBase
{
    protected override void ProcessRecord() =>
        WriteVerbose(SessionConnection.Clear() ? "The default connection was removed." : "There was no default connection.");
}
