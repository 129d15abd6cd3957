namespace CitusHa.Core.Model;

/// <summary>A whole formation (one Patroni scope): its groups ordered by group id.</summary>
public sealed record ClusterTopology(string Scope, IReadOnlyList<GroupTopology> Groups)
{
    public IEnumerable<TopologyMember> Members => Groups.SelectMany(g => g.Members);
}
