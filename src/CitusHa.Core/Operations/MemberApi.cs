using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;

namespace CitusHa.Core.Operations;

/// <summary>
/// Calls one member's REST API (Patroni's paths and status codes) and turns its refusals into typed
/// errors. Returns the answer's text on 200/202.
/// </summary>
public static class MemberApi
{
    public static async Task<(HttpStatusCode Status, string Text)> SendAsync(HttpMethod method, string? apiUrl, string path, JsonObject body, OperatorConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(connection);
        var credentials = connection.Api;
        if (apiUrl is null || !Uri.TryCreate(apiUrl, UriKind.Absolute, out var api))
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberUnavailable, "The member publishes no REST API address (api_url).");
        }

        using var http = Adapters.Http.RestApiHttp.Create(connection.ApiCaFile, timeout);
        using var request = new HttpRequestMessage(method, new Uri(api, "/" + path)) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        Adapters.Http.RestApiHttp.Authorize(request, credentials);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberCertificateUntrusted,
                $"The member's REST API at {api.GetLeftPart(UriPartial.Authority)} presented a certificate that is not trusted{(connection.ApiCaFile is null ? ": give the CA that signs the members' certificates with -ApiCertificateAuthority (or CITUSHA_RESTAPI_CAFILE)" : $" by the CA in {connection.ApiCaFile}")}.",
                api.GetLeftPart(UriPartial.Authority), e);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberUnavailable,
                $"The member's REST API at {api.GetLeftPart(UriPartial.Authority)} did not answer: {e.Message}", api.GetLeftPart(UriPartial.Authority), e);
        }

        using (response)
        {
            var text = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            var where = api.GetLeftPart(UriPartial.Authority);
            return response.StatusCode switch
            {
                HttpStatusCode.OK or HttpStatusCode.Accepted => (response.StatusCode, text),
                HttpStatusCode.Unauthorized => throw new CitusHaException(CitusErrorKind.Unauthorized, ErrorIds.ApiAuthenticationFailed,
                    $"The member's REST API at {where} refused the credentials ({text}). Pass the API's user and password with -ApiCredential (or CITUSHA_RESTAPI_USERNAME and CITUSHA_RESTAPI_PASSWORD).", where),
                HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.RequestRefused, $"{where} refused the request: {text}", where),
                HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable when IsRefusal(text) => throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.RequestRefused, $"{where} refused the request: {text}", where),
                _ => throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.RequestFailed, $"{where} answered {(int)response.StatusCode}: {text}", where),
            };
        }
    }

    /// <summary>
    /// Sends to the first member of <paramref name="group"/> that answers, the leader first (for
    /// requests any member can carry out, such as <c>PATCH /config</c>); returns that member's answer.
    /// Only an unreachable member is skipped: a refusal is final.
    /// </summary>
    public static async Task<string> SendToAnyAsync(GroupTopology group, HttpMethod method, string path, JsonObject body, OperatorConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        CitusHaException? last = null;
        foreach (var member in group.Members.OrderBy(m => m.Role == MemberRole.Leader ? 0 : 1))
        {
            try
            {
                return (await SendAsync(method, member.ApiUrl, path, body, connection, timeout, cancellationToken).ConfigureAwait(false)).Text;
            }
            catch (CitusHaException e) when (e.Kind == CitusErrorKind.Unavailable)
            {
                last = e;
            }
        }

        throw last ?? new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.MemberUnavailable, $"No member of {CandidateRules.Describe(group)} answered.", group.Group);
    }

    /// <summary>A 412/409/503 that says no (as opposed to "I failed" or "I don't know yet").</summary>
    private static bool IsRefusal(string text) =>
        !text.StartsWith("restart failed", StringComparison.Ordinal) && !text.Contains("status unknown", StringComparison.Ordinal);
}
