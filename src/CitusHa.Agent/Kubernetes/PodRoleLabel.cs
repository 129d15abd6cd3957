using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CitusHa.Agent.Kubernetes;

/// <summary>
/// Keeps the <c>citusha.io/role</c> label of this member's own pod equal to the cycle plan's
/// <see cref="Core.Ha.CyclePlan.PodRole"/>, which the rendered primary and replica Services select
/// (no v1 Endpoints, no Patroni-style leader objects). One JSON merge patch of the pod when the role
/// changes, under the service account's in-cluster credentials; the Role allows only get and patch
/// on the formation's pods. A failed patch is retried next cycle; it never stops the HA loop.
/// </summary>
internal sealed class PodRoleLabel(IKubernetes client, string ns, string pod, ILogger logger) : IDisposable
{
    public const string Label = "citusha.io/role";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private bool known;
    private string? applied;

    /// <summary>In a pod rendered by New-CitusCluster (CITUSHA_POD_NAMESPACE set, in-cluster credentials present); null elsewhere.</summary>
    public static PodRoleLabel? InCluster(string pod, Func<string, string?> environment, ILogger logger)
    {
        if (environment("CITUSHA_POD_NAMESPACE") is not { Length: > 0 } ns || !KubernetesClientConfiguration.IsInCluster())
        {
            return null;
        }

        return new PodRoleLabel(new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig()), ns, pod, logger);
    }

    public async Task KeepAsync(string? role, CancellationToken cancellationToken)
    {
        if (known && applied == role)
        {
            return;
        }

        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [Label] = role } } };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CallTimeout);
        try
        {
            await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), pod, ns, fieldManager: Core.Kubernetes.ClusterManifestRenderer.FieldManager, cancellationToken: deadline.Token).ConfigureAwait(false);
            applied = role;
            known = true;
            PodLabelLog.Labelled(logger, pod, role ?? "(none)");
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            known = false;
            var detail = e is HttpOperationException { Response: { } response } ? $"{(int)response.StatusCode} {response.ReasonPhrase}" : e.Message;
            PodLabelLog.Failed(logger, pod, role ?? "(none)", detail);
        }
    }

    public void Dispose() => client.Dispose();
}

internal static partial class PodLabelLog
{
    [LoggerMessage(1201, LogLevel.Information, "{Pod}: pod label citusha.io/role is now {Role}", EventName = "PodLabelled")]
    public static partial void Labelled(ILogger logger, string pod, string role);

    [LoggerMessage(1202, LogLevel.Warning, "{Pod}: could not set the pod label citusha.io/role to {Role} ({Detail}); retrying next cycle. The Service for this role does not route to this pod until it is set.", EventName = "PodLabelFailed")]
    public static partial void Failed(ILogger logger, string pod, string role, string detail);
}
