namespace CitusHa.Core.Operations;

/// <summary>What to read: optionally only some groups. The cluster comes from the connection's settings.</summary>
public sealed record TopologyRequest(IReadOnlyCollection<int>? Groups = null)
{
    public bool Includes(int? group) => Groups is null || Groups.Count == 0 || (group is { } g && Groups.Contains(g));
}
