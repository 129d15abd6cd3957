using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>One line per group for Get-CitusCluster: who leads, how many members are healthy, and the group's modes.</summary>
public sealed record GroupSummary(
    string Scope,
    int? Group,
    string? Leader,
    int Members,
    int StreamingStandbys,
    string SynchronousMode,
    bool Paused,
    int? Timeline,
    long? MaxLagBytes,
    IReadOnlyList<string> PendingRestart,
    DateTimeOffset? ScheduledSwitchover,
    string? ScheduledCandidate)
{
    /// <summary>Pure: the summary of one group as etcd shows it.</summary>
    public static GroupSummary Of(GroupTopology group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var standbys = group.Members.Where(m => m.Name != group.Leader).ToList();
        return new GroupSummary(
            group.Scope,
            group.Group,
            group.Leader,
            group.Members.Count,
            standbys.Count(m => m.State == "streaming"),
            group.SynchronousMode,
            group.Paused,
            group.Timeline,
            standbys.Max(m => m.LagBytes),
            group.Members.Where(m => m.PendingRestart).Select(m => m.Name).ToList(),
            group.ScheduledSwitchover,
            group.ScheduledCandidate);
    }
}
