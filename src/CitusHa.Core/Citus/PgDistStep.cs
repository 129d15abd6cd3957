namespace CitusHa.Core.Citus;

/// <summary>One statement the coordinator runs against pg_dist_node.</summary>
public abstract record PgDistStep
{
    /// <summary>citus_add_node(host, port, group, role, 'default'): returns the new nodeid.</summary>
    public sealed record Add(string Host, int Port, int GroupId, PgDistRole Role) : PgDistStep
    {
        public override string ToString() => $"citus_add_node('{Host}', {Port}, {GroupId}, '{Role.ToString().ToLowerInvariant()}')";
    }

    /// <summary>citus_update_node(nodeid, name, port, force => true, lock_cooldown).</summary>
    public sealed record Update(int NodeId, string NodeName, int Port) : PgDistStep
    {
        public override string ToString() => $"citus_update_node({NodeId}, '{NodeName}', {Port})";
    }

    /// <summary>citus_remove_node(host, port).</summary>
    public sealed record Remove(string Host, int Port) : PgDistStep
    {
        public override string ToString() => $"citus_remove_node('{Host}', {Port})";
    }
}
