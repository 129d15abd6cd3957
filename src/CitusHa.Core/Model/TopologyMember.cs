namespace CitusHa.Core.Model;

/// <summary>One member as <c>Get-CitusTopology</c> and <c>citusha list</c> show it.</summary>
public sealed record TopologyMember(
    string Scope,
    int? Group,
    string Name,
    string? Host,
    int? Port,
    MemberRole Role,
    string? State,
    int? Timeline,
    long? ReceiveLsn,
    long? ReplayLsn,
    long? LagBytes,
    bool PendingRestart,
    IReadOnlyDictionary<string, string> Tags,
    string? ApiUrl,
    string? ConnectionUrl,
    string? AgentVersion);
