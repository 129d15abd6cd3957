namespace CitusHa.Core.Kubernetes;

/// <summary>How hard the rendered formation insists on spreading and on synchronous commit.</summary>
public enum ManifestProfile
{
    /// <summary>Preferred pod anti-affinity (a small or single-node cluster still schedules), quorum commit.</summary>
    Default,

    /// <summary>Required anti-affinity across nodes, at least three members per group, requests equal to limits, failsafe_mode.</summary>
    Production,
}

/// <summary>
/// Everything a Citus formation on Kubernetes is rendered from (New-CitusCluster's parameters).
/// Secrets are referenced by name, never carried: the rendered objects hold no password.
/// </summary>
public sealed record ClusterManifestRequest
{
    /// <summary>The formation's name: the etcd scope and the prefix of every object's name.</summary>
    public required string Name { get; init; }

    public string Namespace { get; init; } = "default";

    /// <summary>Worker groups 1..N beside the coordinator (group 0).</summary>
    public int WorkerGroups { get; init; } = 2;

    public int MembersPerGroup { get; init; } = 3;

    public ManifestProfile Profile { get; init; } = ManifestProfile.Default;

    /// <summary>The agent image (PostgreSQL, Citus and the agent).</summary>
    public string Image { get; init; } = "ghcr.io/citusha/citusha-agent:0.1.0";

    public string? StorageClass { get; init; }

    public string StorageSize { get; init; } = "10Gi";

    public string CpuRequest { get; init; } = "500m";

    public string MemoryRequest { get; init; } = "1Gi";

    /// <summary>Null: no CPU limit (throttling a primary harms its lease renewals more than it protects neighbours).</summary>
    public string? CpuLimit { get; init; }

    public string? MemoryLimit { get; init; } = "2Gi";

    /// <summary>postgresql.parameters for every member (sorted when rendered).</summary>
    public IReadOnlyDictionary<string, string> PostgresParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>An existing etcd (host:port each); empty with <see cref="DeployEtcd"/>.</summary>
    public IReadOnlyList<string> EtcdEndpoints { get; init; } = [];

    /// <summary>Render a three-member etcd StatefulSet for this formation.</summary>
    public bool DeployEtcd { get; init; }

    public string EtcdImage { get; init; } = "gcr.io/etcd-development/etcd:v3.5.17";

    /// <summary>The Secret with keys superuser-password, replication-password, restapi-password.</summary>
    public string? CredentialsSecret { get; init; }

    /// <summary>
    /// A cert-manager issuer: each group gets a Certificate (Secret &lt;group&gt;-tls) for its members'
    /// DNS names, and PostgreSQL and the REST API serve TLS with it. Null: no cert-manager objects.
    /// </summary>
    public string? TlsIssuer { get; init; }

    /// <summary>ClusterIssuer (default) or Issuer (in the formation's namespace).</summary>
    public string TlsIssuerKind { get; init; } = "ClusterIssuer";

    /// <summary>
    /// A kubernetes.io/tls Secret the user provides (tls.crt, tls.key, ca.crt) whose certificate names
    /// every group's members (*.&lt;group&gt;-members.&lt;namespace&gt;.svc); used by every group. Exclusive with <see cref="TlsIssuer"/>.
    /// </summary>
    public string? TlsSecret { get; init; }

    /// <summary>TLS is on when an issuer or a Secret is given.</summary>
    public bool Tls => TlsIssuer is not null || TlsSecret is not null;

    /// <summary>Render PgBouncer in front of the coordinator's primary (a Deployment, its ConfigMap, Service and PodDisruptionBudget).</summary>
    public bool PgBouncer { get; init; }

    /// <summary>Any image with the pgbouncer binary on its PATH, a POSIX sh, and a non-root numeric USER.</summary>
    public string PgBouncerImage { get; init; } = "ghcr.io/cloudnative-pg/pgbouncer:1.24.1";

    public int PgBouncerReplicas { get; init; } = 2;

    /// <summary>The user id the image runs PostgreSQL and the agent as (the postgres user).</summary>
    public long RunAsUser { get; init; } = 999;
}
