using CitusHa.Core.Adapters.Http;
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
        return RestApiHttp.Create(settings.RestApiCaFile, timeout);
    }
}
