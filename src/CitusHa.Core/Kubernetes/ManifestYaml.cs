using k8s;

namespace CitusHa.Core.Kubernetes;

/// <summary>kubectl-compatible YAML of rendered objects: one document each, in render order, byte-stable.</summary>
public static class ManifestYaml
{
    public static string Serialize(IEnumerable<IKubernetesObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        return string.Join("---\n", objects.Select(Document));
    }

    /// <summary>One object's document, ending in a newline (line endings \n everywhere, for stable diffs).</summary>
    public static string Document(IKubernetesObject value)
    {
        var text = KubernetesYaml.Serialize(value).Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith('\n') ? text : text + "\n";
    }

    /// <summary>Kinds outside KubernetesClient's models that renders hold, for KubernetesYaml.LoadAllFromString's type map.</summary>
    public static IDictionary<string, Type> CustomTypes => new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [$"{CertManagerCertificate.Group}/{CertManagerCertificate.Version}/Certificate"] = typeof(CertManagerCertificate),
    };

    /// <summary>The file name of one object when written one per file: kind-name.yaml.</summary>
    public static string FileName(IKubernetesObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var name = value is k8s.Models.IMetadata<k8s.Models.V1ObjectMeta> { Metadata.Name: { } n } ? n : "object";
        return $"{value.Kind.ToLowerInvariant()}-{name}.yaml";
    }
}
