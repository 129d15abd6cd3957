using System.Collections;

namespace CitusHa;

/// <summary>
/// One member of a formation, as <c>Get-CitusTopology</c> writes it. <see cref="Name"/>,
/// <see cref="Group"/> and <see cref="Member"/> bind by property name to other CitusHa cmdlets.
/// </summary>
public sealed class CitusMember
{
    /// <summary>The cluster (Patroni's scope).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Citus group: 0 is the coordinator, 1..N workers; null for a plain Patroni cluster.</summary>
    public int? Group { get; init; }

    public string Member { get; init; } = string.Empty;

    public string? Host { get; init; }

    public int? Port { get; init; }

    public CitusMemberRole Role { get; init; }

    public string? State { get; init; }

    public int? Timeline { get; init; }

    /// <summary>Bytes behind the leader's last published position; null for the leader or when unknown.</summary>
    public long? LagBytes { get; init; }

    /// <summary>The lag in whole MiB, as patronictl prints it.</summary>
    public long? LagMB => LagBytes is null ? null : (long)Math.Round(LagBytes.Value / 1048576.0, MidpointRounding.AwayFromZero);

    public string? ReceiveLsn { get; init; }

    public string? ReplayLsn { get; init; }

    public bool PendingRestart { get; init; }

    public bool IsLeader => Role is CitusMemberRole.Leader or CitusMemberRole.StandbyLeader;

    public Hashtable Tags { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public string? ApiUrl { get; init; }

    public string? ConnectionUrl { get; init; }

    public string? AgentVersion { get; init; }

    public override string ToString() => $"{Name}/{Group}/{Member}";
}
