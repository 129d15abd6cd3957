using System.Management.Automation;
using System.Net;
using CitusHa.Core.Configuration;

namespace CitusHa.Commands;

/// <summary>
/// Turns the connection parameters every etcd-reading cmdlet shares into Core's settings:
/// explicit parameters first, then -ConfigFile, then CITUSHA_*/PATRONI_* environment variables.
/// </summary>
internal static class ConnectionParameters
{
    public static DcsSettings Resolve(string[]? endpoint, string? etcdNamespace, PSCredential? credential, int? timeoutSec, string? configFile, SessionState sessionState)
    {
        var explicitValues = new DcsSettingsSource(
            endpoint,
            etcdNamespace,
            null,
            credential is null ? null : new DcsCredentials(credential.UserName, ToPlainText(credential)),
            timeoutSec is { } t ? TimeSpan.FromSeconds(t) : null);
        var resolvedConfigFile = configFile is null ? null : sessionState.Path.GetUnresolvedProviderPathFromPSPath(configFile);
        return DcsSettingsResolver.Resolve(explicitValues, resolvedConfigFile, Environment.GetEnvironmentVariable);
    }

    private static string ToPlainText(PSCredential credential) =>
        new NetworkCredential(string.Empty, credential.Password).Password;
}
