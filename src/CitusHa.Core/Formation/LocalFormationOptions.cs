namespace CitusHa.Core.Formation;

/// <summary>How to lay out a local formation: etcd plus groups × members as processes on loopback.</summary>
public sealed record LocalFormationOptions
{
    /// <summary>The folder everything lives under (etcd data, one folder per member).</summary>
    public required string Root { get; init; }

    /// <summary>The command that starts an agent, e.g. ["dotnet", "/opt/citusha/citusha.dll"]; "run -c FILE" is appended.</summary>
    public required IReadOnlyList<string> AgentCommand { get; init; }

    public string Scope { get; init; } = "demo";

    public int Groups { get; init; } = 1;

    public int MembersPerGroup { get; init; } = 3;

    /// <summary>Groups whose agents <c>StartAsync</c> leaves out, for <c>StartGroup</c> later.</summary>
    public IReadOnlyCollection<int> DeferredGroups { get; init; } = [];

    /// <summary>Extra environment for a member's agent (CITUSHA_* overrides of its file).</summary>
    public Func<LocalMember, IReadOnlyDictionary<string, string>>? EnvironmentFor { get; init; }

    /// <summary>The formation's Citus database (citus.database).</summary>
    public string CitusDatabase { get; init; } = "citus";

    /// <summary>
    /// A plain Patroni cluster: no <c>citus:</c> section, one group, keys directly under the scope
    /// (only with <see cref="Groups"/> 1).
    /// </summary>
    public bool Plain { get; init; }

    /// <summary>postgresql.pg_hba for every member; null keeps the agent's own rules.</summary>
    public IReadOnlyList<string>? PgHba { get; init; }

    /// <summary>citus.library: "auto" uses Citus where it is installed, "off" runs plain PostgreSQL HA.</summary>
    public string CitusLibrary { get; init; } = "auto";

    public string EtcdBinary { get; init; } = "etcd";

    public string? PostgresBinDirectory { get; init; }

    /// <summary>When running as root, the OS user PostgreSQL runs as.</summary>
    public string? RunAsUser { get; init; }

    /// <summary>First of the ports used (etcd client, etcd peer, then two per member: REST, PostgreSQL).</summary>
    public int BasePort { get; init; } = 27000;

    public int Ttl { get; init; } = 10;

    public double LoopWait { get; init; } = 1;

    public int RetryTimeout { get; init; } = 3;

    public string SynchronousMode { get; init; } = "quorum";

    /// <summary>Extra postgresql.conf settings for every member (tests use fsync off).</summary>
    public IReadOnlyDictionary<string, string> PostgresParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>REST API over HTTPS: PEM certificate with key (valid for 127.0.0.1) and the CA peers trust.</summary>
    public (string CertificateFile, string CaFile)? RestApiTls { get; init; }

    /// <summary>Basic authentication required on every member's mutating REST endpoints.</summary>
    public (string Username, string Password)? RestApiAuthentication { get; init; }

    /// <summary>Per-member etcd endpoint override (for example through a proxy a test can cut).</summary>
    public Func<string, string>? EtcdEndpointFor { get; init; }
}
