namespace CitusHa.Core.Citus;

/// <summary>
/// What a pg_dist_node row means to the agent. <see cref="Demoted"/> is a primary row renamed to
/// <c>host-demoted</c> (its real noderole stays primary): it pauses the coordinator's traffic to the
/// group while the group's primary changes. <see cref="Removed"/> only appears in transition steps.
/// </summary>
public enum PgDistRole
{
    Primary,
    Secondary,
    Demoted,
    Removed,
}

/// <summary>
/// One row of pg_dist_node. Identity is (host, port), as the table's unique constraint has it: a node
/// keeps its identity when its role changes.
/// </summary>
public sealed record PgDistNode(string Host, int Port, PgDistRole Role, int? NodeId = null)
{
    public const string DemotedSuffix = "-demoted";

    public bool IsPrimary => Role is PgDistRole.Primary or PgDistRole.Demoted;

    /// <summary>The nodename written for this row (demoted primaries carry the suffix).</summary>
    public string NodeName => Role == PgDistRole.Demoted ? Host + DemotedSuffix : Host;

    public bool SameAddress(PgDistNode other) => other is not null && Host == other.Host && Port == other.Port;

    /// <summary>A row read from the catalog: a <c>-demoted</c> primary is seen as demoted, with its real host.</summary>
    public static PgDistNode FromRow(string nodeName, int nodePort, string nodeRole, int nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        if (nodeRole == "primary" && nodeName.EndsWith(DemotedSuffix, StringComparison.Ordinal))
        {
            return new PgDistNode(nodeName[..^DemotedSuffix.Length], nodePort, PgDistRole.Demoted, nodeId);
        }

        return new PgDistNode(nodeName, nodePort, nodeRole == "primary" ? PgDistRole.Primary : PgDistRole.Secondary, nodeId);
    }

    public override string ToString() => $"{Host}:{Port} {Role.ToString().ToLowerInvariant()}{(NodeId is { } id ? $" #{id}" : string.Empty)}";
}
