using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>
/// Restart and reinitialise, done the way patronictl does them: find the members in etcd, then ask
/// their REST API. (Switchover, failover and maintenance mode are typed operations of their own:
/// <see cref="Switchover"/>, <see cref="Maintenance"/>.)
/// </summary>
public static class GroupControl
{
    /// <summary>Restarts PostgreSQL on the named members (all of the group when none are named), one after another, replicas first.</summary>
    public static async Task<string> RestartAsync(DcsSettings settings, int group, IReadOnlyCollection<string> names, DcsCredentials? api, CancellationToken cancellationToken)
    {
        var members = await MembersAsync(settings, group, cancellationToken).ConfigureAwait(false);
        var unknown = names.Where(n => members.All(m => m.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.MemberNotFound, $"Not members of group {group}: {string.Join(", ", unknown)}.", unknown[0]);
        }

        var lines = new List<string>();
        foreach (var member in members.Where(m => names.Count == 0 || names.Contains(m.Name)).OrderBy(m => m.Role == MemberRole.Leader ? 1 : 0))
        {
            await SendAsync(HttpMethod.Post, member.ApiUrl, "restart", [], api, cancellationToken).ConfigureAwait(false);
            lines.Add($"Success: restart on member {member.Name}");
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Rebuilds a replica from the leader (base backup).</summary>
    public static async Task<string> ReinitializeAsync(DcsSettings settings, int group, string member, DcsCredentials? api, CancellationToken cancellationToken)
    {
        var members = await MembersAsync(settings, group, cancellationToken).ConfigureAwait(false);
        var target = members.FirstOrDefault(m => m.Name == member)
            ?? throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.MemberNotFound, $"Member '{member}' is not in group {group} of '{settings.Scope}'.", member);
        var answer = await SendAsync(HttpMethod.Post, target.ApiUrl, "reinitialize", [], api, cancellationToken).ConfigureAwait(false);
        return $"Success: {answer} on member {member}";
    }

    private static async Task<IReadOnlyList<TopologyMember>> MembersAsync(DcsSettings settings, int group, CancellationToken cancellationToken)
    {
        var topology = await Topology.GetAsync(settings, new TopologyRequest([group]), cancellationToken).ConfigureAwait(false);
        var members = topology.Clusters.SelectMany(c => c.Members).ToList();
        return members.Count > 0
            ? members
            : throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.GroupNotFound, $"Group {group} of '{settings.Scope}' has no members.", group);
    }

    private static async Task<string> SendAsync(HttpMethod method, string? apiUrl, string path, JsonObject body, DcsCredentials? credentials, CancellationToken cancellationToken) =>
        (await MemberApi.SendAsync(method, apiUrl, path, body, credentials, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false)).Text;
}
