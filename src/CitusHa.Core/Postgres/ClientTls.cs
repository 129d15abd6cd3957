using System.Globalization;

namespace CitusHa.Core.Postgres;

/// <summary>
/// How the agent's connections as one user (replication: streaming and pg_basebackup; superuser:
/// pg_rewind and the checks on the leader) use TLS: Patroni's
/// <c>postgresql.authentication.&lt;user&gt;.sslmode</c> and <c>sslrootcert</c>. The default, prefer,
/// encrypts where the server offers TLS but checks nothing; verify-full checks the certificate against
/// the root and the host name against it (the rendered manifests set it when TLS is on).
/// </summary>
public sealed record ClientTls(string Mode = "prefer", string? RootCertificate = null)
{
    public static readonly IReadOnlyList<string> Modes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    public static ClientTls Default { get; } = new();

    /// <summary>The libpq keywords (sslmode, and sslrootcert when given).</summary>
    public string ConnInfo => RootCertificate is null
        ? string.Create(CultureInfo.InvariantCulture, $"sslmode={Mode}")
        : string.Create(CultureInfo.InvariantCulture, $"sslmode={Mode} sslrootcert={RootCertificate}");

    /// <summary>Npgsql's equivalent of <see cref="Mode"/>.</summary>
    public Npgsql.SslMode NpgsqlMode => Mode switch
    {
        "disable" => Npgsql.SslMode.Disable,
        "allow" => Npgsql.SslMode.Allow,
        "require" => Npgsql.SslMode.Require,
        "verify-ca" => Npgsql.SslMode.VerifyCA,
        "verify-full" => Npgsql.SslMode.VerifyFull,
        _ => Npgsql.SslMode.Prefer,
    };
}
