using CitusHa.Core.Configuration;

namespace CitusHa.Core.Operations;

/// <summary>
/// Everything an operator's action needs to reach a formation: etcd (endpoints, namespace, cluster, etcd
/// credentials), the members' REST API credentials (null when the API needs none) and the CA that
/// signs the members' REST API certificates (null: the system's trust), and the PostgreSQL user and
/// Citus database for SQL on the coordinator (null user: none given). <see cref="ToString"/> never
/// shows a password.
/// </summary>
public sealed record OperatorConnection(DcsSettings Dcs, DcsCredentials? Api = null, string? ApiCaFile = null, DcsCredentials? Postgres = null, string CitusDatabase = "citus")
{
    /// <summary>The cluster every action addresses; a clear error when none was given.</summary>
    public string Scope => Dcs.Scope ?? throw new Errors.CitusHaException(Errors.CitusErrorKind.InvalidArgument, Errors.ErrorIds.InvalidClusterName,
        "No cluster name was given. Pass -Name (the agent's or Patroni's scope), connect with Connect-CitusCluster -Name, or set CITUSHA_SCOPE.");

    public OperatorConnection WithScope(string? scope) => scope is null ? this : this with { Dcs = Dcs.WithScope(scope) };

    public override string ToString() =>
        $"{Dcs.Scope ?? "(every cluster)"} under {Dcs.Namespace} at {string.Join(",", Dcs.Endpoints)}";
}
