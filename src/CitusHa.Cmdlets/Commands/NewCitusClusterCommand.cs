using System.Collections;
using System.Globalization;
using System.Management.Automation;
using CitusHa.Core.Kubernetes;
using CitusHa.Core.Operations;

namespace CitusHa.Commands;

/// <summary>
/// <para type="synopsis">Renders the Kubernetes objects of a highly available Citus formation: RBAC, the agent's configuration, and per group a StatefulSet, Services and a PodDisruptionBudget.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "CitusCluster", DefaultParameterSetName = ObjectsSet, SupportsShouldProcess = true)]
[OutputType("k8s.Models.V1StatefulSet", "k8s.Models.V1Service", "k8s.Models.V1ConfigMap", ParameterSetName = [ObjectsSet])]
[OutputType(typeof(string), ParameterSetName = [YamlSet])]
[OutputType(typeof(FileInfo), ParameterSetName = [FileSet])]
public sealed class NewCitusClusterCommand : CitusCmdletBase
{
    private const string ObjectsSet = "Objects";
    private const string YamlSet = "Yaml";
    private const string FileSet = "File";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    [Parameter]
    public int WorkerGroups { get; set; } = 2;

    [Parameter]
    public int MembersPerGroup { get; set; } = 3;

    // A string, not the engine's enum: parameter types are read when the module is imported, before
    // the engine's isolated load context is hooked.
    [Parameter]
    [ValidateSet("Default", "Production")]
    public string Profile { get; set; } = "Default";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorageClass { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string StorageSize { get; set; } = "10Gi";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CpuRequest { get; set; } = "500m";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string MemoryRequest { get; set; } = "1Gi";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CpuLimit { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string MemoryLimit { get; set; } = "2Gi";

    [Parameter]
    public Hashtable? PostgresParameter { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] EtcdEndpoint { get; set; } = [];

    [Parameter]
    public SwitchParameter DeployEtcd { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CredentialsSecret { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsIssuer { get; set; }

    [Parameter]
    [ValidateSet("ClusterIssuer", "Issuer")]
    public string TlsIssuerKind { get; set; } = "ClusterIssuer";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsSecret { get; set; }

    [Parameter]
    public SwitchParameter PgBouncer { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PgBouncerImage { get; set; }

    [Parameter]
    public int PgBouncerReplicas { get; set; } = 2;

    [Parameter(Mandatory = true, ParameterSetName = YamlSet)]
    public SwitchParameter AsYaml { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = string.Empty;

    [Parameter(ParameterSetName = FileSet)]
    public SwitchParameter OneFilePerObject { get; set; }

    protected override void EndProcessing()
    {
        var request = new ClusterManifestRequest
        {
            Name = Name,
            Namespace = Namespace,
            WorkerGroups = WorkerGroups,
            MembersPerGroup = MembersPerGroup,
            Profile = Profile == "Production" ? ManifestProfile.Production : ManifestProfile.Default,
            StorageClass = StorageClass,
            StorageSize = StorageSize,
            CpuRequest = CpuRequest,
            MemoryRequest = MemoryRequest,
            CpuLimit = CpuLimit,
            MemoryLimit = MemoryLimit,
            PostgresParameters = (PostgresParameter ?? []).Cast<DictionaryEntry>()
                .ToDictionary(e => Convert.ToString(e.Key, CultureInfo.InvariantCulture)!, e => Convert.ToString(e.Value, CultureInfo.InvariantCulture) ?? string.Empty, StringComparer.Ordinal),
            EtcdEndpoints = EtcdEndpoint.SelectMany(e => e.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList(),
            DeployEtcd = DeployEtcd,
            CredentialsSecret = CredentialsSecret,
            TlsIssuer = TlsIssuer,
            TlsIssuerKind = TlsIssuerKind,
            TlsSecret = TlsSecret,
            PgBouncer = PgBouncer,
            PgBouncerReplicas = PgBouncerReplicas,
        };
        if (PgBouncerImage is not null)
        {
            request = request with { PgBouncerImage = PgBouncerImage };
        }
        if (Image is not null)
        {
            request = request with { Image = Image };
        }

        switch (ParameterSetName)
        {
            case YamlSet:
                WriteObject(RunCore(_ => Task.FromResult(ClusterManifests.Yaml(request))));
                break;
            case FileSet:
                WriteFiles(RunCore(_ => Task.FromResult(ClusterManifests.Files(request, GetUnresolvedProviderPathFromPSPath(OutputPath), OneFilePerObject))));
                break;
            default:
                foreach (var item in RunCore(_ => Task.FromResult(ClusterManifests.Render(request))))
                {
                    WriteObject(item);
                }

                break;
        }
    }

    private void WriteFiles(IReadOnlyList<(string Path, string Text)> files)
    {
        foreach (var (path, text) in files)
        {
            if (ShouldProcess(path, "Write Kubernetes manifest"))
            {
                if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
                {
                    Directory.CreateDirectory(directory);
                }

                File.WriteAllText(path, text);
                WriteObject(new FileInfo(path));
            }
        }
    }
}
