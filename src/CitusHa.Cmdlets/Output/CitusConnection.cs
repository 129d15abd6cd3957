namespace CitusHa;

/// <summary>
/// The session's default connection, as Connect-CitusCluster writes it. Holds no password: only who
/// connects (user names) and where.
/// </summary>
public sealed class CitusConnection
{
    public string? Name { get; init; }

    public string[] Endpoint { get; init; } = [];

    public string EtcdNamespace { get; init; } = "/service";

    public string? EtcdUser { get; init; }

    public string? ApiUser { get; init; }

    /// <summary>The CA file that the members' REST API certificates must chain to, if any.</summary>
    public string? ApiCertificateAuthority { get; init; }

    public int TimeoutSec { get; init; }

    /// <summary>How many Citus groups the cluster had when connecting (0 when no cluster was named).</summary>
    public int Groups { get; init; }

    public override string ToString() => $"{Name ?? "(every cluster)"} at {string.Join(",", Endpoint)}{EtcdNamespace}";
}
