using System.Management.Automation;
using CitusHa.Completers;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// The connection parameters of every cmdlet that acts on a formation. Each is optional: what is not
/// given comes from -ConfigFile, then Connect-CitusCluster's default, then the environment.
/// </summary>
public abstract class CitusConnectedCmdlet : CitusCmdletBase
{
    /// <summary>The cluster name (Patroni's scope).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Scope", "Cluster")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? Name { get; set; }

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

    /// <summary>The members' REST API user and password (restapi.authentication), for actions.</summary>
    [Parameter]
    [Credential]
    public PSCredential? ApiCredential { get; set; }

    /// <summary>The PEM file of the CA that signs the members' REST API certificates (restapi.cafile), for HTTPS APIs.</summary>
    [Parameter]
    [Alias("ApiCaFile")]
    [ValidateNotNullOrEmpty]
    public string? ApiCertificateAuthority { get; set; }

    /// <summary>The PostgreSQL user for SQL on the coordinator, where a cmdlet takes one (-PostgresCredential).</summary>
    protected virtual PSCredential? SqlCredential => null;

    /// <summary>The Citus database, where a cmdlet takes one (-Database).</summary>
    protected virtual string? SqlDatabase => null;

    /// <summary>How confirmations and -WhatIf name a group: "demo group 1", or "demo" for a plain cluster.</summary>
    protected static string GroupTarget(string scope, int? group) => group is { } g ? $"{scope} group {g}" : scope;

    /// <summary>The connection for this item: the parameters over the session's default and the environment.</summary>
    protected OperatorConnection ResolveConnection()
    {
        var connection = RunCore(_ => Task.FromResult(ConnectionParameters.ResolveOperator(Endpoint, EtcdNamespace, Credential, ApiCredential, ApiCertificateAuthority, null, ConfigFile, SessionState, SqlCredential, SqlDatabase)));
        return RunCore(_ => Task.FromResult(connection.WithScope(Name)));
    }
}
