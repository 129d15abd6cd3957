using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace CitusHa.Core.Adapters.Http;

/// <summary>
/// The HTTP client for calls to members' REST APIs. With a CA file (<c>restapi.cafile</c>, or the
/// module's -ApiCertificateAuthority), a member's certificate must chain to that CA (private or
/// self-signed CAs, as on Kubernetes) and match its name; otherwise the system's trust applies.
/// </summary>
public static class RestApiHttp
{
    public static HttpClient Create(string? caFile, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = timeout };
        if (caFile is not null)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null && ChainsTo(certificate, authorities, errors),
            };
        }

        return new HttpClient(handler) { Timeout = timeout };
    }

    /// <summary>Sets basic auth with <paramref name="credentials"/> (restapi.authentication) on a request to a member; none when null.</summary>
    public static void Authorize(HttpRequestMessage request, Configuration.DcsCredentials? credentials)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (credentials is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
        }
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection authorities, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
