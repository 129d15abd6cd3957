using System.Collections;

namespace CitusHa;

/// <summary>A group's dynamic configuration, as Get-CitusConfiguration writes it.</summary>
public sealed class CitusConfiguration
{
    public string Name { get; init; } = string.Empty;

    public int? Group { get; init; }

    public double? Ttl { get; init; }

    public double? LoopWait { get; init; }

    public double? RetryTimeout { get; init; }

    public long? MaximumLagOnFailover { get; init; }

    public string? SynchronousMode { get; init; }

    public bool Paused { get; init; }

    /// <summary>postgresql.parameters: name → value.</summary>
    public Hashtable PostgresParameters { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every setting as dotted path → JSON text (the form Set-CitusConfiguration -Setting takes).</summary>
    public Hashtable Settings { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The configuration as etcd holds it (JSON).</summary>
    public string Json { get; init; } = "{}";

    public override string ToString() => $"{Name}/{Group}";
}
