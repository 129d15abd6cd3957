using System.Globalization;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>The outcome of one check.</summary>
public enum HealthStatus
{
    Passed,
    Failed,

    /// <summary>The check could not run (for example pg_dist_node without PostgreSQL credentials).</summary>
    Skipped,
}

/// <summary>One check of one group: what was checked, how it came out, and why (names the members involved).</summary>
public sealed record HealthCheck(string Scope, int? Group, string Check, HealthStatus Status, string Detail);

/// <summary>
/// The checks Test-CitusCluster runs on what etcd shows, pure: one leader per group that runs as primary,
/// every standby streaming, lag within maximum_lag_on_failover (or a limit given), synchronous standbys
/// named in synchronous modes, no PostgreSQL waiting for a restart.
/// </summary>
public static class HealthRules
{
    public const string Leader = nameof(Leader);
    public const string Replication = nameof(Replication);
    public const string Lag = nameof(Lag);
    public const string Synchronous = nameof(Synchronous);
    public const string PendingRestart = nameof(PendingRestart);
    public const string PgDistNode = nameof(PgDistNode);

    public static IReadOnlyList<HealthCheck> Evaluate(GroupTopology group, long? maximumLagBytes = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        var checks = new List<HealthCheck>();
        void Add(string check, bool passed, string detail) =>
            checks.Add(new HealthCheck(group.Scope, group.Group, check, passed ? HealthStatus.Passed : HealthStatus.Failed, detail));

        var leader = group.LeaderMember;
        Add(Leader, leader is { State: "running" } && leader.Role is MemberRole.Leader or MemberRole.StandbyLeader,
            leader is null ? (group.Leader is null ? "no member holds the leader key" : $"the leader key names {group.Leader}, which has no member record")
            : leader.State == "running" ? $"{leader.Name} leads on timeline {leader.Timeline}" : $"{leader.Name} holds the leader key but its PostgreSQL is {leader.State}");

        var standbys = group.Members.Where(m => m.Name != group.Leader).ToList();
        var notStreaming = standbys.Where(m => m.State != "streaming").ToList();
        Add(Replication, notStreaming.Count == 0, standbys.Count == 0
            ? "the group has no standby"
            : notStreaming.Count == 0 ? $"{standbys.Count} standby(s) streaming" : string.Join("; ", notStreaming.Select(m => $"{m.Name} is {m.State ?? "in an unknown state"}")));

        var limit = maximumLagBytes ?? group.MaximumLagOnFailover;
        var lagging = standbys.Where(m => m.LagBytes is { } lag && lag > limit).ToList();
        Add(Lag, lagging.Count == 0, lagging.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"every standby within {limit} bytes (largest: {standbys.Max(m => m.LagBytes) ?? 0})")
            : string.Join("; ", lagging.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name} is {m.LagBytes} bytes behind (limit {limit})"))));

        if (group.SynchronousMode is "on" or "quorum")
        {
            var synchronous = standbys.Where(m => m.Role is MemberRole.SyncStandby or MemberRole.QuorumStandby).Select(m => m.Name).ToList();
            Add(Synchronous, synchronous.Count > 0 || standbys.Count == 0, synchronous.Count > 0
                ? $"synchronous_mode {group.SynchronousMode}: {string.Join(", ", synchronous)}"
                : standbys.Count == 0 ? $"synchronous_mode {group.SynchronousMode} with no standby: commits wait for none" : $"synchronous_mode {group.SynchronousMode} but no standby is synchronous");
        }

        var pending = group.Members.Where(m => m.PendingRestart).Select(m => m.Name).ToList();
        Add(PendingRestart, pending.Count == 0, pending.Count == 0 ? "no member waits for a restart" : $"waiting for a restart to apply settings: {string.Join(", ", pending)} (Restart-CitusMember -Pending)");
        return checks;
    }
}
