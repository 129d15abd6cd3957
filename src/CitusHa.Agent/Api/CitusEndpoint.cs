using CitusHa.Agent.Loop;
using CitusHa.Core.Citus;
using CitusHa.Core.Errors;

namespace CitusHa.Agent.Api;

/// <summary>
/// <c>POST /citus</c> (and <c>/mpp</c>): a worker's before_demote / before_promote / after_promote. As
/// in Patroni the answer is 200 whenever the body is an event (a member that is not the coordinator's
/// leader ignores it); unlike Patroni a malformed body gets 400 naming the field, and both paths need
/// the REST credentials when they are configured.
/// </summary>
internal static class CitusEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, HaLoop loop)
    {
        string body;
        using (var reader = new StreamReader(http.Request.Body))
        {
            body = await reader.ReadToEndAsync(http.RequestAborted).ConfigureAwait(false);
        }

        if (!CitusEvent.TryParse(body, out var citusEvent, out var error))
        {
            return Results.Text($"invalid Citus event: {error}", statusCode: 400);
        }

        if (loop.Metadata is not { } metadata)
        {
            return Results.Text("ignored: this member is not in the Citus coordinator group", statusCode: 200);
        }

        try
        {
            var (_, detail) = await metadata.HandleEventAsync(citusEvent!, http.RequestAborted).ConfigureAwait(false);
            return Results.Text(detail, statusCode: 200);
        }
        catch (CitusHaException e)
        {
            return Results.Text($"event not processed: {e.Message}", statusCode: 503);
        }
    }
}
