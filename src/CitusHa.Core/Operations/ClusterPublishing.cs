using CitusHa.Core.Errors;
using CitusHa.Core.Kubernetes.Apply;
using k8s;

namespace CitusHa.Core.Operations;

/// <summary>
/// What Publish-CitusCluster calls: one connection to the API server chosen as kubectl would choose
/// it, then plan, apply and wait. Objects arrive as plain objects (the cmdlet assembly has no
/// Kubernetes reference) and are checked here.
/// </summary>
public sealed class ClusterPublishing : IDisposable
{
    private readonly k8s.Kubernetes client;
    private readonly ClusterPublisher publisher;

    private ClusterPublishing(KubernetesClientConfiguration configuration)
    {
        client = new k8s.Kubernetes(configuration);
        publisher = new ClusterPublisher(client);
    }

    /// <summary>The API server this session talks to.</summary>
    public string Server => client.BaseUri?.ToString() ?? string.Empty;

    public static ClusterPublishing Open(string? kubeconfig, string? context) => new(KubeconfigResolver.Resolve(kubeconfig, context));

    /// <summary>The objects of rendered YAML: one file, or every .yaml/.yml file of a directory in name order.</summary>
    public static IReadOnlyList<object> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList()
            : File.Exists(path) ? [path] : throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.ConfigFileNotFound, $"'{path}' does not exist. Pass the file or folder New-CitusCluster -OutputPath wrote.", path);
        var objects = new List<object>();
        foreach (var file in files)
        {
            try
            {
                objects.AddRange(KubernetesYaml.LoadAllFromString(File.ReadAllText(file), Kubernetes.ManifestYaml.CustomTypes).Where(o => o is not null));
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest, $"'{file}' is not Kubernetes YAML this module can read: {e.Message}", file, e);
            }
        }

        return objects;
    }

    public Task<IReadOnlyList<ManifestChange>> PlanAsync(IReadOnlyList<object> objects, bool forceConflicts, CancellationToken cancellationToken) =>
        publisher.PlanAsync(Typed(objects), forceConflicts, cancellationToken);

    public Task<ManifestChange> ApplyAsync(ManifestChange change, bool forceConflicts, CancellationToken cancellationToken) =>
        publisher.ApplyAsync(change, forceConflicts, cancellationToken);

    /// <summary>Plans and applies every object without asking (Secrets only created when missing): for callers that confirmed already, and for tests.</summary>
    public async Task<IReadOnlyList<ManifestChange>> PublishAsync(IReadOnlyList<object> objects, bool forceConflicts, CancellationToken cancellationToken)
    {
        var done = new List<ManifestChange>();
        foreach (var change in await PlanAsync(objects, forceConflicts, cancellationToken).ConfigureAwait(false))
        {
            done.Add(await ApplyAsync(change, forceConflicts, cancellationToken).ConfigureAwait(false));
        }

        return done;
    }

    /// <summary>Deletes one object; false when it was already gone.</summary>
    internal Task<bool> DeleteAsync(IKubernetesObject value, CancellationToken cancellationToken) => publisher.DeleteAsync(value, cancellationToken);

    /// <summary>Waits for a leader in every group the objects render (nothing to wait for without a StatefulSet).</summary>
    public async Task<bool> WaitForLeadersAsync(IReadOnlyList<object> objects, TimeSpan timeout, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        if (ClusterPublisher.Formation(Typed(objects)) is not { } formation)
        {
            return false;
        }

        await publisher.WaitForLeadersAsync(formation.Namespace, formation.Cluster, [.. formation.Groups], timeout, progress, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The parameters a published formation was rendered from: its ConfigMap's annotation, read from the API server.</summary>
    public async Task<Kubernetes.ClusterManifestRequest> ReadRequestAsync(string cluster, string ns, CancellationToken cancellationToken)
    {
        var name = new Kubernetes.ManifestNames(cluster, ns).ConfigMap;
        try
        {
            var map = await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Kubernetes.RenderRequestAnnotation.FromConfigMap(map);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.ClusterNotFound,
                $"No formation '{cluster}' in namespace '{ns}' at {Server}: its ConfigMap {name} does not exist. Check -Cluster and -Namespace (and -Context).", cluster, e);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.KubernetesRequestFailed, $"Cannot read ConfigMap {ns}/{name} from {Server}: {e.Message}", cluster, e);
        }
    }

    public void Dispose() => client.Dispose();

    private static List<IKubernetesObject> Typed(IReadOnlyList<object> objects) =>
        [.. objects.Select(o => o as IKubernetesObject ?? throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest,
            $"A {o?.GetType().Name ?? "null"} is not a Kubernetes object. Pipe New-CitusCluster's output, or pass -Path.", o))];
}
