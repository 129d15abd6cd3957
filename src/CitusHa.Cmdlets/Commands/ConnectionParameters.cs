using System.Management.Automation;
using System.Net;
using CitusHa.Core.Configuration;
using CitusHa.Core.Operations;
using CitusHa.Session;

namespace CitusHa.Commands;

/// <summary>
/// Turns the connection parameters every cmdlet shares into Core's settings: explicit parameters first,
/// then -ConfigFile, then the session's default (Connect-CitusCluster), then CITUSHA_*/PATRONI_*
/// environment variables, then the defaults.
/// </summary>
internal static class ConnectionParameters
{
    public static DcsSettings Resolve(string[]? endpoint, string? etcdNamespace, PSCredential? credential, int? timeoutSec, string? configFile, SessionState sessionState) =>
        ResolveOperator(endpoint, etcdNamespace, credential, null, null, timeoutSec, configFile, sessionState).Dcs;

    public static OperatorConnection ResolveOperator(string[]? endpoint, string? etcdNamespace, PSCredential? credential, PSCredential? apiCredential, string? apiCaFile, int? timeoutSec, string? configFile, SessionState? sessionState,
        PSCredential? postgresCredential = null, string? database = null)
    {
        var explicitValues = new DcsSettingsSource(
            endpoint,
            etcdNamespace,
            null,
            ToCredentials(credential),
            timeoutSec is { } t ? TimeSpan.FromSeconds(t) : null);
        var resolvedConfigFile = configFile is null ? null : sessionState?.Path.GetUnresolvedProviderPathFromPSPath(configFile) ?? Path.GetFullPath(configFile);
        var file = resolvedConfigFile is null ? null : DcsConfigFile.Load(resolvedConfigFile);
        var session = SessionConnection.Current;
        var dcs = DcsSettingsResolver.ResolveRead(explicitValues, file, Environment.GetEnvironmentVariable,
            session is null ? null : DcsSettingsResolver.AsSource(session.Dcs));
        var api = DcsSettingsResolver.ResolveApi(ToCredentials(apiCredential), session?.Api, Environment.GetEnvironmentVariable);
        var resolvedCaFile = apiCaFile is null ? null : sessionState?.Path.GetUnresolvedProviderPathFromPSPath(apiCaFile) ?? apiCaFile;
        var caFile = DcsSettingsResolver.ResolveApiCaFile(resolvedCaFile, session?.ApiCaFile, Environment.GetEnvironmentVariable);
        var postgres = DcsSettingsResolver.ResolvePostgres(ToCredentials(postgresCredential), file, session?.Postgres, Environment.GetEnvironmentVariable);
        var citusDatabase = DcsSettingsResolver.ResolveCitusDatabase(database, file);
        return new OperatorConnection(dcs, api, caFile, postgres, citusDatabase);
    }

    private static DcsCredentials? ToCredentials(PSCredential? credential) =>
        credential is null ? null : new DcsCredentials(credential.UserName, new NetworkCredential(string.Empty, credential.Password).Password);
}
