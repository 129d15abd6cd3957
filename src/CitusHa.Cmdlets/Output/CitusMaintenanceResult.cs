namespace CitusHa;

/// <summary>A group's maintenance mode after Suspend-CitusCluster or Resume-CitusCluster.</summary>
public sealed class CitusMaintenanceResult
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    public bool Paused { get; init; }

    /// <summary>False when the group already was in the asked-for mode.</summary>
    public bool Changed { get; init; }

    public override string ToString() => $"{Name}/{Group}: {(Paused ? "paused" : "running")}";
}
