using System.Security.Cryptography;
using System.Text;
using CitusHa.Core.Configuration;

namespace CitusHa.Agent.Api;

/// <summary>HTTP Basic authentication for every mutating endpoint, compared in constant time.</summary>
internal static class BasicAuthentication
{
    public static IResult? Check(HttpContext http, DcsCredentials? expected)
    {
        if (expected is null)
        {
            return null;
        }

        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return Unauthorized(http, "no auth header received");
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return Unauthorized(http, "not authenticated");
        }

        var given = Encoding.UTF8.GetBytes(decoded);
        var wanted = Encoding.UTF8.GetBytes($"{expected.Username}:{expected.Password}");
        return CryptographicOperations.FixedTimeEquals(given, wanted) ? null : Unauthorized(http, "not authenticated");
    }

    private static IResult Unauthorized(HttpContext http, string message)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"Patroni\"";
        return Results.Text(message, statusCode: StatusCodes.Status401Unauthorized);
    }
}
