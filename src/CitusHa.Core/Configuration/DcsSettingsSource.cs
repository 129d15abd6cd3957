namespace CitusHa.Core.Configuration;

/// <summary>
/// The raw, unvalidated pieces a caller has for <see cref="DcsSettings"/>: what the user passed
/// explicitly. Null means "not given here"; <see cref="DcsSettingsResolver"/> then looks further.
/// <see cref="Superuser"/> and <see cref="CitusDatabase"/> are what a configuration file says about
/// PostgreSQL (postgresql.authentication.superuser, citus.database), for the cmdlets that run SQL.
/// </summary>
public sealed record DcsSettingsSource(
    IReadOnlyList<string>? Endpoints = null,
    string? Namespace = null,
    string? Scope = null,
    DcsCredentials? Credentials = null,
    TimeSpan? Timeout = null,
    DcsCredentials? Superuser = null,
    string? CitusDatabase = null);
