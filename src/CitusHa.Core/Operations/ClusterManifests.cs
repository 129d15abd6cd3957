using CitusHa.Core.Kubernetes;

namespace CitusHa.Core.Operations;

/// <summary>
/// What New-CitusCluster calls: the rendered objects (typed KubernetesClient models, handed out as
/// objects so the cmdlet assembly needs no Kubernetes reference), their YAML, or the files to write.
/// </summary>
public static class ClusterManifests
{
    public static IReadOnlyList<object> Render(ClusterManifestRequest request) => [.. ClusterManifestRenderer.Render(request)];

    public static string Yaml(ClusterManifestRequest request) => ManifestYaml.Serialize(ClusterManifestRenderer.Render(request));

    /// <summary>
    /// The files a render is written to: one multi-document file (<paramref name="path"/> itself, or
    /// <c>&lt;name&gt;.yaml</c> inside it when it is a directory), or one file per object in the directory.
    /// </summary>
    public static IReadOnlyList<(string Path, string Text)> Files(ClusterManifestRequest request, string path, bool onePerObject)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var objects = ClusterManifestRenderer.Render(request);
        if (onePerObject)
        {
            return [.. objects.Select((o, i) => (Path.Combine(path, $"{i:D2}-{ManifestYaml.FileName(o)}"), ManifestYaml.Document(o)))];
        }

        var file = Directory.Exists(path) ? Path.Combine(path, $"{request.Name}.yaml") : path;
        return [(file, ManifestYaml.Serialize(objects))];
    }

    /// <summary>The formation's recorded parameters from rendered objects (New-CitusCluster's output or files).</summary>
    public static ClusterManifestRequest RequestFrom(IReadOnlyList<object> objects, string source) =>
        RenderRequestAnnotation.FromObjects(objects.OfType<k8s.IKubernetesObject>(), source);

    /// <summary>What Add-CitusWorker renders: the updated ConfigMap and Role, then the new groups' objects.</summary>
    public static IReadOnlyList<object> AddWorkers(ClusterManifestRequest request, int count) => [.. ClusterManifestRenderer.RenderAddedWorkers(request, count)];

    public static string AddWorkersYaml(ClusterManifestRequest request, int count) => ManifestYaml.Serialize(ClusterManifestRenderer.RenderAddedWorkers(request, count));

    /// <summary>The worker groups Add-CitusWorker adds to <paramref name="request"/>.</summary>
    public static IReadOnlyList<int> AddedGroups(ClusterManifestRequest request, int count) => [.. Enumerable.Range(request.WorkerGroups + 1, Math.Max(0, count))];
}
