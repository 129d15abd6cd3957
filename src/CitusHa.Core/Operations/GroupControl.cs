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
/// Operator actions on one group, done the way patronictl does them: find the right member in etcd,
/// then ask its REST API (<c>POST /switchover</c>, <c>POST /failover</c>, <c>PATCH /config</c>).
/// Shared by the <c>citusha</c> CLI and the cmdlets.
/// </summary>
public static class GroupControl
{
    public static async Task<string> SwitchoverAsync(DcsSettings settings, int group, string? leader, string? candidate, DateTimeOffset? scheduledAt, DcsCredentials? api, CancellationToken cancellationToken)
    {
        var members = await MembersAsync(settings, group, cancellationToken).ConfigureAwait(false);
        var current = members.FirstOrDefault(m => m.Role == MemberRole.Leader)
            ?? throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.NoLeader, $"Group {group} of '{settings.Scope}' has no leader to switch over from; use failover with a candidate.", group);
        var body = new JsonObject { ["leader"] = leader ?? current.Name };
        if (candidate is not null)
        {
            body["candidate"] = candidate;
        }

        if (scheduledAt is { } at)
        {
            body["scheduled_at"] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        return await SendAsync(HttpMethod.Post, current.ApiUrl, "switchover", body, api, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<string> FailoverAsync(DcsSettings settings, int group, string candidate, DcsCredentials? api, CancellationToken cancellationToken)
    {
        var members = await MembersAsync(settings, group, cancellationToken).ConfigureAwait(false);
        var target = members.FirstOrDefault(m => m.Role == MemberRole.Leader) ?? members.FirstOrDefault(m => m.Name == candidate)
            ?? throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.MemberNotFound, $"Member '{candidate}' is not in group {group} of '{settings.Scope}'.", candidate);
        return await SendAsync(HttpMethod.Post, target.ApiUrl, "failover", new JsonObject { ["candidate"] = candidate }, api, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Maintenance mode on (<paramref name="pause"/> true) or off, through the first member that answers (leader first).</summary>
    public static async Task<string> SetPausedAsync(DcsSettings settings, int group, bool pause, DcsCredentials? api, CancellationToken cancellationToken)
    {
        var members = await MembersAsync(settings, group, cancellationToken).ConfigureAwait(false);
        CitusHaException? last = null;
        foreach (var member in members.OrderBy(m => m.Role == MemberRole.Leader ? 0 : 1))
        {
            try
            {
                var body = new JsonObject { ["pause"] = pause ? true : null };
                return await SendAsync(HttpMethod.Patch, member.ApiUrl, "config", body, api, cancellationToken).ConfigureAwait(false);
            }
            catch (CitusHaException e) when (e.Kind == CitusErrorKind.Unavailable)
            {
                last = e;
            }
        }

        throw last ?? new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberUnavailable, $"No member of group {group} answered.");
    }

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

    private static bool IsRefusal(string text) => !text.StartsWith("restart failed", StringComparison.Ordinal) && !text.Contains("status unknown", StringComparison.Ordinal);

    private static async Task<string> SendAsync(HttpMethod method, string? apiUrl, string path, JsonObject body, DcsCredentials? credentials, CancellationToken cancellationToken)
    {
        if (apiUrl is null || !Uri.TryCreate(apiUrl, UriKind.Absolute, out var api))
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberUnavailable, "The member publishes no REST API address (api_url).");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, new Uri(api, "/" + path)) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberUnavailable, $"The member's REST API at {api.GetLeftPart(UriPartial.Authority)} did not answer: {e.Message}", api.ToString(), e);
        }

        using (response)
        {
            var text = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            return response.StatusCode switch
            {
                HttpStatusCode.OK or HttpStatusCode.Accepted => text,
                HttpStatusCode.Unauthorized => throw new CitusHaException(CitusErrorKind.Unauthorized, ErrorIds.ApiAuthenticationFailed, $"The member's REST API refused the credentials ({text}).", api.ToString()),
                HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.RequestRefused, text, api.ToString()),
                HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable when IsRefusal(text) => throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.RequestRefused, text, api.ToString()),
                _ => throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.RequestFailed, $"{(int)response.StatusCode}: {text}", api.ToString()),
            };
        }
    }
}
