namespace CitusHa;

/// <summary>One check of one group, as Test-CitusCluster writes it.</summary>
public sealed class CitusHealthCheck
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    /// <summary>Leader, Replication, Lag, Synchronous, PendingRestart or PgDistNode.</summary>
    public string Check { get; init; } = string.Empty;

    /// <summary>Passed, Failed or Skipped.</summary>
    public string Status { get; init; } = string.Empty;

    public bool Passed => Status == "Passed";

    /// <summary>What was found, naming the members involved.</summary>
    public string Detail { get; init; } = string.Empty;

    public override string ToString() => $"{Name}/{Group} {Check}: {Status}";
}
