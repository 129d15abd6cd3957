using System.Globalization;
using System.Text.RegularExpressions;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Kubernetes;

/// <summary>
/// The names every rendered object gets, and the checks that keep them valid Kubernetes names once
/// suffixed (a StatefulSet's pods carry a controller-revision-hash label of the set's name plus 11
/// characters, so the set's name may have at most 52).
/// </summary>
public sealed partial class ManifestNames(string cluster, string ns)
{
    public const int MaxStatefulSetName = 52;
    public const int MaxLabel = 63;

    public string Cluster { get; } = cluster;

    public string Namespace { get; } = ns;

    public string ServiceAccount => $"{Cluster}-agent";

    public string ConfigMap => $"{Cluster}-config";

    public string DefaultCredentialsSecret => $"{Cluster}-credentials";

    public string EtcdStatefulSet => $"{Cluster}-etcd";

    public string EtcdService => $"{Cluster}-etcd";

    /// <summary>group 0: the coordinator; 1..N: workers.</summary>
    public string Group(int group) => group == 0 ? $"{Cluster}-coordinator" : $"{Cluster}-worker-{group.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The headless Service that gives every member a stable DNS name.</summary>
    public string Members(int group) => $"{Group(group)}-members";

    /// <summary>The Service that selects the group's primary (by the role label the agent keeps).</summary>
    public string Primary(int group) => Group(group);

    /// <summary>The coordinator's readable standbys.</summary>
    public string Replicas => $"{Group(0)}-replicas";

    /// <summary>PgBouncer's Deployment, ConfigMap and PodDisruptionBudget.</summary>
    public string PgBouncer => $"{Cluster}-pgbouncer";

    /// <summary>The Service clients connect to through PgBouncer.</summary>
    public string Pooler => $"{Cluster}-pooler";

    /// <summary>The Secret cert-manager writes a group's certificate to.</summary>
    public string TlsSecret(int group) => $"{Group(group)}-tls";

    public string Pod(int group, int ordinal) => $"{Group(group)}-{ordinal.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The stable DNS name a member is registered by in pg_dist_node and reached by its peers.</summary>
    public string MemberHost(int group, int ordinal) => $"{Pod(group, ordinal)}.{Members(group)}.{Namespace}.svc";

    /// <summary>Throws a terminating, parameter-naming error unless every name this request renders is valid.</summary>
    public static void Validate(ClusterManifestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Dns1035().IsMatch(request.Name))
        {
            throw Bad("Name", $"'{request.Name}' is not a valid name: use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (it prefixes Services, which Kubernetes requires to be DNS-1035 labels).");
        }

        if (request.Namespace.Length > MaxLabel || !Dns1123().IsMatch(request.Namespace))
        {
            throw Bad("Namespace", $"'{request.Namespace}' is not a valid namespace: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit.");
        }

        if (request.WorkerGroups < 1)
        {
            throw Bad("WorkerGroups", $"{request.WorkerGroups} worker groups were asked for; a Citus formation needs at least one worker group beside the coordinator.");
        }

        var minimum = request.Profile == ManifestProfile.Production ? 3 : 1;
        if (request.MembersPerGroup < minimum)
        {
            throw Bad("MembersPerGroup", request.Profile == ManifestProfile.Production
                ? $"{request.MembersPerGroup} members per group cannot keep quorum commit through a member's loss: the Production profile needs at least 3."
                : $"{request.MembersPerGroup} members per group: a group needs at least one member.");
        }

        if (request.MembersPerGroup > 9)
        {
            throw Bad("MembersPerGroup", $"{request.MembersPerGroup} members per group is more than this module supports (9); use more worker groups instead.");
        }

        var names = new ManifestNames(request.Name, request.Namespace);
        var lastGroup = request.WorkerGroups;
        foreach (var (name, limit, what) in new[]
        {
            (names.Group(lastGroup), MaxStatefulSetName, "its last worker group's StatefulSet"),
            (names.Group(0), MaxStatefulSetName, "the coordinator's StatefulSet"),
            (names.Members(lastGroup), MaxLabel, "its last worker group's headless Service"),
            (names.Replicas, MaxLabel, "the coordinator's replica Service"),
        })
        {
            if (name.Length > limit)
            {
                throw Bad("Name", $"'{request.Name}' is too long: {what} would be named '{name}' ({name.Length} characters, at most {limit}). Use a name of at most {request.Name.Length - (name.Length - limit)} characters.");
            }
        }

        if (request.DeployEtcd && request.EtcdEndpoints.Count > 0)
        {
            throw Bad("DeployEtcd", "-DeployEtcd and -EtcdEndpoint contradict each other: either the formation brings its own etcd or it uses yours. Drop one of them.");
        }

        if (!request.DeployEtcd && request.EtcdEndpoints.Count == 0)
        {
            throw Bad("EtcdEndpoint", "No etcd: give -EtcdEndpoint host:port (your etcd cluster) or -DeployEtcd (a three-member etcd rendered with the formation).");
        }

        foreach (var endpoint in request.EtcdEndpoints)
        {
            if (!HostPort().IsMatch(endpoint))
            {
                throw Bad("EtcdEndpoint", $"'{endpoint}' is not host:port (for example etcd.etcd.svc:2379).");
            }
        }

        if (request.PgBouncer && request.PgBouncerReplicas is < 1 or > 100)
        {
            throw Bad("PgBouncerReplicas", $"{request.PgBouncerReplicas} PgBouncer replicas: give 1 to 100 (2 or more keep the pooler up through a node's loss).");
        }

        if (request.TlsIssuer is not null && request.TlsSecret is not null)
        {
            throw Bad("TlsIssuer", "-TlsIssuer and -TlsSecret contradict each other: either cert-manager issues each group's certificate or you provide one Secret. Drop one of them.");
        }

        if (request.TlsIssuerKind is not ("ClusterIssuer" or "Issuer"))
        {
            throw Bad("TlsIssuerKind", $"'{request.TlsIssuerKind}' is not a cert-manager issuer kind: use ClusterIssuer or Issuer.");
        }

        foreach (var (value, parameter) in new[] { (request.TlsIssuer, "TlsIssuer"), (request.TlsSecret, "TlsSecret") })
        {
            if (value is not null && (value.Length > 253 || !Dns1123Subdomain().IsMatch(value)))
            {
                throw Bad(parameter, $"'{value}' is not a valid name (lower-case DNS-1123 subdomain, at most 253 characters).");
            }
        }

        if (request.CredentialsSecret is { } secret && (secret.Length > 253 || !Dns1123Subdomain().IsMatch(secret)))
        {
            throw Bad("CredentialsSecret", $"'{secret}' is not a valid Secret name (lower-case DNS-1123 subdomain, at most 253 characters).");
        }

        foreach (var key in request.PostgresParameters.Keys)
        {
            if (!ParameterName().IsMatch(key))
            {
                throw Bad("PostgresParameter", $"'{key}' is not a PostgreSQL parameter name.");
            }
        }
    }

    private static CitusHaException Bad(string parameter, string message) =>
        new(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifestParameter, $"-{parameter}: {message} Nothing was rendered.", parameter);

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPort();

    [GeneratedRegex(@"^[a-z_][a-z0-9_.]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();
}
