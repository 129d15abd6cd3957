namespace CitusHa;

/// <summary>One setting Set-CitusConfiguration set, changed or removed (values as JSON text; null: absent).</summary>
public sealed class CitusConfigurationChange
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    /// <summary>Dotted path, e.g. ttl or postgresql.parameters.work_mem.</summary>
    public string Path { get; init; } = string.Empty;

    public string? OldValue { get; init; }

    public string? NewValue { get; init; }

    public override string ToString() => $"{Path}: {OldValue ?? "(absent)"} -> {NewValue ?? "(removed)"}";
}
