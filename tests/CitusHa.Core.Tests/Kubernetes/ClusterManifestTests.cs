using System.Runtime.CompilerServices;
using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Kubernetes;
using k8s.Models;

namespace CitusHa.Core.Tests.Kubernetes;

public sealed class ClusterManifestTests
{
    private static readonly ClusterManifestRequest Default = new() { Name = "sales", Namespace = "data", WorkerGroups = 2, MembersPerGroup = 3, EtcdEndpoints = ["etcd.etcd.svc:2379"] };

    private static readonly ClusterManifestRequest Production = Default with
    {
        Profile = ManifestProfile.Production,
        DeployEtcd = true,
        EtcdEndpoints = [],
        StorageClass = "premium-ssd",
        StorageSize = "100Gi",
        CpuRequest = "2",
        MemoryRequest = "8Gi",
        MemoryLimit = "8Gi",
        PostgresParameters = new Dictionary<string, string> { ["shared_buffers"] = "2GB", ["max_connections"] = "300" },
        CredentialsSecret = "sales-pg",
        TlsIssuer = "internal-ca",
        PgBouncer = true,
    };

    private static string GoldenPath(string name, [CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Golden", name);

    [Theory]
    [InlineData("default.yaml")]
    [InlineData("production.yaml")]
    public void Renders_the_reviewed_golden_file_byte_for_byte(string file)
    {
        var yaml = ManifestYaml.Serialize(ClusterManifestRenderer.Render(file == "default.yaml" ? Default : Production));
        var path = GoldenPath(file);
        if (Environment.GetEnvironmentVariable("CITUSHA_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, yaml);
        }

        yaml.ShouldBe(File.ReadAllText(path), $"the rendering changed: review it, then refresh {file} with CITUSHA_UPDATE_GOLDEN=1");
    }

    [Fact]
    public void Rendering_twice_gives_the_same_bytes_whatever_order_the_parameters_came_in()
    {
        var reordered = Production with { PostgresParameters = new Dictionary<string, string> { ["max_connections"] = "300", ["shared_buffers"] = "2GB" } };
        ManifestYaml.Serialize(ClusterManifestRenderer.Render(reordered)).ShouldBe(ManifestYaml.Serialize(ClusterManifestRenderer.Render(Production)));
    }

    [Fact]
    public void Every_group_gets_its_headless_and_primary_Service_StatefulSet_and_budget()
    {
        var objects = ClusterManifestRenderer.Render(Default);
        objects.OfType<V1StatefulSet>().Select(s => s.Metadata.Name).ShouldBe(["sales-coordinator", "sales-worker-1", "sales-worker-2"]);
        objects.OfType<V1PodDisruptionBudget>().Count().ShouldBe(3);
        objects.OfType<V1Service>().Select(s => s.Metadata.Name).ShouldBe(
            ["sales-coordinator-members", "sales-coordinator", "sales-coordinator-replicas", "sales-worker-1-members", "sales-worker-1", "sales-worker-2-members", "sales-worker-2"]);
        var worker = objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "sales-worker-2");
        worker.Spec.Replicas.ShouldBe(3);
        worker.Spec.Template.Spec.TerminationGracePeriodSeconds.ShouldBe(ClusterManifestRenderer.TerminationGracePeriodSeconds);
        worker.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "CITUSHA_CITUS_GROUP").Value.ShouldBe("2");
        worker.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "CITUSHA_POSTGRESQL_CONNECT_ADDRESS").Value
            .ShouldBe("$(CITUSHA_NAME).sales-worker-2-members.data.svc:5432", "members are registered by stable DNS name, never by pod IP");
        objects.OfType<V1Service>().Single(s => s.Metadata.Name == "sales-worker-2").Spec.Selector[ClusterManifestRenderer.RoleLabel].ShouldBe("primary");
    }

    [Fact]
    public void The_agent_may_only_get_and_patch_the_formations_own_pods()
    {
        var rule = ClusterManifestRenderer.Render(Default).OfType<V1Role>().Single().Rules.ShouldHaveSingleItem();
        rule.Verbs.ShouldBe(["get", "patch"]);
        rule.Resources.ShouldBe(["pods"]);
        rule.ResourceNames.Count.ShouldBe(9);
        rule.ResourceNames.ShouldContain("sales-worker-2-2");
    }

