using System.Diagnostics;
using System.Runtime.CompilerServices;
using CitusHa.Core.Kubernetes;
using k8s;

namespace CitusHa.Core.Tests.Kubernetes;

/// <summary>
/// The rendered YAML against the Kubernetes API's own definitions. Two checks, each catching what the
/// other cannot: a strict round trip through KubernetesClient's models (generated from the official
/// OpenAPI document; strict mode refuses any field they do not define), and kubernetes-models' OpenAPI
/// validators (types, enums, formats, required fields) run by Node.js from tests/schema.
/// </summary>
public sealed class ManifestSchemaTests
{
    private static readonly ClusterManifestRequest Default = new() { Name = "sales", Namespace = "data", EtcdEndpoints = ["etcd.etcd.svc:2379"] };

    private static readonly ClusterManifestRequest Production = Default with
    {
        Profile = ManifestProfile.Production, DeployEtcd = true, EtcdEndpoints = [], StorageClass = "premium-ssd", CpuLimit = "2",
        PostgresParameters = new Dictionary<string, string> { ["shared_buffers"] = "2GB" },
        TlsIssuer = "internal-ca", // cert-manager Certificates: validated against cert-manager's own schema
        PgBouncer = true,
    };

    public static TheoryData<string> Profiles => new() { "default", "production" };

    private static string Yaml(string profile) => ManifestYaml.Serialize(ClusterManifestRenderer.Render(profile == "default" ? Default : Production));

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Every_document_reads_back_strictly_into_the_official_models_unchanged(string profile)
    {
        var yaml = Yaml(profile);
        var objects = KubernetesYaml.LoadAllFromString(yaml, ManifestYaml.CustomTypes, strict: true);
        objects.Count.ShouldBe(ClusterManifestRenderer.Render(profile == "default" ? Default : Production).Count);
        string.Join("---\n", objects.Select(o => ManifestYaml.Document((IKubernetesObject)o))).ShouldBe(yaml);
    }

    [Fact]
    public void The_strict_read_refuses_an_unknown_field()
    {
        // The control for the test above: a misspelt field must not pass.
        var misspelt = Yaml("default").Replace("  serviceName:", "  serviceNmae: x\n  serviceName:", StringComparison.Ordinal);
        Should.Throw<Exception>(() => KubernetesYaml.LoadAllFromString(misspelt, strict: true));
    }

    [KubernetesSchemaTheory]
    [MemberData(nameof(Profiles))]
    public void Every_document_passes_the_Kubernetes_OpenAPI_validators(string profile)
    {
        var (exitCode, output) = Validate(Yaml(profile));
        exitCode.ShouldBe(0, output);
        output.ShouldContain($"{ClusterManifestRenderer.Render(profile == "default" ? Default : Production).Count} valid, 0 invalid");
    }

    [KubernetesSchemaFact]
    public void The_validators_refuse_a_wrong_type_and_a_bad_enum()
    {
        var yaml = Yaml("default").Replace("replicas: 3", "replicas: three", StringComparison.Ordinal).Replace("podManagementPolicy: Parallel", "podManagementPolicy: AllAtOnce", StringComparison.Ordinal);
        var (exitCode, output) = Validate(yaml);
        exitCode.ShouldBe(1, output);
        output.ShouldContain("must be integer");
        output.ShouldContain("must be equal to one of the allowed values");
    }

    private static (int ExitCode, string Output) Validate(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"citusha-schema-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            var info = new ProcessStartInfo("node", [Path.Combine(KubernetesSchema.Folder, "validate.mjs"), file]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit(60_000).ShouldBeTrue("node validate.mjs did not finish within 60 s");
            return (process.ExitCode, output);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>Where the schema lane's validator lives, and whether it is installed (scripts/install-schema-validator.sh).</summary>
internal static class KubernetesSchema
{
    public static string Folder { get; } = Locate();

    public const string Missing = "Kubernetes schema lane: Node.js or tests/schema/node_modules (kubernetes-models) is not installed here; scripts/install-schema-validator.sh installs them";

    public static bool Available =>
        File.Exists(Path.Combine(Folder, "node_modules", "kubernetes-models", "package.json"))
        && (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, "node")));

    private static string Locate([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "schema"));
}

[AttributeUsage(AttributeTargets.Method)]
internal sealed class KubernetesSchemaFactAttribute : FactAttribute
{
    public KubernetesSchemaFactAttribute()
    {
        if (!KubernetesSchema.Available)
        {
            Skip = KubernetesSchema.Missing;
        }
    }
}

[AttributeUsage(AttributeTargets.Method)]
internal sealed class KubernetesSchemaTheoryAttribute : TheoryAttribute
{
    public KubernetesSchemaTheoryAttribute()
    {
        if (!KubernetesSchema.Available)
        {
            Skip = KubernetesSchema.Missing;
        }
    }
}
