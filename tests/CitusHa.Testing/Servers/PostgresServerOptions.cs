namespace CitusHa.Testing.Servers;

public sealed record PostgresServerOptions
{
    /// <summary>Null: $CITUSHA_PG_BINDIR, then /usr/lib/postgresql/*/bin (newest), then PATH.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Null: a free port.</summary>
    public int? Port { get; init; }

    /// <summary>Who runs PostgreSQL when the tests run as root.</summary>
    public string OsUser { get; init; } = "postgres";

    /// <summary>The passwd file checked for <see cref="OsUser"/> (tests point it elsewhere).</summary>
    public string PasswdFile { get; init; } = "/etc/passwd";

    /// <summary>Extra postgresql.conf settings, e.g. ("wal_level", "logical").</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
