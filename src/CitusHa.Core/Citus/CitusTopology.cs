using CitusHa.Core.Ha;

namespace CitusHa.Core.Citus;

/// <summary>
/// What pg_dist_node should say about a group, from the group's keys in etcd (Patroni's add_task):
/// the leader's conn_url host and port as the primary, every other running member without
/// <c>noloadbalance</c> as a secondary. Host names come from conn_url, the stable name a member
/// publishes (on Kubernetes the pod's DNS name), never an address looked up here.
/// </summary>
public static class CitusTopology
{
    public static PgDistGroup? Desired(int groupId, DcsView group, string leaderName, string leaderConnUrl, CitusEventType type)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (Address(leaderConnUrl) is not { } primary)
        {
            return null;
        }

        var nodes = new List<PgDistNode> { new(primary.Host, primary.Port, type == CitusEventType.BeforeDemote ? PgDistRole.Demoted : PgDistRole.Primary) };
        foreach (var m in group.Members)
        {
            if (m.Name != leaderName && !m.NoLoadBalance && m.IsRunning && Address(m.ConnUrl) is { } a && !nodes.Exists(n => n.Host == a.Host && n.Port == a.Port))
            {
                nodes.Add(new PgDistNode(a.Host, a.Port, PgDistRole.Secondary));
            }
        }

        return new PgDistGroup(groupId, nodes);
    }

    /// <summary>
    /// The reconcile's view of a worker group: only a leader that runs as primary counts (Patroni's
    /// sync_meta_data); a group without one keeps its rows untouched.
    /// </summary>
    public static PgDistGroup? RunningPrimary(int groupId, DcsView group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Leader is not { } leader || group.Member(leader.Name) is not { ConnUrl: { } url } member
            || member.Role is not ("primary" or "master") || !member.IsRunning)
        {
            return null;
        }

        return Desired(groupId, group, leader.Name, url, CitusEventType.AfterPromote);
    }

    /// <summary>Host and port of a postgres:// URL (port 5432 when absent).</summary>
    public static (string Host, int Port)? Address(string? connUrl) =>
        connUrl is not null && Uri.TryCreate(connUrl, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? (uri.Host, uri.Port > 0 ? uri.Port : 5432)
            : null;
}
