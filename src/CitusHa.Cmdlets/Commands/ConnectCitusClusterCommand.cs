using System.Management.Automation;
using CitusHa.Core.Operations;
using CitusHa.Session;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Sets the session's default connection to a formation, after checking that etcd answers.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "CitusCluster")]
[OutputType(typeof(CitusConnection))]
public sealed class ConnectCitusClusterCommand : CitusCoordinatorCmdlet
{
    /// <summary>How long one etcd request may take, in seconds (default 10).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        var connection = RunCore(_ => Task.FromResult(ConnectionParameters.ResolveOperator(Endpoint, EtcdNamespace, Credential, ApiCredential, ApiCertificateAuthority,
            MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSec)) ? TimeoutSec : null, ConfigFile, SessionState, PostgresCredential, Database).WithScope(Name)));
        WriteVerbose($"Checking etcd at {string.Join(",", connection.Dcs.Endpoints)} for {(connection.Dcs.Scope is null ? "any cluster" : $"'{connection.Dcs.Scope}'")}.");
        // One read proves the endpoint, the credentials and (when named) the cluster before they become the default.
        var topology = RunCore(ct => Topology.GetAsync(connection.Dcs, new TopologyRequest(), ct));
        SessionConnection.Set(connection);
        WriteObject(OutputMapper.ToOutput(connection, connection.Dcs.Scope is null ? 0 : topology.Clusters.Sum(c => c.Groups.Count)));
    }
}
