using System.Globalization;
using System.Text;
using CitusHa.Core.Errors;
using k8s;
using k8s.Models;

namespace CitusHa.Core.Kubernetes;

/// <summary>
/// Renders a formation to Kubernetes objects (KUBERNETES.md "What a cluster renders to"): RBAC for
/// the agent, the agent's configuration, and per Citus group a headless Service, a primary Service,
/// a StatefulSet and a PodDisruptionBudget; optionally a three-member etcd. Pure and deterministic:
/// the same request gives the same objects in the same order, with sorted labels and parameters.
/// </summary>
public static class ClusterManifestRenderer
{
    public const string FieldManager = "CitusHa";
    public const string GroupLabel = "citusha.io/group";
    public const string RoleLabel = "citusha.io/role";
    public const int PostgresPort = 5432;
    public const int ApiPort = 8008;

    /// <summary>
    /// SIGTERM to a primary's agent hands over before PostgreSQL stops: a checkpoint, the fast stop,
    /// the release of the key and the standby's promotion take seconds; the grace period leaves a
    /// ttl (10 s) plus 30 s for a slow checkpoint on top, so the kubelet never kills it mid-hand-over.
    /// </summary>
    public const long TerminationGracePeriodSeconds = 60;

    private const string DataMount = "/var/lib/postgresql/data";
    private const string ConfigMount = "/etc/citusha";
    internal const string SecretMount = "/etc/citusha/secrets";
    internal const string TlsMount = "/etc/citusha/tls";

    public static IReadOnlyList<IKubernetesObject> Render(ClusterManifestRequest request)
    {
        ManifestNames.Validate(request);
        var names = new ManifestNames(request.Name, request.Namespace);
        var objects = new List<IKubernetesObject>
        {
            ServiceAccount(request, names),
            Role(request, names),
            RoleBinding(request, names),
            ConfigMap(request, names),
        };
        if (request.DeployEtcd)
        {
            objects.AddRange(Etcd(request, names));
        }

        foreach (var group in Groups(request))
        {
            objects.Add(HeadlessService(request, names, group));
            objects.Add(PrimaryService(request, names, group));
            if (group == 0)
            {
                objects.Add(ReplicaService(request, names));
            }

            if (request.TlsIssuer is not null)
            {
                objects.Add(Certificate(request, names, group));
            }

            objects.Add(StatefulSet(request, names, group));
            objects.Add(DisruptionBudget(request, names, group));
        }

        if (request.PgBouncer)
        {
            objects.AddRange(PgBouncerRenderer.Render(request, names));
        }

        return objects;
    }

