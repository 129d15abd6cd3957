using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CitusHa.Core.Configuration;

namespace CitusHa.Agent.Loop;

/// <summary>
/// The HTTP client for calls to peers' REST APIs. With <c>restapi.cafile</c>, peers' certificates must
/// chain to that CA (private or self-signed CAs, as on Kubernetes); otherwise the system's trust applies.
/// </summary>
internal static class PeerHttp
{
    public static HttpClient Create(AgentSettings settings, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = timeout };
        if (settings.RestApiCaFile is { } caFile)
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
