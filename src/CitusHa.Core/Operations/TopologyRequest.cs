using CitusHa.Core.Errors;

namespace CitusHa.Core.Operations;

/// <summary>What to read: optionally only some groups. The cluster comes from the connection's settings.</summary>
public sealed record TopologyRequest
{
    public TopologyRequest(IReadOnlyCollection<int>? groups = null)
    {
        if (groups?.FirstOrDefault(g => g < 0) is { } bad && bad < 0)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidGroup,
                $"Citus group {bad} does not exist: groups are 0 (the coordinator) and 1 and up (workers).", bad);
        }

        Groups = groups is { Count: > 0 } ? groups.Distinct().Order().ToList() : null;
    }

    /// <summary>The groups asked for; null means all.</summary>
    public IReadOnlyList<int>? Groups { get; }

    public bool Includes(int? group) => Groups is null || (group is { } g && Groups.Contains(g));
}
