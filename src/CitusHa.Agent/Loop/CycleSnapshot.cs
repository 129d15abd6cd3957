using CitusHa.Core.Ha;
using CitusHa.Core.Postgres;

namespace CitusHa.Agent.Loop;

/// <summary>What the last HA cycle saw and decided: read by the REST API, written only by the loop.</summary>
internal sealed record CycleSnapshot(
    GroupView View,
    PostgresObservation Postgres,
    Decision Decision,
    DateTimeOffset At,
    string? MemberState)
{
    /// <summary>Parameters changed in the group's config that wait for a restart.</summary>
    public IReadOnlyList<string> PendingRestart { get; init; } = [];

    public RestartRequest? ScheduledRestart { get; init; }
}
