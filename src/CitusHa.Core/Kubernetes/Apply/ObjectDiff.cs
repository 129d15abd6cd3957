using System.Text.Json.Nodes;
using k8s;

namespace CitusHa.Core.Kubernetes.Apply;

/// <summary>
/// Compares an object as it is on the server with what a dry-run apply returns, ignoring what the
/// server alone writes (resourceVersion, managedFields, status...): the paths that differ are what
/// the apply would change.
/// </summary>
public static class ObjectDiff
{
    private static readonly string[] ServerOwnedMetadata = ["resourceVersion", "generation", "managedFields", "creationTimestamp", "uid", "selfLink"];

    public static IReadOnlyList<string> ChangedPaths(IKubernetesObject current, IKubernetesObject applied)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(applied);
        var before = Normalize(current);
        var after = Normalize(applied);
        var paths = new List<string>();
        Compare(before, after, string.Empty, depth: 0, paths);
        return paths;
    }

    private static JsonObject Normalize(IKubernetesObject value)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(value))!.AsObject();
        node.Remove("status");
        if (node["metadata"] is JsonObject metadata)
        {
            foreach (var key in ServerOwnedMetadata)
            {
                metadata.Remove(key);
            }
        }

        return node;
    }

    /// <summary>Descends two levels below the top (spec.template, metadata.labels) so a path says where, not every leaf.</summary>
    private static void Compare(JsonNode? before, JsonNode? after, string path, int depth, List<string> paths)
    {
        if (JsonNode.DeepEquals(before, after))
        {
            return;
        }

        if (depth < 2 && before is JsonObject b && after is JsonObject a)
        {
            foreach (var key in b.Select(p => p.Key).Union(a.Select(p => p.Key)).Order(StringComparer.Ordinal))
            {
                Compare(b[key], a[key], path.Length == 0 ? key : $"{path}.{key}", depth + 1, paths);
            }

            return;
        }

        paths.Add(path);
    }
}
