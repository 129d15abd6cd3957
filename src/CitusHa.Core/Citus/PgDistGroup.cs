namespace CitusHa.Core.Citus;

/// <summary>
/// The rows of one Citus group in pg_dist_node: at most one primary (or demoted primary) and any
/// number of secondaries. <see cref="Failover"/> says the primary row changed in a transaction not yet
/// committed: until it is, Citus refuses to add or remove nodes (a 2PC that needs synced metadata).
/// </summary>
public sealed record PgDistGroup(int GroupId, IReadOnlyList<PgDistNode> Nodes, bool Failover = false)
{
    public static PgDistGroup Empty(int groupId) => new(groupId, []);

    public PgDistNode? Primary => Nodes.FirstOrDefault(n => n.IsPrimary);

    public PgDistNode? Find(PgDistNode address) => Nodes.FirstOrDefault(n => n.SameAddress(address));

    /// <summary>Same rows (host, port, role), node ids not compared: "is there anything to do".</summary>
    public bool SameRows(PgDistGroup? other) =>
        other is not null && other.GroupId == GroupId && Key(this).SetEquals(Key(other));

    private static HashSet<(string, int, PgDistRole)> Key(PgDistGroup group) => group.Nodes.Select(n => (n.Host, n.Port, n.Role)).ToHashSet();

    public override string ToString() => $"group {GroupId}: [{string.Join(", ", Nodes)}]{(Failover ? " (primary changing)" : string.Empty)}";
}
