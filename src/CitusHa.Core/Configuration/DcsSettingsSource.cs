namespace CitusHa.Core.Configuration;

/// <summary>
/// The raw, unvalidated pieces a caller has for <see cref="DcsSettings"/>: what the user passed
/// explicitly. Null means "not given here"; <see cref="DcsSettingsResolver"/> then looks further.
/// </summary>
public sealed record DcsSettingsSource(
    IReadOnlyList<string>? Endpoints = null,
    string? Namespace = null,
    string? Scope = null,
    DcsCredentials? Credentials = null,
    TimeSpan? Timeout = null);
