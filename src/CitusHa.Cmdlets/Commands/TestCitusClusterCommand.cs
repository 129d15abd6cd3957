using System.Management.Automation;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Checks a formation: one leader per group, standbys streaming and within lag, synchronous standbys, pending restarts, and pg_dist_node against etcd.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CitusCluster")]
[OutputType(typeof(CitusHealthCheck), typeof(bool))]
public sealed class TestCitusClusterCommand : CitusGroupsCmdlet
{
    /// <summary>The largest acceptable standby lag in bytes; default each group's maximum_lag_on_failover.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long? MaximumLagBytes { get; set; }

    /// <summary>
    /// A PostgreSQL user that may read pg_dist_node on the coordinator (else the configuration file's
    /// superuser, the session's, or CITUSHA_POSTGRES_*/PATRONI_SUPERUSER_*); with none, that check is skipped.
    /// </summary>
    [Parameter]
    [Credential]
    public PSCredential? PostgresCredential { get; set; }

    /// <summary>The Citus database (default: the configuration file's citus.database, else citus).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Return only $true when no check failed, else $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override PSCredential? SqlCredential => PostgresCredential;

    protected override string? SqlDatabase => Database;

    protected override void ProcessRecord()
    {
        var connection = ResolveConnection();
        if (!TryRunCore(ct => Topology.GetAsync(connection.Dcs.WithScope(connection.Scope), new TopologyRequest(Group), ct), out var topology) || topology is null)
        {
            return;
        }

        var checks = topology.Clusters.SelectMany(c => c.Groups).SelectMany(g => HealthRules.Evaluate(g, MaximumLagBytes)).ToList();
        var citus = topology.Clusters.SelectMany(c => c.Groups).Count(g => g.Group is not null) > 1;
        if (citus)
        {
            checks.AddRange(RunCore(ct => CatalogCheck.RunAsync(connection, ct)).Where(c => Group is null || Group.Length == 0 || Group.Contains(c.Group ?? -1)));
        }

        foreach (var failed in checks.Where(c => c.Status == HealthStatus.Failed))
        {
            WriteVerbose($"{failed.Scope} group {failed.Group} {failed.Check}: {failed.Detail}");
        }

        if (Quiet)
        {
            WriteObject(checks.All(c => c.Status != HealthStatus.Failed));
            return;
        }

        foreach (var check in checks)
        {
            WriteObject(OutputMapper.ToOutput(check));
        }
    }
}