    /// <summary>
    /// What adding <paramref name="count"/> worker groups to the formation <paramref name="request"/>
    /// describes changes: the ConfigMap (its recorded parameters), the Role (it names every pod), and
    /// each new group's objects. Taken from a render of the grown formation, so they are byte-identical
    /// to what New-CitusCluster renders for it.
    /// </summary>
    public static IReadOnlyList<IKubernetesObject> RenderAddedWorkers(ClusterManifestRequest request, int count)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (count < 1)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifestParameter, $"-Count: {count} worker groups to add; give 1 or more. Nothing was rendered.", "Count");
        }

        var grown = request with { WorkerGroups = request.WorkerGroups + count };
        var added = Enumerable.Range(request.WorkerGroups + 1, count).ToHashSet();
        var names = new ManifestNames(request.Name, request.Namespace);
        return [.. Render(grown).Where(o => IsFormationRecord(o, names) || (GroupOf(o) is { } g && added.Contains(g)))];
    }

    /// <summary>
    /// Removing the last <paramref name="count"/> worker groups: the objects to update (ConfigMap,
    /// Role) and, separately, the objects to delete. Only the highest-numbered groups can go, so the
    /// remaining groups keep their names and numbers; at least one worker group stays.
    /// </summary>
    public static (IReadOnlyList<IKubernetesObject> Update, IReadOnlyList<IKubernetesObject> Delete) RenderRemovedWorkers(ClusterManifestRequest request, int count)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (count < 1 || count >= request.WorkerGroups)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifestParameter,
                $"-Count: {count} of the formation's {request.WorkerGroups} worker groups cannot be removed; give 1 to {request.WorkerGroups - 1} (a Citus formation keeps at least one worker group). Nothing was changed.", "Count");
        }

        var shrunk = request with { WorkerGroups = request.WorkerGroups - count };
        var removed = Enumerable.Range(shrunk.WorkerGroups + 1, count).ToHashSet();
        var names = new ManifestNames(request.Name, request.Namespace);
        return ([.. Render(shrunk).Where(o => IsFormationRecord(o, names))], [.. Render(request).Where(o => GroupOf(o) is { } g && removed.Contains(g))]);
    }

    /// <summary>The objects that change with the number of groups: the agents' ConfigMap (the recorded parameters) and the Role (it names every pod).</summary>
    private static bool IsFormationRecord(IKubernetesObject value, ManifestNames names) =>
        (value is V1ConfigMap map && map.Metadata.Name == names.ConfigMap) || value is V1Role;

    /// <summary>The Citus group an object belongs to (its group label), or null for formation-wide objects.</summary>
    public static int? GroupOf(IKubernetesObject value) =>
        value is IMetadata<V1ObjectMeta> { Metadata.Labels: { } labels } && labels.TryGetValue(GroupLabel, out var g)
            && int.TryParse(g, NumberStyles.Integer, CultureInfo.InvariantCulture, out var group) ? group : null;

    /// <summary>The etcd endpoints the agents use: the user's, or the rendered etcd's members.</summary>
    public static IReadOnlyList<string> EtcdHosts(ClusterManifestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var names = new ManifestNames(request.Name, request.Namespace);
        return request.DeployEtcd
            ? [.. Enumerable.Range(0, 3).Select(i => $"{names.EtcdStatefulSet}-{i}.{names.EtcdService}.{request.Namespace}.svc:2379")]
            : request.EtcdEndpoints;
    }

    /// <summary>The agent's configuration file (the ConfigMap's citusha.yml): no secret in it.</summary>
    public static string AgentConfiguration(ClusterManifestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var yaml = new StringBuilder();
        yaml.AppendLine(CultureInfo.InvariantCulture, $"scope: {request.Name}")
            .AppendLine("namespace: /service/")
            .AppendLine("etcd3:")
            .AppendLine(CultureInfo.InvariantCulture, $"  hosts: {string.Join(",", EtcdHosts(request))}")
            .AppendLine("citus:")
            .AppendLine("  database: citus")
            .AppendLine("  group: 0 # each StatefulSet sets its own through CITUSHA_CITUS_GROUP")
            .AppendLine("restapi:")
            .AppendLine(CultureInfo.InvariantCulture, $"  listen: 0.0.0.0:{ApiPort}")
            .AppendLine("  authentication:")
            .AppendLine("    username: citusha")
            .AppendLine("bootstrap:")
            .AppendLine("  dcs:")
            .AppendLine("    ttl: 10")
            .AppendLine("    loop_wait: 1")
            .AppendLine("    retry_timeout: 3")
            .AppendLine("    synchronous_mode: quorum")
            .AppendLine(CultureInfo.InvariantCulture, $"    failsafe_mode: {(request.Profile == ManifestProfile.Production ? "true" : "false")}")
            .AppendLine("postgresql:")
            .AppendLine(CultureInfo.InvariantCulture, $"  listen: 0.0.0.0:{PostgresPort}")
            .AppendLine(CultureInfo.InvariantCulture, $"  data_dir: {DataMount}/pgdata")
            .AppendLine("  authentication:")
            .AppendLine("    superuser:")
            .AppendLine("      username: postgres")
            .Append(ClientTls(request))
            .AppendLine("    replication:")
            .AppendLine("      username: replicator")
            .Append(ClientTls(request));
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.Tls)
        {
            // The certificate every member serves (its DNS name is in it); the user's parameters win.
            parameters["ssl"] = "on";
            parameters["ssl_cert_file"] = $"{TlsMount}/tls.crt";
            parameters["ssl_key_file"] = $"{TlsMount}/tls.key";
            parameters["ssl_ca_file"] = $"{TlsMount}/ca.crt";
            // Citus' own connections between nodes (by their stable names) check the certificate too.
            parameters["citus.node_conninfo"] = $"sslmode=verify-full sslrootcert={TlsMount}/ca.crt";
        }

        foreach (var (key, value) in request.PostgresParameters)
        {
            parameters[key] = value;
        }

        if (parameters.Count > 0)
        {
            yaml.AppendLine("  parameters:");
            foreach (var (key, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"    {key}: '{value.Replace("'", "''", StringComparison.Ordinal)}'");
            }
        }

        yaml.AppendLine("citusha:")
            .AppendLine(CultureInfo.InvariantCulture, $"  state_dir: {DataMount}/state")
            .AppendLine("watchdog:")
            .AppendLine("  mode: automatic");
        return yaml.ToString();
    }

    /// <summary>With TLS, the agents' own connections to peers (streaming, pg_basebackup, pg_rewind) verify the peer's certificate and name.</summary>
    private static string ClientTls(ClusterManifestRequest request) => request.Tls
        ? $"      sslmode: verify-full\n      sslrootcert: {TlsMount}/ca.crt\n"
        : string.Empty;

    /// <summary>The coordinator (group 0), then the worker groups 1..N.</summary>
    private static IEnumerable<int> Groups(ClusterManifestRequest request) => Enumerable.Range(0, request.WorkerGroups + 1);

    internal static Dictionary<string, string> Labels(ClusterManifestRequest request, string component, int? group = null)
    {
        // Inserted in sorted order: the serialized YAML keeps insertion order.
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["app.kubernetes.io/component"] = component,
            ["app.kubernetes.io/instance"] = request.Name,
            ["app.kubernetes.io/managed-by"] = FieldManager,
            ["app.kubernetes.io/name"] = "citusha",
            ["app.kubernetes.io/part-of"] = "citusha",
        };
        if (group is { } g)
        {
            labels[GroupLabel] = g.ToString(CultureInfo.InvariantCulture);
        }

        return new Dictionary<string, string>(labels);
    }

    private static Dictionary<string, string> GroupSelector(ClusterManifestRequest request, int group) => new()
    {
        ["app.kubernetes.io/instance"] = request.Name,
        ["app.kubernetes.io/name"] = "citusha",
        [GroupLabel] = group.ToString(CultureInfo.InvariantCulture),
    };

    private static string Component(int group) => group == 0 ? "coordinator" : "worker";

    internal static V1ObjectMeta Meta(string name, ClusterManifestRequest request, Dictionary<string, string> labels) =>
        new() { Name = name, NamespaceProperty = request.Namespace, Labels = labels };

    private static V1ServiceAccount ServiceAccount(ClusterManifestRequest request, ManifestNames names) => new()
    {
        ApiVersion = "v1", Kind = "ServiceAccount",
        Metadata = Meta(names.ServiceAccount, request, Labels(request, "agent")),
        AutomountServiceAccountToken = true,
    };

    /// <summary>
    /// Only get and patch, only on this formation's own pods (RBAC cannot say "the caller's own pod";
    /// the pod names are the closest it allows). The agent keeps its pod's role label with it.
    /// </summary>
    private static V1Role Role(ClusterManifestRequest request, ManifestNames names)
    {
        var pods = Groups(request).SelectMany(g => Enumerable.Range(0, request.MembersPerGroup).Select(i => names.Pod(g, i))).ToList();
        return new V1Role
        {
            ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "Role",
            Metadata = Meta(names.ServiceAccount, request, Labels(request, "agent")),
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], ResourceNames = pods, Verbs = ["get", "patch"] }],
        };
    }

    private static V1RoleBinding RoleBinding(ClusterManifestRequest request, ManifestNames names) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "RoleBinding",
        Metadata = Meta(names.ServiceAccount, request, Labels(request, "agent")),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = names.ServiceAccount },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = names.ServiceAccount, NamespaceProperty = request.Namespace }],
    };

    private static V1ConfigMap ConfigMap(ClusterManifestRequest request, ManifestNames names) => new()
    {
        ApiVersion = "v1", Kind = "ConfigMap",
        Metadata = Meta(names.ConfigMap, request, Labels(request, "agent")) with
        {
            // What Add-CitusWorker and Remove-CitusWorker render later groups from.
            Annotations = new Dictionary<string, string> { [RenderRequestAnnotation.Key] = RenderRequestAnnotation.Encode(request) },
        },
        Data = new Dictionary<string, string> { ["citusha.yml"] = AgentConfiguration(request) },
    };

    private static V1Service HeadlessService(ClusterManifestRequest request, ManifestNames names, int group) => new()
    {
        ApiVersion = "v1", Kind = "Service",
        Metadata = Meta(names.Members(group), request, Labels(request, Component(group), group)),
        Spec = new V1ServiceSpec
        {
            ClusterIP = "None",
            // Members must resolve each other while not ready (a starting standby clones from its leader).
            PublishNotReadyAddresses = true,
            Selector = GroupSelector(request, group),
            Ports = [Port("postgresql", PostgresPort), Port("api", ApiPort)],
        },
    };

    private static V1Service PrimaryService(ClusterManifestRequest request, ManifestNames names, int group) => new()
    {
        ApiVersion = "v1", Kind = "Service",
        Metadata = Meta(names.Primary(group), request, Labels(request, Component(group), group)),
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = new Dictionary<string, string>(GroupSelector(request, group)) { [RoleLabel] = "primary" },
            Ports = [Port("postgresql", PostgresPort)],
        },
    };

    private static V1Service ReplicaService(ClusterManifestRequest request, ManifestNames names) => new()
    {
        ApiVersion = "v1", Kind = "Service",
        Metadata = Meta(names.Replicas, request, Labels(request, "coordinator", 0)),
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = new Dictionary<string, string>(GroupSelector(request, 0)) { [RoleLabel] = "replica" },
            Ports = [Port("postgresql", PostgresPort)],
        },
    };

    private static V1ServicePort Port(string name, int port) => new() { Name = name, Port = port, TargetPort = name, Protocol = "TCP" };

    private static V1PodDisruptionBudget DisruptionBudget(ClusterManifestRequest request, ManifestNames names, int group) => new()
    {
        ApiVersion = "policy/v1", Kind = "PodDisruptionBudget",
        Metadata = Meta(names.Group(group), request, Labels(request, Component(group), group)),
        Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = GroupSelector(request, group) } },
    };

    private static V1StatefulSet StatefulSet(ClusterManifestRequest request, ManifestNames names, int group)
    {
        var labels = Labels(request, Component(group), group);
        var secret = request.CredentialsSecret ?? names.DefaultCredentialsSecret;
        var container = new V1Container
        {
            Name = "agent",
            Image = request.Image,
            ImagePullPolicy = "IfNotPresent",
            Args = ["run", "-c", $"{ConfigMount}/citusha.yml"],
            Ports =
            [
                new V1ContainerPort { Name = "postgresql", ContainerPort = PostgresPort, Protocol = "TCP" },
                new V1ContainerPort { Name = "api", ContainerPort = ApiPort, Protocol = "TCP" },
            ],
            Env =
            [
                FieldEnv("CITUSHA_NAME", "metadata.name"),
                FieldEnv("CITUSHA_POD_NAMESPACE", "metadata.namespace"),
                FieldEnv("CITUSHA_POD_IP", "status.podIP"),
                ValueEnv("CITUSHA_CITUS_GROUP", group.ToString(CultureInfo.InvariantCulture)),
                // Peers and the coordinator reach a member by its stable DNS name, never its pod IP.
                ValueEnv("CITUSHA_POSTGRESQL_CONNECT_ADDRESS", $"$(CITUSHA_NAME).{names.Members(group)}.{request.Namespace}.svc:{PostgresPort}"),
                ValueEnv("CITUSHA_RESTAPI_CONNECT_ADDRESS", $"$(CITUSHA_NAME).{names.Members(group)}.{request.Namespace}.svc:{ApiPort}"),
                // Secrets as files (the loader's *_FILE variables): never an env value, never in the ConfigMap.
                ValueEnv("CITUSHA_SUPERUSER_PASSWORD_FILE", $"{SecretMount}/superuser-password"),
                ValueEnv("CITUSHA_REPLICATION_PASSWORD_FILE", $"{SecretMount}/replication-password"),
                ValueEnv("CITUSHA_RESTAPI_PASSWORD_FILE", $"{SecretMount}/restapi-password"),
            ],
            Resources = Resources(request),
            LivenessProbe = Probe("/liveness", failureThreshold: 3, request.Tls),
            ReadinessProbe = Probe("/readiness", failureThreshold: 1, request.Tls),
            SecurityContext = RestrictedContainer(),
            VolumeMounts =
            [
                new V1VolumeMount { Name = "data", MountPath = DataMount },
                new V1VolumeMount { Name = "config", MountPath = ConfigMount, ReadOnlyProperty = true },
                new V1VolumeMount { Name = "credentials", MountPath = SecretMount, ReadOnlyProperty = true },
                new V1VolumeMount { Name = "run", MountPath = "/var/run/postgresql" },
                new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
            ],
        };
        if (request.Tls)
        {
            // The REST API serves the group's certificate too; peers and operators verify it against ca.crt.
            container.Env.Add(ValueEnv("CITUSHA_RESTAPI_CERTFILE", $"{TlsMount}/tls.crt"));
            container.Env.Add(ValueEnv("CITUSHA_RESTAPI_KEYFILE", $"{TlsMount}/tls.key"));
            container.Env.Add(ValueEnv("CITUSHA_RESTAPI_CAFILE", $"{TlsMount}/ca.crt"));
            container.VolumeMounts.Add(new V1VolumeMount { Name = "tls", MountPath = TlsMount, ReadOnlyProperty = true });
        }

        var storage = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(request.StorageSize) } },
            StorageClassName = request.StorageClass,
        };

        return new V1StatefulSet
        {
            ApiVersion = "apps/v1", Kind = "StatefulSet",
            Metadata = Meta(names.Group(group), request, labels),
            Spec = new V1StatefulSetSpec
            {
                Replicas = request.MembersPerGroup,
                ServiceName = names.Members(group),
                // Members start together: a whole group stopped and started again elects its most advanced member.
                PodManagementPolicy = "Parallel",
                Selector = new V1LabelSelector { MatchLabels = GroupSelector(request, group) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = names.ServiceAccount,
                        TerminationGracePeriodSeconds = TerminationGracePeriodSeconds,
                        EnableServiceLinks = false,
                        SecurityContext = new V1PodSecurityContext { RunAsUser = request.RunAsUser, RunAsGroup = request.RunAsUser, FsGroup = request.RunAsUser, RunAsNonRoot = true },
                        Affinity = AntiAffinity(request, group),
                        Containers = [container],
                        Volumes =
                        [
                            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = names.ConfigMap } },
                            new V1Volume { Name = "credentials", Secret = new V1SecretVolumeSource { SecretName = secret, DefaultMode = 0b100_000_000 } },
                            new V1Volume { Name = "run", EmptyDir = new V1EmptyDirVolumeSource() },
                            new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() },
                            .. (request.Tls
                                // 0440: root owns Secret files; PostgreSQL accepts a root-owned key readable by its group (fsGroup).
                                ? new[] { new V1Volume { Name = "tls", Secret = new V1SecretVolumeSource { SecretName = request.TlsSecret ?? names.TlsSecret(group), DefaultMode = 0b100_100_000 } } }
                                : []),
                        ],
                    },
                },
                VolumeClaimTemplates = [new V1PersistentVolumeClaim { ApiVersion = "v1", Kind = "PersistentVolumeClaim", Metadata = new V1ObjectMeta { Name = "data", Labels = labels }, Spec = storage }],
            },
        };
    }

    /// <summary>
    /// cert-manager's Certificate for one group: every member's stable name (the wildcard of the
    /// headless Service, with and without the cluster domain) and the group's Services, so clients
    /// connecting by any of them can verify the host name (sslmode=verify-full).
    /// </summary>
    private static CertManagerCertificate Certificate(ClusterManifestRequest request, ManifestNames names, int group)
    {
        var members = $"{names.Members(group)}.{request.Namespace}.svc";
        var services = new List<string> { $"{names.Primary(group)}.{request.Namespace}.svc" };
        if (group == 0)
        {
            services.Add($"{names.Replicas}.{request.Namespace}.svc");
        }

        return new CertManagerCertificate
        {
            Metadata = Meta(names.Group(group), request, Labels(request, Component(group), group)),
            Spec = new CertificateSpec
            {
                SecretName = names.TlsSecret(group),
                CommonName = $"{names.Group(group)}.{request.Namespace}.svc",
                DnsNames = [$"*.{members}", $"*.{members}.cluster.local", .. services, .. services.Select(s => $"{s}.cluster.local")],
                Duration = "2160h",
                RenewBefore = "360h",
                Usages = ["server auth", "client auth", "digital signature", "key encipherment"],
                PrivateKey = new CertificatePrivateKey { Algorithm = "ECDSA", Size = 256, RotationPolicy = "Always" },
                IssuerRef = new CertificateIssuerRef { Kind = request.TlsIssuerKind, Name = request.TlsIssuer! },
            },
        };
    }

    private static V1Affinity AntiAffinity(ClusterManifestRequest request, int group) =>
        Spread(GroupSelector(request, group), required: request.Profile == ManifestProfile.Production);

    /// <summary>Pods matching <paramref name="selector"/> on different nodes: required, or preferred (a small cluster still schedules).</summary>
    internal static V1Affinity Spread(IDictionary<string, string> selector, bool required)
    {
        var term = new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = selector } };
        return new V1Affinity
        {
            PodAntiAffinity = required
                ? new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] }
                : new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 100, PodAffinityTerm = term }] },
        };
    }

    /// <summary>A container that cannot escalate, writes nothing outside its volumes, runs as non-root and holds no capability.</summary>
    internal static V1SecurityContext RestrictedContainer() => new()
    {
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        RunAsNonRoot = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    private static V1ResourceRequirements Resources(ClusterManifestRequest request)
    {
        var requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(request.CpuRequest), ["memory"] = new(request.MemoryRequest) };
        var limits = new Dictionary<string, ResourceQuantity>();
        if (request.Profile == ManifestProfile.Production)
        {
            // Guaranteed QoS: the last to be evicted under node pressure.
            limits["cpu"] = new(request.CpuLimit ?? request.CpuRequest);
            limits["memory"] = new(request.MemoryLimit ?? request.MemoryRequest);
            requests["memory"] = limits["memory"];
            requests["cpu"] = limits["cpu"];
        }
        else
        {
            if (request.CpuLimit is { } cpu)
            {
                limits["cpu"] = new(cpu);
            }

            if (request.MemoryLimit is { } memory)
            {
                limits["memory"] = new(memory);
            }
        }

        return new V1ResourceRequirements { Requests = requests, Limits = limits.Count == 0 ? null : limits };
    }

    private static V1Probe Probe(string path, int failureThreshold, bool tls) => new()
    {
        // The kubelet does not verify the certificate of an HTTPS probe: it only needs the scheme.
        HttpGet = new V1HTTPGetAction { Path = path, Port = "api", Scheme = tls ? "HTTPS" : "HTTP" },
        PeriodSeconds = 5,
        TimeoutSeconds = 3,
        FailureThreshold = failureThreshold,
    };

    private static V1EnvVar ValueEnv(string name, string value) => new() { Name = name, Value = value };

    private static V1EnvVar FieldEnv(string name, string path) => new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path, ApiVersion = "v1" } } };

    private static IEnumerable<IKubernetesObject> Etcd(ClusterManifestRequest request, ManifestNames names)
    {
        var labels = Labels(request, "etcd");
        var selector = new Dictionary<string, string> { ["app.kubernetes.io/component"] = "etcd", ["app.kubernetes.io/instance"] = request.Name };
        var peers = string.Join(",", Enumerable.Range(0, 3).Select(i => $"{names.EtcdStatefulSet}-{i}=http://{names.EtcdStatefulSet}-{i}.{names.EtcdService}.{request.Namespace}.svc:2380"));
        yield return new V1Service
        {
            ApiVersion = "v1", Kind = "Service",
            Metadata = Meta(names.EtcdService, request, labels),
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None", PublishNotReadyAddresses = true, Selector = selector,
                Ports = [new V1ServicePort { Name = "client", Port = 2379, TargetPort = "client", Protocol = "TCP" }, new V1ServicePort { Name = "peer", Port = 2380, TargetPort = "peer", Protocol = "TCP" }],
            },
        };
        yield return new V1StatefulSet
        {
            ApiVersion = "apps/v1", Kind = "StatefulSet",
            Metadata = Meta(names.EtcdStatefulSet, request, labels),
            Spec = new V1StatefulSetSpec
            {
                Replicas = 3, ServiceName = names.EtcdService, PodManagementPolicy = "Parallel",
                Selector = new V1LabelSelector { MatchLabels = selector },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        TerminationGracePeriodSeconds = 30,
                        EnableServiceLinks = false,
                        SecurityContext = new V1PodSecurityContext { RunAsUser = 1000, RunAsGroup = 1000, FsGroup = 1000, RunAsNonRoot = true },
                        Affinity = new V1Affinity
                        {
                            PodAntiAffinity = new V1PodAntiAffinity
                            {
                                PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 100, PodAffinityTerm = new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = selector } } }],
                            },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "etcd", Image = request.EtcdImage, ImagePullPolicy = "IfNotPresent",
                                Command =
                                [
                                    "etcd", "--name=$(POD_NAME)", "--data-dir=/var/lib/etcd",
                                    "--listen-client-urls=http://0.0.0.0:2379", "--listen-peer-urls=http://0.0.0.0:2380",
                                    $"--advertise-client-urls=http://$(POD_NAME).{names.EtcdService}.{request.Namespace}.svc:2379",
                                    $"--initial-advertise-peer-urls=http://$(POD_NAME).{names.EtcdService}.{request.Namespace}.svc:2380",
                                    $"--initial-cluster={peers}", "--initial-cluster-state=new", $"--initial-cluster-token={request.Name}-etcd",
                                ],
                                Env = [FieldEnv("POD_NAME", "metadata.name")],
                                Ports = [new V1ContainerPort { Name = "client", ContainerPort = 2379, Protocol = "TCP" }, new V1ContainerPort { Name = "peer", ContainerPort = 2380, Protocol = "TCP" }],
                                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("256Mi") } },
                                LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/health", Port = "client" }, PeriodSeconds = 10, TimeoutSeconds = 5 },
                                SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, ReadOnlyRootFilesystem = true, Capabilities = new V1Capabilities { Drop = ["ALL"] } },
                                VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/var/lib/etcd" }],
                            },
                        ],
                    },
                },
                VolumeClaimTemplates =
                [
                    new V1PersistentVolumeClaim
                    {
                        ApiVersion = "v1", Kind = "PersistentVolumeClaim",
                        Metadata = new V1ObjectMeta { Name = "data", Labels = labels },
                        Spec = new V1PersistentVolumeClaimSpec
                        {
                            AccessModes = ["ReadWriteOnce"], StorageClassName = request.StorageClass,
                            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("2Gi") } },
                        },
                    },
                ],
            },
        };
        yield return new V1PodDisruptionBudget
        {
            ApiVersion = "policy/v1", Kind = "PodDisruptionBudget",
            Metadata = Meta(names.EtcdStatefulSet, request, labels),
            Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = selector } },
        };
    }
}
