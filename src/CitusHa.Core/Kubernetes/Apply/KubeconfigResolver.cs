using CitusHa.Core.Errors;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace CitusHa.Core.Kubernetes.Apply;

/// <summary>
/// Chooses the Kubernetes API server and credentials the way kubectl does: an explicit kubeconfig
/// path first, then <c>$KUBECONFIG</c> (a list of files, merged), then <c>~/.kube/config</c>; inside a pod
/// with none of these, the pod's service account. The context is the one asked for, else the
/// kubeconfig's current-context.
/// </summary>
public static class KubeconfigResolver
{
    public static KubernetesClientConfiguration Resolve(string? kubeconfigPath, string? context, string? kubeconfigVariable = null, string? home = null)
    {
        kubeconfigVariable ??= Environment.GetEnvironmentVariable("KUBECONFIG");
        home ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var files = Candidates(kubeconfigPath, kubeconfigVariable, home);
        if (files.Count == 0)
        {
            if (context is null && KubernetesClientConfiguration.IsInCluster())
            {
                return KubernetesClientConfiguration.InClusterConfig();
            }

            throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.KubeconfigNotFound,
                "No kubeconfig found: pass -Kubeconfig, set KUBECONFIG, or create ~/.kube/config (as kubectl expects).", kubeconfigPath);
        }

        try
        {
            var merged = Merge(files.Select(f => KubernetesClientConfiguration.LoadKubeConfig(f, useRelativePaths: true)).ToList());
            var chosen = context ?? merged.CurrentContext;
            if (string.IsNullOrEmpty(chosen))
            {
                throw Invalid(files, "it names no current-context; pass -Context");
            }

            if (merged.Contexts?.Any(c => c.Name == chosen) != true)
            {
                var known = string.Join(", ", (merged.Contexts ?? []).Select(c => c.Name).Order(StringComparer.Ordinal));
                throw Invalid(files, $"it has no context '{chosen}' (contexts: {(known.Length == 0 ? "none" : known)})");
            }

            return KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, chosen);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or YamlDotNet.Core.YamlException or UnauthorizedAccessException)
        {
            throw Invalid(files, e.Message, e);
        }
    }

    /// <summary>The kubeconfig files kubectl would read, existing ones only (a missing file in $KUBECONFIG is skipped, as kubectl does).</summary>
    public static IReadOnlyList<FileInfo> Candidates(string? kubeconfigPath, string? kubeconfigVariable, string home)
    {
        if (!string.IsNullOrEmpty(kubeconfigPath))
        {
            var file = new FileInfo(kubeconfigPath);
            return file.Exists
                ? [file]
                : throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.KubeconfigNotFound, $"The kubeconfig '{kubeconfigPath}' does not exist. Check the -Kubeconfig path.", kubeconfigPath);
        }

        if (!string.IsNullOrEmpty(kubeconfigVariable))
        {
            return [.. kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => new FileInfo(p)).Where(f => f.Exists).DistinctBy(f => f.FullName)];
        }

        var standard = new FileInfo(Path.Combine(home, ".kube", "config"));
        return standard.Exists ? [standard] : [];
    }

    /// <summary>kubectl's merge of a $KUBECONFIG list: the first file to name a context, cluster or user wins, and the first current-context set wins.</summary>
    private static K8SConfiguration Merge(List<K8SConfiguration> configurations)
    {
        var merged = configurations[0];
        merged.Contexts = configurations.SelectMany(c => c.Contexts ?? []).DistinctBy(c => c.Name).ToList();
        merged.Clusters = configurations.SelectMany(c => c.Clusters ?? []).DistinctBy(c => c.Name).ToList();
        merged.Users = configurations.SelectMany(c => c.Users ?? []).DistinctBy(c => c.Name).ToList();
        merged.CurrentContext = configurations.Select(c => c.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c));
        return merged;
    }

    private static CitusHaException Invalid(IReadOnlyList<FileInfo> files, string why, Exception? inner = null) =>
        new(CitusErrorKind.InvalidArgument, ErrorIds.KubeconfigInvalid,
            $"The kubeconfig ({string.Join(", ", files.Select(f => f.FullName))}) cannot be used: {why}.", files[0].FullName, inner);
}
