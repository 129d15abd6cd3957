using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Lists the members of a CitusHa (or Patroni) formation from etcd.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CitusTopology")]
[OutputType(typeof(CitusMember))]
public sealed class GetCitusTopologyCommand : CitusCmdletBase
{
    /// <summary>The cluster name (Patroni's scope). Omitted: every cluster in the etcd namespace.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Scope", "Cluster")]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Only these Citus groups (0 is the coordinator).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, int.MaxValue)]
    public int[]? Group { get; set; }

    /// <summary>etcd endpoints, host:port or http(s)://host:port.</summary>
    [Parameter]
    [Alias("EtcdHost")]
    [ValidateNotNullOrEmpty]
    public string[]? Endpoint { get; set; }

    /// <summary>The etcd key namespace (Patroni's namespace), default /service.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EtcdNamespace { get; set; }

    /// <summary>An agent or Patroni YAML configuration file to take the connection from.</summary>
    [Parameter]
    [Alias("ConfigPath")]
    [ValidateNotNullOrEmpty]
    public string? ConfigFile { get; set; }

    /// <summary>etcd user name and password, when etcd has authentication enabled.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long one etcd request may take, in seconds (default 10).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        var settings = Validate(() => ConnectionParameters.Resolve(
            Endpoint, EtcdNamespace, Name, Credential,
            MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSec)) ? TimeoutSec : null,
            ConfigFile, SessionState));
        var request = new TopologyRequest(Group);
        WriteVerbose($"Reading the topology of {(settings.Scope is null ? "every cluster" : $"'{settings.Scope}'")} under {settings.Namespace} from etcd at {string.Join(",", settings.Endpoints)}.");

        var store = DcsConnection.Open(settings);
        try
        {
            // A missing cluster is this item's problem only: the next name in the pipeline still runs.
            if (!TryRunCore(ct => Topology.GetAsync(store, settings, request, ct), out var clusters) || clusters is null)
            {
                return;
            }

            foreach (var member in clusters.SelectMany(c => c.Members))
            {
                WriteObject(OutputMapper.ToOutput(member));
            }
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
