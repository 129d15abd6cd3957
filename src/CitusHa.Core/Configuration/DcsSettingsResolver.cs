namespace CitusHa.Core.Configuration;

/// <summary>
/// Combines where connection settings can come from, most specific first: explicit values, then the
/// YAML file (the agent's or a Patroni configuration), then the session's defaults (what
/// Connect-CitusCluster resolved), then environment variables (CITUSHA_*, and Patroni's PATRONI_*
/// names, so runbooks and pods configured for Patroni work unchanged), then defaults.
/// </summary>
public static class DcsSettingsResolver
{
    private static readonly string[] EndpointVariables = ["CITUSHA_ETCD_HOSTS", "PATRONI_ETCD3_HOSTS", "PATRONI_ETCD3_HOST"];
    private static readonly string[] NamespaceVariables = ["CITUSHA_NAMESPACE", "PATRONI_NAMESPACE"];
    private static readonly string[] ScopeVariables = ["CITUSHA_SCOPE", "PATRONI_SCOPE"];
    private static readonly string[] UsernameVariables = ["CITUSHA_ETCD_USERNAME", "PATRONI_ETCD3_USERNAME"];
    private static readonly string[] PasswordVariables = ["CITUSHA_ETCD_PASSWORD", "PATRONI_ETCD3_PASSWORD"];

    public static DcsSettings Resolve(DcsSettingsSource explicitValues, string? configFile, Func<string, string?> environment, DcsSettingsSource? session = null) =>
        ResolveRead(explicitValues, configFile is null ? null : DcsConfigFile.Load(configFile), environment, session);

    /// <summary>As above, with the configuration file already read (callers that need more of it read it once).</summary>
    public static DcsSettings ResolveRead(DcsSettingsSource explicitValues, DcsSettingsSource? configFile, Func<string, string?> environment, DcsSettingsSource? session = null)
    {
        ArgumentNullException.ThrowIfNull(explicitValues);
        ArgumentNullException.ThrowIfNull(environment);
        var file = configFile ?? new DcsSettingsSource();
        var fromSession = session ?? new DcsSettingsSource();
        var fromEnvironment = FromEnvironment(environment);

        var endpoints = FirstNonEmpty(explicitValues.Endpoints, file.Endpoints, fromSession.Endpoints, fromEnvironment.Endpoints);
        return DcsSettings.Create(
            endpoints,
            explicitValues.Namespace ?? file.Namespace ?? fromSession.Namespace ?? fromEnvironment.Namespace,
            explicitValues.Scope ?? file.Scope ?? fromSession.Scope ?? fromEnvironment.Scope,
            explicitValues.Credentials ?? file.Credentials ?? fromSession.Credentials ?? fromEnvironment.Credentials,
            explicitValues.Timeout ?? file.Timeout ?? fromSession.Timeout ?? fromEnvironment.Timeout);
    }

    /// <summary>The REST API credentials: explicit, then the session's, then CITUSHA_RESTAPI_USERNAME/PASSWORD.</summary>
    public static DcsCredentials? ResolveApi(DcsCredentials? explicitValue, DcsCredentials? session, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return explicitValue ?? session ?? (environment("CITUSHA_RESTAPI_USERNAME") is { Length: > 0 } user
            ? new DcsCredentials(user, environment("CITUSHA_RESTAPI_PASSWORD") ?? string.Empty)
            : null);
    }

    /// <summary>
    /// The PostgreSQL user for SQL on the coordinator (pg_dist_node checks, rebalancing): explicit, then
    /// the configuration file's superuser, then the session's, then CITUSHA_POSTGRES_USERNAME/PASSWORD
    /// or Patroni's PATRONI_SUPERUSER_USERNAME/PASSWORD. Null when none is given anywhere.
    /// </summary>
    public static DcsCredentials? ResolvePostgres(DcsCredentials? explicitValue, DcsSettingsSource? configFile, DcsCredentials? session, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (explicitValue is not null)
        {
            return explicitValue;
        }

        if (configFile?.Superuser is { } fromFile)
        {
            return fromFile;
        }

        if (session is not null)
        {
            return session;
        }

        foreach (var (user, password) in new[] { ("CITUSHA_POSTGRES_USERNAME", "CITUSHA_POSTGRES_PASSWORD"), ("PATRONI_SUPERUSER_USERNAME", "PATRONI_SUPERUSER_PASSWORD") })
        {
            if (environment(password) is { Length: > 0 } secret)
            {
                return new DcsCredentials(environment(user) is { Length: > 0 } name ? name : "postgres", secret);
            }
        }

        return null;
    }

    /// <summary>The Citus database: explicit, then the configuration file's citus.database, then "citus".</summary>
    public static string ResolveCitusDatabase(string? explicitValue, DcsSettingsSource? configFile) =>
        explicitValue ?? configFile?.CitusDatabase ?? "citus";

    /// <summary>
    /// The CA file for the members' REST API certificates: explicit, then the session's, then
    /// CITUSHA_RESTAPI_CAFILE; it must exist and hold a PEM certificate.
    /// </summary>
    public static string? ResolveApiCaFile(string? explicitValue, string? session, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var path = explicitValue ?? session ?? (environment("CITUSHA_RESTAPI_CAFILE") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        if (path is null)
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        if (!File.Exists(full) || !File.ReadAllText(full).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw new Errors.CitusHaException(Errors.CitusErrorKind.InvalidArgument, Errors.ErrorIds.InvalidCertificateAuthority,
                $"The REST API CA file '{full}' {(File.Exists(full) ? "holds no PEM certificate" : "does not exist")}. Give the PEM file of the CA that signs the members' certificates (restapi.cafile).", full);
        }

        return full;
    }

    /// <summary>Settings as a source, for a later resolution to fall back on (the session's defaults).</summary>
    public static DcsSettingsSource AsSource(DcsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new DcsSettingsSource(settings.Endpoints.Select(e => e.ToString()).ToList(), settings.Namespace, settings.Scope, settings.Credentials, settings.Timeout);
    }

    private static IReadOnlyList<string>? FirstNonEmpty(params IReadOnlyList<string>?[] candidates) =>
        candidates.FirstOrDefault(c => c is { Count: > 0 });

    private static DcsSettingsSource FromEnvironment(Func<string, string?> environment)
    {
        string? First(string[] names) => names.Select(environment).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var hosts = First(EndpointVariables);
        var username = First(UsernameVariables);
        var password = First(PasswordVariables);
        return new DcsSettingsSource(
            hosts is null ? null : [hosts],
            First(NamespaceVariables),
            First(ScopeVariables),
            username is null ? null : new DcsCredentials(username, password ?? string.Empty));
    }
}
