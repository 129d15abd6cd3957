using System.Globalization;
using System.Text.Json;
using CitusHa.Core.Dcs;

namespace CitusHa.Core.Model;

/// <summary>
/// Turns the raw keys of one range read into <see cref="ClusterTopology"/> objects. Pure: no I/O.
/// The role, state and lag rules are patronictl's (<c>ctl.py:output_members</c>), so both tools agree.
/// </summary>
public static class TopologyBuilder
{
    public static IReadOnlyList<ClusterTopology> Build(string @namespace, IEnumerable<DcsKeyValue> items)
    {
        var groups = new Dictionary<(string Scope, int? Group), Dictionary<string, string>>();
        foreach (var item in items)
        {
            if (!DcsPaths.TryParse(@namespace, item.Key, out var path))
            {
                continue;
            }

            var keyOfGroup = (path.Scope, path.Group);
            if (!groups.TryGetValue(keyOfGroup, out var keys))
            {
                keys = new Dictionary<string, string>(StringComparer.Ordinal);
                groups[keyOfGroup] = keys;
            }

            keys[path.Key] = item.Value;
        }

        return groups
            .Where(g => !IsPlainClusterShadowedByGroups(g.Key, groups.Keys))
            .GroupBy(g => g.Key.Scope, StringComparer.Ordinal)
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new ClusterTopology(
                s.Key,
                s.OrderBy(g => g.Key.Group ?? -1).Select(g => BuildGroup(g.Key.Scope, g.Key.Group, g.Value)).ToList()))
            .ToList();
    }

    /// <summary>
    /// A Citus formation has only numbered group directories; stray keys directly under its scope
    /// (left by tools that ignore groups) must not show up as a phantom plain cluster.
    /// </summary>
    private static bool IsPlainClusterShadowedByGroups((string Scope, int? Group) key, IEnumerable<(string Scope, int? Group)> all) =>
        key.Group is null && all.Any(k => k.Group is not null && string.Equals(k.Scope, key.Scope, StringComparison.Ordinal));

    private static GroupTopology BuildGroup(string scope, int? group, Dictionary<string, string> keys)
    {
        keys.TryGetValue(DcsPaths.Leader, out var leaderValue);
        var leader = string.IsNullOrWhiteSpace(leaderValue) ? null : leaderValue.Trim();
        var config = ParseObject(keys.GetValueOrDefault(DcsPaths.Config));
        var paused = config is { } c && c.TryGetProperty("pause", out var p) && p.ValueKind == JsonValueKind.True;
        var syncMode = SynchronousMode(config);
        var syncNames = SyncStandbys(keys.GetValueOrDefault(DcsPaths.Sync));
        var clusterLsn = ClusterLsn(keys);
        keys.TryGetValue(DcsPaths.Initialize, out var sysid);

        var members = keys
            .Where(k => k.Key.StartsWith(DcsPaths.Members + "/", StringComparison.Ordinal) && k.Key.Length > DcsPaths.Members.Length + 1)
            .Select(k => BuildMember(scope, group, k.Key[(DcsPaths.Members.Length + 1)..], MemberRecord.Parse(k.Value), leader, syncMode, syncNames, clusterLsn))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();

        var scheduled = Ha.Dcs.GroupKeys.ParseFailover(keys.GetValueOrDefault(DcsPaths.Failover) ?? string.Empty, 0);
        return new GroupTopology(scope, group, leader, string.IsNullOrEmpty(sysid) ? null : sysid, paused, syncMode, clusterLsn, members)
        {
            MaximumLagOnFailover = config is { } cfg && cfg.TryGetProperty("maximum_lag_on_failover", out var lag)
                && lag.ValueKind == JsonValueKind.Number && lag.TryGetInt64(out var bytes) && bytes >= 0
                ? bytes
                : GroupTopology.DefaultMaximumLagOnFailover,
            ScheduledSwitchover = scheduled?.ScheduledAt,
            ScheduledCandidate = scheduled?.ScheduledAt is null ? null : scheduled.Candidate,
            History = TimelineSwitch.ParseHistory(keys.GetValueOrDefault(DcsPaths.History)),
        };
    }

    private static TopologyMember BuildMember(string scope, int? group, string name, MemberRecord record, string? leader,
        string syncMode, HashSet<string> syncNames, long? clusterLsn)
    {
        var isLeader = string.Equals(name, leader, StringComparison.Ordinal);
        var role = isLeader
            ? (record.Role == "standby_leader" ? MemberRole.StandbyLeader : MemberRole.Leader)
            : syncMode switch
            {
                "on" when syncNames.Contains(name) => MemberRole.SyncStandby,
                "quorum" when syncNames.Contains(name) => MemberRole.QuorumStandby,
                _ => MemberRole.Replica,
            };
        var state = isLeader ? record.State : record.ReplicationState ?? record.State;
        var position = record.XlogLocation ?? MaxOf(record.ReceiveLsn, record.ReplayLsn);
        long? lag = isLeader || position is null || clusterLsn is null ? null : Math.Max(0, clusterLsn.Value - position.Value);
        var (host, port) = HostAndPort(record.ConnUrl);
        return new TopologyMember(scope, group, name, host, port, role, state, record.Timeline,
            record.ReceiveLsn, record.ReplayLsn, lag, record.PendingRestart, record.Tags, record.ApiUrl, record.ConnUrl, record.Version);
    }

    private static long? MaxOf(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static (string? Host, int? Port) HostAndPort(string? connUrl)
    {
        if (connUrl is null || !Uri.TryCreate(connUrl, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return (null, null);
        }

        return (uri.Host.Trim('[', ']'), uri.Port > 0 ? uri.Port : 5432);
    }

    private static string SynchronousMode(JsonElement? config) =>
        config is { } c && c.TryGetProperty("synchronous_mode", out var mode) ? PatroniValues.SynchronousMode(mode) ?? "off" : "off";

    private static HashSet<string> SyncStandbys(string? syncValue) =>
        new(ParseObject(syncValue) is { } sync ? PatroniValues.SyncStandbyNames(sync) : [], StringComparer.OrdinalIgnoreCase);

    private static long? ClusterLsn(Dictionary<string, string> keys) =>
        PatroniValues.ClusterLsn(keys.GetValueOrDefault(DcsPaths.Status), keys.GetValueOrDefault(DcsPaths.LegacyOptime));

    private static JsonElement? ParseObject(string? json) => JsonObjects.Parse(json);
}
