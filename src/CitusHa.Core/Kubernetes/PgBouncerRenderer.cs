using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;

namespace CitusHa.Core.Kubernetes;

/// <summary>
/// PgBouncer in front of the coordinator's primary Service: its ConfigMap (pgbouncer.ini, no secret),
/// a Deployment, the pooler Service clients use, and a PodDisruptionBudget. Clients log in with their
/// own PostgreSQL users: PgBouncer looks their SCRAM secrets up with auth_query as the superuser,
/// whose password an init container copies from the credentials Secret into an in-memory volume at
/// start (it is never rendered). Transaction pooling; the primary Service follows failovers, and
/// PgBouncer reconnects on its own.
/// </summary>
internal static class PgBouncerRenderer
{
    public const int Port = 6432;
    private const string ConfigMount = "/etc/pgbouncer";
    private const string AuthMount = "/etc/pgbouncer-auth";

    public static IEnumerable<IKubernetesObject> Render(ClusterManifestRequest request, ManifestNames names)
    {
        var labels = ClusterManifestRenderer.Labels(request, "pgbouncer");
        var selector = new Dictionary<string, string>
        {
            ["app.kubernetes.io/component"] = "pgbouncer",
            ["app.kubernetes.io/instance"] = request.Name,
            ["app.kubernetes.io/name"] = "citusha",
        };
        yield return new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap",
            Metadata = ClusterManifestRenderer.Meta(names.PgBouncer, request, labels),
            Data = new Dictionary<string, string> { ["pgbouncer.ini"] = Ini(request, names) },
        };
        yield return Deployment(request, names, labels, selector);
        yield return new V1Service
        {
            ApiVersion = "v1", Kind = "Service",
            Metadata = ClusterManifestRenderer.Meta(names.Pooler, request, labels),
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                Selector = selector,
                Ports = [new V1ServicePort { Name = "pgbouncer", Port = ClusterManifestRenderer.PostgresPort, TargetPort = "pgbouncer", Protocol = "TCP" }],
            },
        };
        yield return new V1PodDisruptionBudget
        {
            ApiVersion = "policy/v1", Kind = "PodDisruptionBudget",
            Metadata = ClusterManifestRenderer.Meta(names.PgBouncer, request, labels),
            Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = selector } },
        };
    }

    /// <summary>pgbouncer.ini: every database to the coordinator's primary Service; no password in it.</summary>
    public static string Ini(ClusterManifestRequest request, ManifestNames names)
    {
        var text = new StringBuilder();
        text.AppendLine("[databases]")
            .AppendLine(CultureInfo.InvariantCulture, $"* = host={names.Primary(0)}.{request.Namespace}.svc port={ClusterManifestRenderer.PostgresPort}")
            .AppendLine()
            .AppendLine("[pgbouncer]")
            .AppendLine("listen_addr = 0.0.0.0")
            .AppendLine(CultureInfo.InvariantCulture, $"listen_port = {Port}")
            .AppendLine("unix_socket_dir =")
            .AppendLine("auth_type = scram-sha-256")
            .AppendLine(CultureInfo.InvariantCulture, $"auth_file = {AuthMount}/userlist.txt")
            .AppendLine("auth_user = postgres")
            .AppendLine("auth_query = SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1")
            .AppendLine("pool_mode = transaction")
            .AppendLine("max_client_conn = 1000")
            .AppendLine("default_pool_size = 20")
            .AppendLine("server_check_query = SELECT 1")
            .AppendLine("server_lifetime = 3600")
            .AppendLine("ignore_startup_parameters = extra_float_digits,options");
        if (request.Tls)
        {
            // The coordinator's certificate names its primary Service: verify it (same CA as the members).
            text.AppendLine("server_tls_sslmode = verify-full")
                .AppendLine(CultureInfo.InvariantCulture, $"server_tls_ca_file = {ClusterManifestRenderer.TlsMount}/ca.crt");
        }
        else
        {
            text.AppendLine("server_tls_sslmode = prefer");
        }

        return text.ToString();
    }

    private static V1Deployment Deployment(ClusterManifestRequest request, ManifestNames names, Dictionary<string, string> labels, Dictionary<string, string> selector)
    {
        var secret = request.CredentialsSecret ?? names.DefaultCredentialsSecret;
        var mounts = new List<V1VolumeMount>
        {
            new() { Name = "config", MountPath = ConfigMount, ReadOnlyProperty = true },
            new() { Name = "auth", MountPath = AuthMount, ReadOnlyProperty = true },
        };
        var volumes = new List<V1Volume>
        {
            new() { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = names.PgBouncer } },
            new() { Name = "auth", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory" } },
            new() { Name = "credentials", Secret = new V1SecretVolumeSource { SecretName = secret, DefaultMode = 0b100_000_000 } },
        };
        if (request.Tls)
        {
            mounts.Add(new V1VolumeMount { Name = "tls", MountPath = ClusterManifestRenderer.TlsMount, ReadOnlyProperty = true });
            // Only the CA, to verify the coordinator: the coordinator's key stays out of this pod.
            volumes.Add(new V1Volume { Name = "tls", Secret = new V1SecretVolumeSource { SecretName = request.TlsSecret ?? names.TlsSecret(0), DefaultMode = 0b100_100_100, Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } });
        }

        return new V1Deployment
        {
            ApiVersion = "apps/v1", Kind = "Deployment",
            Metadata = ClusterManifestRenderer.Meta(names.PgBouncer, request, labels),
            Spec = new V1DeploymentSpec
            {
                Replicas = request.PgBouncerReplicas,
                Selector = new V1LabelSelector { MatchLabels = selector },
                Strategy = new V1DeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDeployment { MaxUnavailable = 0, MaxSurge = 1 } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        EnableServiceLinks = false,
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true },
                        Affinity = ClusterManifestRenderer.Spread(selector, required: false),
                        // The superuser's password reaches PgBouncer's auth_file at start, from the Secret's file, never from the manifest.
                        InitContainers =
                        [
                            new V1Container
                            {
                                Name = "userlist",
                                Image = request.PgBouncerImage,
                                ImagePullPolicy = "IfNotPresent",
                                // userlist.txt quotes with "; a " inside the password is doubled.
                                Command = ["sh", "-c", $"umask 077; printf '\"postgres\" \"%s\"\\n' \"$(sed 's/\"/\"\"/g' {ClusterManifestRenderer.SecretMount}/superuser-password)\" > {AuthMount}/userlist.txt"],
                                SecurityContext = ClusterManifestRenderer.RestrictedContainer(),
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "auth", MountPath = AuthMount },
                                    new V1VolumeMount { Name = "credentials", MountPath = ClusterManifestRenderer.SecretMount, ReadOnlyProperty = true },
                                ],
                            },
                        ],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "pgbouncer",
                                Image = request.PgBouncerImage,
                                ImagePullPolicy = "IfNotPresent",
                                Command = ["pgbouncer", $"{ConfigMount}/pgbouncer.ini"],
                                Ports = [new V1ContainerPort { Name = "pgbouncer", ContainerPort = Port, Protocol = "TCP" }],
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
                                },
                                LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "pgbouncer" }, PeriodSeconds = 10, FailureThreshold = 3 },
                                ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "pgbouncer" }, PeriodSeconds = 5, FailureThreshold = 1 },
                                SecurityContext = ClusterManifestRenderer.RestrictedContainer(),
                                VolumeMounts = mounts,
                            },
                        ],
                        Volumes = volumes,
                    },
                },
            },
        };
    }
}