    [Fact]
    public void The_production_profile_requires_spreading_and_guaranteed_resources()
    {
        var set = ClusterManifestRenderer.Render(Production).OfType<V1StatefulSet>().First(s => s.Metadata.Name == "sales-coordinator");
        set.Spec.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution.ShouldHaveSingleItem().TopologyKey.ShouldBe("kubernetes.io/hostname");
        var resources = set.Spec.Template.Spec.Containers.Single().Resources;
        resources.Limits["memory"].ShouldBe(resources.Requests["memory"]);
        resources.Limits["cpu"].ShouldBe(resources.Requests["cpu"]);
        ClusterManifestRenderer.Render(Default).OfType<V1StatefulSet>().First().Spec.Template.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution.ShouldBeNull();
    }

    [Fact]
    public void No_secret_value_appears_anywhere_in_a_render()
    {
        var yaml = ManifestYaml.Serialize(ClusterManifestRenderer.Render(Production));
        yaml.ShouldNotContain("kind: Secret");
        var objects = ClusterManifestRenderer.Render(Production);
        foreach (var env in objects.OfType<V1StatefulSet>().SelectMany(s => s.Spec.Template.Spec.Containers).SelectMany(c => c.Env ?? []))
        {
            if (env.Name.Contains("PASSWORD", StringComparison.Ordinal))
            {
                env.Name.ShouldEndWith("_FILE", Case.Sensitive, $"{env.Name} would carry a secret in an env value; only *_FILE paths may");
                env.Value.ShouldStartWith("/etc/citusha/secrets/");
            }
        }

        objects.OfType<V1ConfigMap>().Single(m => m.Metadata.Name == "sales-config").Data["citusha.yml"].ShouldNotContain("password");
        var pooler = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "sales-pgbouncer").Spec.Template.Spec;
        pooler.InitContainers.Concat(pooler.Containers).SelectMany(c => c.Env ?? []).ShouldBeEmpty("PgBouncer reads the password from the Secret's file at start");
        objects.OfType<V1ConfigMap>().Single(m => m.Metadata.Name == "sales-pgbouncer").Data["pgbouncer.ini"].ShouldNotContain("password", Case.Insensitive);
    }

    [Fact]
    public void The_agent_loads_its_configuration_as_the_manifests_deliver_it()
    {
        // The ConfigMap's file, the container's env (downward API resolved as the kubelet does, $(VAR)
        // expanded), and the Secret's keys as files: the agent's own loader must accept them.
        var objects = ClusterManifestRenderer.Render(Production);
        var set = objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "sales-worker-1");
        var folder = Directory.CreateTempSubdirectory("citusha-k8s-").FullName;
        try
        {
            var config = Path.Combine(folder, "citusha.yml");
            // The TLS Secret's files, mounted where the ConfigMap's paths point.
            File.WriteAllText(config, objects.OfType<V1ConfigMap>().Single(m => m.Metadata.Name == "sales-config").Data["citusha.yml"].Replace("/etc/citusha/tls/", folder + "/", StringComparison.Ordinal));
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            var downward = new Dictionary<string, string> { ["metadata.name"] = "sales-worker-1-2", ["metadata.namespace"] = "data", ["status.podIP"] = "10.1.2.3" };
            foreach (var variable in set.Spec.Template.Spec.Containers.Single().Env)
            {
                var value = variable.ValueFrom?.FieldRef is { } field ? downward[field.FieldPath] : variable.Value;
                foreach (var (name, known) in env)
                {
                    value = value.Replace($"$({name})", known, StringComparison.Ordinal);
                }

                // The Secrets' keys (credentials, and the certificate cert-manager wrote), mounted where the variables point.
                if (variable.Name.EndsWith("_FILE", StringComparison.Ordinal) || value.StartsWith("/etc/citusha/tls/", StringComparison.Ordinal))
                {
                    var local = Path.Combine(folder, Path.GetFileName(value));
                    File.WriteAllText(local, "secret-" + Path.GetFileName(value));
                    value = local;
                }

                env[variable.Name] = value;
            }

            var settings = AgentSettingsLoader.Load(config, name => env.GetValueOrDefault(name));
            settings.Name.ShouldBe("sales-worker-1-2");
            settings.Group.ShouldBe(1);
            settings.Citus.ShouldNotBeNull();
            settings.Dcs.Scope.ShouldBe("sales");
            settings.RestApiConnectAddress.ShouldBe("sales-worker-1-2.sales-worker-1-members.data.svc:8008");
            settings.Postgres.SuperuserPassword.ShouldBe("secret-superuser-password");
            settings.Postgres.ReplicationPassword.ShouldBe("secret-replication-password");
            settings.Ha.FailsafeMode.ShouldBeTrue("the production profile turns failsafe_mode on");
            settings.RestApiCaFile.ShouldBe(Path.Combine(folder, "ca.crt"), "with TLS the REST API verifies peers against the group's CA");
            settings.Postgres.Parameters["ssl"].ShouldBe("on");
            settings.Postgres.Parameters["ssl_cert_file"].ShouldBe(Path.Combine(folder, "tls.crt"));
            settings.Postgres.ReplicationTls.ShouldBe(new CitusHa.Core.Postgres.ClientTls("verify-full", Path.Combine(folder, "ca.crt")), "streaming and copies verify the peer's certificate and name");
            settings.Postgres.SuperuserTls.Mode.ShouldBe("verify-full");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_provided_TLS_Secret_is_mounted_by_every_group_and_no_Certificate_is_rendered()
    {
        var objects = ClusterManifestRenderer.Render(Default with { TlsSecret = "sales-tls" });
        objects.OfType<CertManagerCertificate>().ShouldBeEmpty();
        foreach (var set in objects.OfType<V1StatefulSet>())
        {
            var pod = set.Spec.Template.Spec;
            pod.Volumes.Single(v => v.Name == "tls").Secret.SecretName.ShouldBe("sales-tls");
            pod.Containers.Single().Env.Single(e => e.Name == "CITUSHA_RESTAPI_CAFILE").Value.ShouldBe("/etc/citusha/tls/ca.crt");
            pod.Containers.Single().ReadinessProbe.HttpGet.Scheme.ShouldBe("HTTPS");
        }

        var issued = ClusterManifestRenderer.Render(Default with { TlsIssuer = "team-ca", TlsIssuerKind = "Issuer" }).OfType<CertManagerCertificate>().ToList();
        issued.Select(c => c.Spec.SecretName).ShouldBe(["sales-coordinator-tls", "sales-worker-1-tls", "sales-worker-2-tls"]);
        issued[1].Spec.DnsNames.ShouldContain("*.sales-worker-1-members.data.svc", customMessage: "every member's stable name, for verify-full");
        issued[1].Spec.IssuerRef.Kind.ShouldBe("Issuer");
        ClusterManifestRenderer.Render(Default).OfType<V1StatefulSet>().First().Spec.Template.Spec.Volumes.ShouldNotContain(v => v.Name == "tls");
    }

    public static TheoryData<string, ClusterManifestRequest, string> BadRequests => new()
    {
        { "upper case", Default with { Name = "Sales" }, "-Name" },
        { "two sources of certificates", Default with { TlsIssuer = "ca", TlsSecret = "sales-tls" }, "-TlsIssuer" },
        { "an issuer kind cert-manager does not have", Default with { TlsIssuer = "ca", TlsIssuerKind = "Vault" }, "-TlsIssuerKind" },
        { "starts with a digit (Services are DNS-1035)", Default with { Name = "1sales" }, "-Name" },
        { "too long once suffixed", Default with { Name = new string('a', 45) }, "-Name" },
        { "bad namespace", Default with { Namespace = "Data_Team" }, "-Namespace" },
        { "zero workers", Default with { WorkerGroups = 0 }, "-WorkerGroups" },
        { "no members", Default with { MembersPerGroup = 0 }, "-MembersPerGroup" },
        { "production with two members cannot keep quorum", Production with { MembersPerGroup = 2 }, "-MembersPerGroup" },
        { "both etcd options", Default with { DeployEtcd = true }, "-DeployEtcd" },
        { "no etcd at all", Default with { EtcdEndpoints = [] }, "-EtcdEndpoint" },
        { "an endpoint without port", Default with { EtcdEndpoints = ["etcd.etcd.svc"] }, "-EtcdEndpoint" },
        { "a parameter that is not a name", Default with { PostgresParameters = new Dictionary<string, string> { ["shared buffers; DROP"] = "1" } }, "-PostgresParameter" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Bad_input_is_refused_with_an_error_naming_the_parameter(string situation, ClusterManifestRequest request, string parameter)
    {
        var error = Should.Throw<CitusHaException>(() => ClusterManifestRenderer.Render(request), situation);
        error.Kind.ShouldBe(CitusErrorKind.InvalidArgument);
        error.Message.ShouldStartWith(parameter + ":", Case.Sensitive, situation);
        error.Message.ShouldContain("Nothing was rendered");
    }
}
