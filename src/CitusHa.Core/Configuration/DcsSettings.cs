using CitusHa.Core.Errors;

namespace CitusHa.Core.Configuration;

/// <summary>
/// Where a formation's state lives: etcd endpoints, the key namespace (Patroni's, default
/// <c>/service</c>), the cluster name (Patroni's <c>scope</c>; null means every cluster in the
/// namespace) and how long one request may take. Construct through <see cref="Create"/>, which validates.
/// </summary>
public sealed record DcsSettings
{
    public const string DefaultNamespace = "/service";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    public static readonly Uri DefaultEndpoint = new("http://127.0.0.1:2379");

    private DcsSettings(IReadOnlyList<Uri> endpoints, string @namespace, string? scope, DcsCredentials? credentials, TimeSpan timeout)
    {
        Endpoints = endpoints;
        Namespace = @namespace;
        Scope = scope;
        Credentials = credentials;
        Timeout = timeout;
    }

    public IReadOnlyList<Uri> Endpoints { get; }

    public string Namespace { get; }

    public string? Scope { get; }

    public DcsCredentials? Credentials { get; }

    public TimeSpan Timeout { get; }

    /// <summary>The same settings for another cluster name (validated).</summary>
    public DcsSettings WithScope(string? scope) => new(Endpoints, Namespace, NormaliseScope(scope), Credentials, Timeout);

    /// <summary>Validates and normalises every part; throws <see cref="CitusHaException"/> naming the bad one.</summary>
    public static DcsSettings Create(IEnumerable<string>? endpoints, string? @namespace, string? scope, DcsCredentials? credentials, TimeSpan? timeout)
    {
        var uris = (endpoints ?? [])
            .SelectMany(SplitList)
            .Select(ParseEndpoint)
            .Distinct()
            .ToList();
        if (uris.Count == 0)
        {
            uris.Add(DefaultEndpoint);
        }

        if (uris.Select(u => u.Scheme).Distinct().Count() > 1)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidEndpoint,
                "The etcd endpoints mix http and https; use one scheme for all of them.", string.Join(",", uris));
        }

        var effectiveTimeout = timeout ?? DefaultTimeout;
        if (effectiveTimeout <= TimeSpan.Zero || effectiveTimeout > TimeSpan.FromHours(1))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidTimeout,
                $"The timeout must be between 1 second and 1 hour; {effectiveTimeout.TotalSeconds} seconds was given.", effectiveTimeout);
        }

        return new DcsSettings(uris, NormaliseNamespace(@namespace), NormaliseScope(scope), credentials, effectiveTimeout);
    }

    /// <summary>
    /// Patroni accepts <c>host:port,host:port</c> in one string, and its PATRONI_ETCD3_HOSTS documents
    /// the quoted form <c>'host1:port1','host2:port2'</c>; so do we.
    /// </summary>
    private static IEnumerable<string> SplitList(string value) =>
        (value ?? string.Empty)
            .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Trim('\'', '"'))
            .Where(part => part.Length > 0);

    internal static Uri ParseEndpoint(string text)
    {
        var candidate = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (text.Contains('@', StringComparison.Ordinal))
        {
            // Never echo it: the part before '@' is probably a password.
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidEndpoint,
                "An etcd endpoint must not contain user information (user:password@). Pass credentials with -Credential or etcd3.username/password instead.");
        }

        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || (uri.AbsolutePath.Length > 1))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidEndpoint,
                $"'{text}' is not an etcd endpoint. Give host:port or http(s)://host:port, for example http://127.0.0.1:2379.", text);
        }

        // etcd's port when none is written (Uri would otherwise assume 80 or 443).
        var explicitPort = !uri.IsDefaultPort || text.Contains($":{uri.Port}", StringComparison.Ordinal);
        return new UriBuilder(uri.Scheme, uri.Host, explicitPort ? uri.Port : 2379).Uri;
    }

    private static string NormaliseNamespace(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultNamespace;
        }

        var trimmed = "/" + value.Trim().Trim('/');
        if (trimmed.Length == 1 || trimmed.Contains("//", StringComparison.Ordinal) || trimmed.Any(char.IsWhiteSpace))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidNamespace,
                $"'{value}' is not a usable etcd namespace. Use a path such as /service (Patroni's default).", value);
        }

        return trimmed;
    }

    private static string? NormaliseScope(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0 || trimmed.Contains('/', StringComparison.Ordinal) || trimmed.Any(char.IsWhiteSpace) || trimmed.Any(char.IsControl))
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidClusterName,
                $"'{value}' is not a valid cluster name (Patroni's scope): use letters, digits, '-', '_' or '.', without '/' or spaces.", value);
        }

        return trimmed;
    }
}
