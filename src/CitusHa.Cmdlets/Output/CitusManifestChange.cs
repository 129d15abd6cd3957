namespace CitusHa;

/// <summary>What Publish-CitusCluster did to one Kubernetes object (Create, Update, Unchanged, or Keep for an existing Secret).</summary>
public sealed class CitusManifestChange
{
    public string Kind { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Action { get; init; } = string.Empty;

    /// <summary>For an update, the paths the apply changed (spec.replicas, metadata.labels...).</summary>
    public IReadOnlyList<string> Fields { get; init; } = [];

    public override string ToString() => $"{Kind} {Namespace}/{Name}: {Action}";
}
