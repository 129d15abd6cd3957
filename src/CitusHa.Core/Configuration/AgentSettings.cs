using System.Globalization;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;

namespace CitusHa.Core.Configuration;

/// <summary>
/// Everything one agent needs, validated: identity, etcd, REST API, PostgreSQL and the HA timings it
/// bootstraps the group with. Loaded by <see cref="AgentSettingsLoader"/>; passwords never appear in
/// <see cref="ToString"/>.
/// </summary>
public sealed record AgentSettings
{
    public required string Name { get; init; }

    public required int Group { get; init; }

    /// <summary>The citus section; null for a plain PostgreSQL group.</summary>
    public Citus.CitusSettings? Citus { get; init; }

    public bool IsCoordinator => Citus is not null && Group == 0;

    /// <summary>
    /// The group directory of this member's keys in etcd: its Citus group, or null for a plain cluster
    /// (no <c>citus:</c> section), whose keys Patroni keeps directly under the scope.
    /// </summary>
    public int? DcsGroup => Citus is null ? null : Group;

    /// <summary>Patroni settings found in the configuration that this agent recognises but does not act on (logged once at start).</summary>
    public IReadOnlyList<string> UnsupportedKeys { get; init; } = [];

    public bool IsWorker => Citus is not null && Group != 0;

    public required DcsSettings Dcs { get; init; }

    /// <summary>Where the REST API listens (host:port).</summary>
    public required string RestApiListen { get; init; }

    /// <summary>How peers and tools reach the REST API (host:port): published as api_url.</summary>
    public required string RestApiConnectAddress { get; init; }

    public DcsCredentials? RestApiCredentials { get; init; }

    /// <summary>PEM certificate (or certificate and key) for HTTPS on the REST API; null serves plain HTTP.</summary>
    public string? RestApiCertificateFile { get; init; }

    /// <summary>PEM private key for <see cref="RestApiCertificateFile"/> when it is a separate file.</summary>
    public string? RestApiKeyFile { get; init; }

    /// <summary>PEM CA bundle that peers' REST API certificates must chain to (self-signed or private CAs).</summary>
    public string? RestApiCaFile { get; init; }

    public string RestApiScheme => RestApiCertificateFile is null ? "http" : "https";

    public required PostgresSettings Postgres { get; init; }

    public required HaSettings Ha { get; init; }

    public MemberIdentity Identity => new(Name, NoFailover, FailoverPriority, NoSync);

    public bool NoFailover { get; init; }

    public int FailoverPriority { get; init; } = 1;

    public bool NoSync { get; init; }

    public bool NoLoadBalance { get; init; }

    /// <summary>Patroni's watchdog.mode: fence a primary whose agent stops responding (see ProcessWatchdog).</summary>
    public WatchdogMode WatchdogMode { get; init; } = WatchdogMode.Automatic;

    /// <summary>How long before the lease ends the watchdog fences (Patroni's watchdog.safety_margin).</summary>
    public TimeSpan WatchdogSafetyMargin { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The agent's own files (pgpass, socket): never inside the data directory.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>When the agent runs as root (local formation, tests), PostgreSQL runs as this user.</summary>
    public string? RunAsUser { get; init; }

    public string ApiUrl => $"{RestApiScheme}://{RestApiConnectAddress}/patroni";

    public string ConnUrl => string.Create(CultureInfo.InvariantCulture, $"postgres://{Postgres.ConnectHost}:{Postgres.ConnectPort}/postgres");

    public override string ToString() =>
        $"AgentSettings {{ Name = {Name}, Scope = {Dcs.Scope}, Group = {Group}, RestApi = {RestApiListen}, Postgres = {Postgres.ConnectHost}:{Postgres.ConnectPort}, passwords hidden }}";
}

/// <summary>The PostgreSQL part of <see cref="AgentSettings"/>.</summary>
public sealed record PostgresSettings
{
    public required string DataDirectory { get; init; }

    public required string BinDirectory { get; init; }

    public required string ListenAddress { get; init; }

    public required int Port { get; init; }

    public required string ConnectHost { get; init; }

    public required int ConnectPort { get; init; }

    public string SuperuserName { get; init; } = "postgres";

    public string SuperuserPassword { get; init; } = string.Empty;

    public string ReplicationUserName { get; init; } = "replicator";

    public string ReplicationPassword { get; init; } = string.Empty;

    /// <summary>postgresql.authentication.replication.sslmode and sslrootcert.</summary>
    public Postgres.ClientTls ReplicationTls { get; init; } = Postgres.ClientTls.Default;

    /// <summary>postgresql.authentication.superuser.sslmode and sslrootcert.</summary>
    public Postgres.ClientTls SuperuserTls { get; init; } = Postgres.ClientTls.Default;

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>postgresql.pg_hba: the lines of pg_hba.conf as Patroni users give them; null keeps the agent's own rules.</summary>
    public IReadOnlyList<string>? PgHba { get; init; }

    public override string ToString() => $"PostgresSettings {{ DataDirectory = {DataDirectory}, Port = {Port}, passwords hidden }}";
}

/// <summary>Patroni's watchdog modes.</summary>
public enum WatchdogMode
{
    /// <summary>No watchdog.</summary>
    Off,

    /// <summary>Use the watchdog when it can run; run without it (and say so) otherwise.</summary>
    Automatic,

    /// <summary>Refuse to run without a working watchdog.</summary>
    Required,
}
