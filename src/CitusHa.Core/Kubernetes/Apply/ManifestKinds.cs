using CitusHa.Core.Errors;
using k8s;
using k8s.Models;

namespace CitusHa.Core.Kubernetes.Apply;

/// <summary>
/// The kinds a formation renders to, each with its typed read and server-side apply calls. A kind
/// outside this table is refused before anything is sent, so a manifest never half-applies.
/// </summary>
internal static class ManifestKinds
{
    internal delegate Task<IKubernetesObject> Reader(IKubernetes client, string name, string ns, CancellationToken cancellationToken);

    internal delegate Task<IKubernetesObject> Applier(IKubernetes client, V1Patch patch, string name, string ns, string? dryRun, bool force, CancellationToken cancellationToken);

    internal delegate Task Deleter(IKubernetes client, string name, string ns, CancellationToken cancellationToken);

    internal sealed record Operations(Reader Read, Applier Apply, Deleter? Delete = null);

    private const string Manager = ClusterManifestRenderer.FieldManager;

    private static readonly Dictionary<string, Operations> Table = new(StringComparer.Ordinal)
    {
        ["v1/ServiceAccount"] = new(
            async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedServiceAccountAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.CoreV1.PatchNamespacedServiceAccountAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false)),
        ["v1/ConfigMap"] = new(
            async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedConfigMapAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.CoreV1.PatchNamespacedConfigMapAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false)),
        ["v1/Secret"] = new(
            async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedSecretAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            (_, _, n, ns, _, _, _) => throw new InvalidOperationException($"Secret {ns}/{n} is created, never applied: an apply would overwrite its data.")),
        ["v1/Service"] = new(
            async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedServiceAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.CoreV1.PatchNamespacedServiceAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false),
            async (c, n, ns, ct) => await c.CoreV1.DeleteNamespacedServiceAsync(n, ns, cancellationToken: ct).ConfigureAwait(false)),
        ["rbac.authorization.k8s.io/v1/Role"] = new(
            async (c, n, ns, ct) => await c.RbacAuthorizationV1.ReadNamespacedRoleAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.RbacAuthorizationV1.PatchNamespacedRoleAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false)),
        ["rbac.authorization.k8s.io/v1/RoleBinding"] = new(
            async (c, n, ns, ct) => await c.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.RbacAuthorizationV1.PatchNamespacedRoleBindingAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false)),
        ["apps/v1/StatefulSet"] = new(
            async (c, n, ns, ct) => await c.AppsV1.ReadNamespacedStatefulSetAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.AppsV1.PatchNamespacedStatefulSetAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false),
            async (c, n, ns, ct) => await c.AppsV1.DeleteNamespacedStatefulSetAsync(n, ns, cancellationToken: ct).ConfigureAwait(false)),
        ["apps/v1/Deployment"] = new(
            async (c, n, ns, ct) => await c.AppsV1.ReadNamespacedDeploymentAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.AppsV1.PatchNamespacedDeploymentAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false)),
        ["policy/v1/PodDisruptionBudget"] = new(
            async (c, n, ns, ct) => await c.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
            async (c, p, n, ns, d, f, ct) => await c.PolicyV1.PatchNamespacedPodDisruptionBudgetAsync(p, n, ns, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false),
            async (c, n, ns, ct) => await c.PolicyV1.DeleteNamespacedPodDisruptionBudgetAsync(n, ns, cancellationToken: ct).ConfigureAwait(false)),
        ["cert-manager.io/v1/Certificate"] = new(
            async (c, n, ns, ct) => Certificate(await c.CustomObjects.GetNamespacedCustomObjectAsync(CertManagerCertificate.Group, CertManagerCertificate.Version, ns, CertManagerCertificate.Plural, n, cancellationToken: ct).ConfigureAwait(false)),
            async (c, p, n, ns, d, f, ct) => Certificate(await c.CustomObjects.PatchNamespacedCustomObjectAsync(p, CertManagerCertificate.Group, CertManagerCertificate.Version, ns, CertManagerCertificate.Plural, n, dryRun: d, fieldManager: Manager, force: f, cancellationToken: ct).ConfigureAwait(false)),
            async (c, n, ns, ct) => await c.CustomObjects.DeleteNamespacedCustomObjectAsync(CertManagerCertificate.Group, CertManagerCertificate.Version, ns, CertManagerCertificate.Plural, n, cancellationToken: ct).ConfigureAwait(false)),
    };

    private static CertManagerCertificate Certificate(object json) =>
        KubernetesJson.Deserialize<CertManagerCertificate>(KubernetesJson.Serialize(json));

    public static Operations For(IKubernetesObject value) =>
        Table.TryGetValue($"{value.ApiVersion}/{value.Kind}", out var operations)
            ? operations
            : throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest,
                $"{value.ApiVersion} {value.Kind} is not a kind Publish-CitusCluster applies (it applies: {string.Join(", ", Table.Keys.Order(StringComparer.Ordinal))}). Apply it with kubectl, or leave it out.", value.Kind);

    /// <summary>True when the API server answered 404 for the object.</summary>
    public static bool IsNotFound(k8s.Autorest.HttpOperationException e) => e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound;
}
