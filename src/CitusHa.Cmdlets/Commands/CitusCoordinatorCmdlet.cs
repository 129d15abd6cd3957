using System.Management.Automation;

namespace CitusHa.Commands;

/// <summary>
/// The cmdlets that run SQL on the coordinator's primary (which etcd names): the PostgreSQL user and
/// the Citus database. Not given, they come from -ConfigFile (postgresql.authentication.superuser,
/// citus.database), Connect-CitusCluster's default, CITUSHA_POSTGRES_USERNAME/PASSWORD or
/// PATRONI_SUPERUSER_USERNAME/PASSWORD; the database defaults to citus.
/// </summary>
public abstract class CitusCoordinatorCmdlet : CitusConnectedCmdlet
{
    /// <summary>A PostgreSQL user that may run Citus' functions on the coordinator (the superuser).</summary>
    [Parameter]
    [Credential]
    public PSCredential? PostgresCredential { get; set; }

    /// <summary>The Citus database (default: the configuration file's citus.database, else citus).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    protected override PSCredential? SqlCredential => PostgresCredential;

    protected override string? SqlDatabase => Database;
}
