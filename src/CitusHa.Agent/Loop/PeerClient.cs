using System.Net.Http.Headers;
using System.Text.Json;
using CitusHa.Core.Ha;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Asks peers for their position (<c>GET /patroni</c>) during a leader race: all at once, under one
/// deadline; a peer that does not answer in time is "unknown", never an exception.
/// </summary>
internal sealed class PeerClient(HttpClient http)
{
    public async Task<IReadOnlyDictionary<string, PeerStatus?>> AskAsync(IEnumerable<MemberInfo> peers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var asks = peers.Where(p => p.ApiUrl is not null)
            .Select(async p => (p.Name, Status: await AskOneAsync(p.ApiUrl!, deadline.Token).ConfigureAwait(false)))
            .ToList();
        var answers = await Task.WhenAll(asks).ConfigureAwait(false);
        return answers.ToDictionary(a => a.Name, a => a.Status);
    }

    /// <summary>
    /// failsafe_mode: <c>POST /failsafe</c> to every member of <paramref name="topology"/> (name → REST
    /// URL) at once, under one deadline. True only when every one answers 200 "Accepted" (Patroni's
    /// check_failsafe_topology); an empty topology (a one-member group) is accepted.
    /// </summary>
    public async Task<bool> ConfirmFailsafeAsync(IReadOnlyDictionary<string, string> topology, string body, Core.Configuration.DcsCredentials? credentials, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var calls = topology.Values.Select(url => AcceptsFailsafeAsync(url, body, credentials, deadline.Token)).ToList();
        var answers = await Task.WhenAll(calls).ConfigureAwait(false);
        return answers.All(accepted => accepted);
    }

    private async Task<bool> AcceptsFailsafeAsync(string apiUrl, string body, Core.Configuration.DcsCredentials? credentials, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(apiUrl), "/failsafe")) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            Core.Adapters.Http.RestApiHttp.Authorize(request, credentials);

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return response.StatusCode == System.Net.HttpStatusCode.OK && text == "Accepted";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException or IOException or UriFormatException)
        {
            return false;
        }
    }

    private async Task<PeerStatus?> AskOneAsync(string apiUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, apiUrl);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Parse(document.RootElement);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads Patroni's status document: role, xlog positions, timeline, tags.</summary>
    internal static PeerStatus? Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("role", out var role))
        {
            return null;
        }

        var inRecovery = role.GetString() is not ("primary" or "master" or "standby_leader");
        long lsn = 0;
        if (root.TryGetProperty("xlog", out var xlog) && xlog.ValueKind == JsonValueKind.Object)
        {
            long Field(string name) => xlog.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
            lsn = inRecovery ? Math.Max(Field("received_location"), Field("replayed_location")) : 0;
        }

        var tags = root.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
        var noFailover = tags.ValueKind == JsonValueKind.Object && tags.TryGetProperty("nofailover", out var nf) && nf.ValueKind == JsonValueKind.True;
        var priority = tags.ValueKind == JsonValueKind.Object && tags.TryGetProperty("failover_priority", out var fp) && fp.ValueKind == JsonValueKind.Number && fp.TryGetInt32(out var p) ? p : 1;
        int? timeline = root.TryGetProperty("timeline", out var tl) && tl.ValueKind == JsonValueKind.Number && tl.TryGetInt32(out var tv) ? tv : null;
        return new PeerStatus(inRecovery, lsn, timeline, noFailover, priority);
    }
}
