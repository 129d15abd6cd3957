namespace CitusHa.Core.Postgres;

/// <summary>How this member's PostgreSQL is laid out and reached. Passwords never appear in <see cref="ToString"/>.</summary>
public sealed record PostgresOptions
{
    public required string BinDirectory { get; init; }

    public required string DataDirectory { get; init; }

    /// <summary>Where the agent keeps its own files (pgpass); must not be inside the data directory.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>This member's name: application_name on the upstream and the base of its slot name.</summary>
    public required string MemberName { get; init; }

    public string ListenAddress { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 5432;

    public string SuperuserName { get; init; } = "postgres";

    public string SuperuserPassword { get; init; } = string.Empty;

    public string ReplicationUserName { get; init; } = "replicator";

    public string ReplicationPassword { get; init; } = string.Empty;

    /// <summary>TLS of the connections as the replication user (streaming, pg_basebackup).</summary>
    public ClientTls ReplicationTls { get; init; } = ClientTls.Default;

    /// <summary>TLS of the connections as the superuser (pg_rewind, checks on the leader).</summary>
    public ClientTls SuperuserTls { get; init; } = ClientTls.Default;

    /// <summary>
    /// pg_hba.conf lines from postgresql.pg_hba; null keeps the agent's own rules (scram for
    /// replication and every user). The agent's socket line comes first either way.
    /// </summary>
    public IReadOnlyList<string>? HbaLines { get; init; }

    /// <summary>Extra postgresql.conf settings; ours (listen_addresses, port, replication) win over these.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>When the agent runs as root (tests, the local formation), the OS user PostgreSQL runs as.</summary>
    public string? RunAsUser { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long pg_basebackup or pg_rewind may take.</summary>
    public TimeSpan CopyTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The physical slot a member uses on its upstream: PostgreSQL allows only [a-z0-9_].</summary>
    /// <summary>How the agent named in <paramref name="settings"/> runs its PostgreSQL, with <paramref name="parameters"/> as postgresql.conf settings.</summary>
    public static PostgresOptions ForAgent(Configuration.AgentSettings settings, IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new PostgresOptions
        {
            BinDirectory = settings.Postgres.BinDirectory,
            DataDirectory = settings.Postgres.DataDirectory,
            StateDirectory = settings.StateDirectory,
            MemberName = settings.Name,
            ListenAddress = settings.Postgres.ListenAddress,
            Port = settings.Postgres.Port,
            SuperuserName = settings.Postgres.SuperuserName,
            SuperuserPassword = settings.Postgres.SuperuserPassword,
            ReplicationUserName = settings.Postgres.ReplicationUserName,
            ReplicationPassword = settings.Postgres.ReplicationPassword,
            ReplicationTls = settings.Postgres.ReplicationTls,
            SuperuserTls = settings.Postgres.SuperuserTls,
            Parameters = parameters,
            HbaLines = settings.Postgres.PgHba,
            RunAsUser = settings.RunAsUser,
        };
    }

    public static string SlotNameFor(string memberName)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberName);
        var chars = memberName.ToLowerInvariant().Select(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '_').ToArray();
        return new string(chars);
    }

    public override string ToString() =>
        $"PostgresOptions {{ DataDirectory = {DataDirectory}, Port = {Port}, Member = {MemberName}, Superuser = {SuperuserName}, ReplicationUser = {ReplicationUserName}, passwords hidden }}";
}
