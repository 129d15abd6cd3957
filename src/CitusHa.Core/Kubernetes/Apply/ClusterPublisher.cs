using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Operations;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CitusHa.Core.Kubernetes.Apply;

/// <summary>
/// Sends a rendered formation to a Kubernetes API server: server-side apply under the module's field
/// manager, Secrets created only when missing (never overwritten, never applied), and a wait until
/// every group's primary carries the role label. Planning (what would change) is separate from
/// applying so that -WhatIf asks the server without changing anything.
/// </summary>
public sealed class ClusterPublisher(IKubernetes client)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// Asks the server what applying each object would do: create (absent), keep (an existing Secret),
    /// or a dry-run apply compared with the live object (update or unchanged). The credentials Secret the
    /// StatefulSets mount is planned too: created with generated passwords when it does not exist.
    /// </summary>
    public async Task<IReadOnlyList<ManifestChange>> PlanAsync(IReadOnlyList<IKubernetesObject> objects, bool forceConflicts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(objects);
        foreach (var value in objects)
        {
            _ = ManifestKinds.For(value);
            _ = NameOf(value);
        }

        var all = new List<IKubernetesObject>(objects);
        all.InsertRange(0, MissingCredentials(objects));
        var changes = new List<ManifestChange>();
        foreach (var value in all)
        {
            changes.Add(await PlanOneAsync(value, forceConflicts, cancellationToken).ConfigureAwait(false));
        }

        return changes;
    }

    /// <summary>Carries out one planned change; an unchanged object or a kept Secret is left alone.</summary>
    public async Task<ManifestChange> ApplyAsync(ManifestChange change, bool forceConflicts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Action is ManifestAction.Unchanged or ManifestAction.Keep || change.Object is not { } value)
        {
            return change;
        }

        try
        {
            if (value is V1Secret secret)
            {
                // Create, never apply: if someone created it since the plan, the server refuses (409) and it is kept.
                await client.CoreV1.CreateNamespacedSecretAsync(secret, change.Namespace, fieldManager: ClusterManifestRenderer.FieldManager, cancellationToken: cancellationToken).ConfigureAwait(false);
                return change;
            }

            await ManifestKinds.For(value).Apply(client, Patch(value), change.Name, change.Namespace, null, forceConflicts, cancellationToken).ConfigureAwait(false);
            return change;
        }
        catch (HttpOperationException e) when (value is V1Secret && e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            return change with { Action = ManifestAction.Keep, Fields = [] };
        }
        catch (Exception e) when (Translatable(e, cancellationToken))
        {
            throw Translate(e, change.Target);
        }
    }

    /// <summary>
    /// Deletes one object (a group's StatefulSet, Service or PodDisruptionBudget); one already gone is
    /// no error. Returns false when it did not exist. A StatefulSet's volume claims are left alone.
    /// </summary>
    public async Task<bool> DeleteAsync(IKubernetesObject value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (name, ns) = NameOf(value);
        var target = TargetOf(value);
        var delete = ManifestKinds.For(value).Delete ?? throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest, $"{target}: this module does not delete a {value.Kind}.", value.Kind);
        try
        {
            await delete(client, name, ns, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (ManifestKinds.IsNotFound(e))
        {
            return false;
        }
        catch (Exception e) when (Translatable(e, cancellationToken))
        {
            throw Translate(e, target);
        }
    }

    /// <summary>
    /// Waits until every group of the formation has a pod labelled as its primary (the label the agent
    /// keeps on its own pod): lists the pods once, then follows a watch from that list's version, and lists
    /// again whenever the server ends the watch.
    /// </summary>
    public async Task WaitForLeadersAsync(string ns, string cluster, IReadOnlyCollection<int> groups, TimeSpan timeout, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groups);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var selector = $"app.kubernetes.io/instance={cluster},app.kubernetes.io/name=citusha";
        var primaries = new Dictionary<string, int>(StringComparer.Ordinal);
        var activity = $"Waiting for a leader in each of {groups.Count} groups of {cluster}";
        try
        {
            while (true)
            {
                var list = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: deadline.Token).ConfigureAwait(false);
                primaries.Clear();
                foreach (var pod in list.Items)
                {
                    Track(primaries, pod, deleted: false);
                }

                if (Report(primaries, groups, activity, progress))
                {
                    return;
                }

                var watch = client.CoreV1.WatchListNamespacedPodAsync(ns, labelSelector: selector, resourceVersion: list.Metadata?.ResourceVersion, timeoutSeconds: 60, cancellationToken: deadline.Token);
                await foreach (var (type, pod) in watch.ConfigureAwait(false))
                {
                    if (type is WatchEventType.Error or WatchEventType.Bookmark)
                    {
                        continue;
                    }

                    Track(primaries, pod, deleted: type == WatchEventType.Deleted);
                    if (Report(primaries, groups, activity, progress))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var missing = groups.Where(g => !primaries.ContainsValue(g)).Order().Select(g => g.ToString(CultureInfo.InvariantCulture));
            throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.OperationTimedOut,
                $"No leader in group(s) {string.Join(", ", missing)} of {cluster} after {timeout.TotalSeconds:0} s. Check the pods (kubectl -n {ns} get pods -l {selector}) and their agents' logs.", cluster);
        }
        catch (Exception e) when (Translatable(e, cancellationToken))
        {
            throw Translate(e, $"pods of {ns}/{cluster}");
        }
    }

    /// <summary>The groups of a rendered formation: its StatefulSets' group labels, with the formation's name and namespace.</summary>
    public static (string Cluster, string Namespace, IReadOnlyList<int> Groups)? Formation(IEnumerable<IKubernetesObject> objects)
    {
        var sets = objects.OfType<V1StatefulSet>()
            .Where(s => s.Metadata?.Labels?.ContainsKey(ClusterManifestRenderer.GroupLabel) == true && s.Metadata.Labels.ContainsKey("app.kubernetes.io/instance"))
            .ToList();
        if (sets.Count == 0)
        {
            return null;
        }

        var groups = sets.Select(ClusterManifestRenderer.GroupOf).OfType<int>().Distinct().Order().ToList();
        return (sets[0].Metadata.Labels["app.kubernetes.io/instance"], sets[0].Metadata.NamespaceProperty ?? "default", groups);
    }

    private static void Track(Dictionary<string, int> primaries, V1Pod pod, bool deleted)
    {
        var name = pod.Metadata?.Name ?? string.Empty;
        if (!deleted && pod.Metadata?.Labels?.TryGetValue(ClusterManifestRenderer.RoleLabel, out var role) == true && role == "primary"
            && ClusterManifestRenderer.GroupOf(pod) is { } group)
        {
            primaries[name] = group;
        }
        else
        {
            primaries.Remove(name);
        }
    }

    private static bool Report(Dictionary<string, int> primaries, IReadOnlyCollection<int> groups, string activity, IProgress<OperationProgress>? progress)
    {
        var led = groups.Count(g => primaries.ContainsValue(g));
        progress?.Report(new OperationProgress(activity, $"{led} of {groups.Count} groups have a leader", groups.Count == 0 ? 100 : led * 100 / groups.Count));
        return led == groups.Count;
    }

    private async Task<ManifestChange> PlanOneAsync(IKubernetesObject value, bool forceConflicts, CancellationToken cancellationToken)
    {
        var (name, ns) = NameOf(value);
        var target = TargetOf(value);
        var operations = ManifestKinds.For(value);
        try
        {
            IKubernetesObject current;
            try
            {
                current = await operations.Read(client, name, ns, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (ManifestKinds.IsNotFound(e))
            {
                return new ManifestChange(value.Kind, ns, name, ManifestAction.Create, []) { Object = value };
            }

            if (value is V1Secret)
            {
                return new ManifestChange(value.Kind, ns, name, ManifestAction.Keep, []);
            }

            var applied = await operations.Apply(client, Patch(value), name, ns, "All", forceConflicts, cancellationToken).ConfigureAwait(false);
            var fields = ObjectDiff.ChangedPaths(current, applied);
            return new ManifestChange(value.Kind, ns, name, fields.Count == 0 ? ManifestAction.Unchanged : ManifestAction.Update, fields) { Object = value };
        }
        catch (Exception e) when (Translatable(e, cancellationToken))
        {
            throw Translate(e, target);
        }
    }

    /// <summary>A credentials Secret that the StatefulSets mount and the input does not carry: generated passwords, created only if absent.</summary>
    private static IEnumerable<V1Secret> MissingCredentials(IReadOnlyList<IKubernetesObject> objects)
    {
        var carried = objects.OfType<V1Secret>().Select(s => (s.Metadata?.Name, s.Metadata?.NamespaceProperty)).ToHashSet();
        return objects.OfType<V1StatefulSet>()
            .SelectMany(s => (s.Spec?.Template?.Spec?.Volumes ?? []).Where(v => v.Name == "credentials" && v.Secret?.SecretName is not null)
                .Select(v => (Name: v.Secret.SecretName, Namespace: s.Metadata?.NamespaceProperty ?? "default", Labels: s.Metadata?.Labels)))
            .DistinctBy(s => (s.Name, s.Namespace))
            .Where(s => !carried.Contains((s.Name, s.Namespace)))
            .Select(s => new V1Secret
            {
                ApiVersion = "v1",
                Kind = "Secret",
                Metadata = new V1ObjectMeta
                {
                    Name = s.Name,
                    NamespaceProperty = s.Namespace,
                    Labels = s.Labels?.Where(l => l.Key.StartsWith("app.kubernetes.io/", StringComparison.Ordinal) && l.Key != "app.kubernetes.io/component")
                        .ToDictionary(l => l.Key, l => l.Value),
                },
                Type = "Opaque",
                StringData = new Dictionary<string, string>
                {
                    ["superuser-password"] = RandomNumberGenerator.GetString(Alphabet, 32),
                    ["replication-password"] = RandomNumberGenerator.GetString(Alphabet, 32),
                    ["restapi-password"] = RandomNumberGenerator.GetString(Alphabet, 32),
                },
            });
    }

    /// <summary>"StatefulSet data/sales-worker-1": how an object is named in plans, progress and errors (as <see cref="ManifestChange.Target"/>).</summary>
    internal static string TargetOf(IKubernetesObject value)
    {
        var (name, ns) = NameOf(value);
        return $"{value.Kind} {ns}/{name}";
    }

    private static (string Name, string Namespace) NameOf(IKubernetesObject value) =>
        value is IMetadata<V1ObjectMeta> { Metadata.Name: { Length: > 0 } name } named
            ? (name, named.Metadata.NamespaceProperty ?? "default")
            : throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest, $"A {value.Kind} without metadata.name cannot be applied. Render it with New-CitusCluster.", value.Kind);

    private static V1Patch Patch(IKubernetesObject value) => new(KubernetesJson.Serialize(value), V1Patch.PatchType.ApplyPatch);

    private static bool Translatable(Exception e, CancellationToken cancellationToken) =>
        e is HttpOperationException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>The API server's own reason (its Status message), named for the object; never the request body.</summary>
    private CitusHaException Translate(Exception e, string target)
    {
        var server = client.BaseUri?.ToString() ?? "the API server";
        if (e is HttpOperationException { Response: { } response })
        {
            var reason = StatusMessage(response.Content) ?? response.ReasonPhrase ?? "no reason given";
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new(CitusErrorKind.Unauthorized, ErrorIds.KubernetesRequestFailed, $"{server} refused the credentials for {target}: {reason}. Check the kubeconfig's user for this context.", target, e),
                HttpStatusCode.Forbidden => new(CitusErrorKind.Unauthorized, ErrorIds.KubernetesRequestFailed, $"{target}: not allowed ({reason}). The kubeconfig's identity needs get and patch on this kind in the namespace.", target, e),
                HttpStatusCode.Conflict => new(CitusErrorKind.Conflict, ErrorIds.KubernetesApplyConflict, $"{target}: {reason}. Another field manager owns these fields; pass -Force to take them over (kubectl's --force-conflicts).", target, e),
                HttpStatusCode.NotFound => new(CitusErrorKind.NotFound, ErrorIds.KubernetesRequestFailed, $"{target}: {reason}. Does the namespace exist?", target, e),
                HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest => new(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest, $"{server} rejected {target}: {reason}", target, e),
                _ => new(CitusErrorKind.Failed, ErrorIds.KubernetesRequestFailed, $"{target}: {server} answered {(int)response.StatusCode}: {reason}", target, e),
            };
        }

        return e is OperationCanceledException
            ? new(CitusErrorKind.Timeout, ErrorIds.KubernetesRequestFailed, $"{server} did not answer for {target} in time.", target, e)
            : new(CitusErrorKind.Unavailable, ErrorIds.KubernetesRequestFailed, $"Cannot reach {server} for {target}: {e.Message}. Check the kubeconfig's server and the network.", target, e);
    }

    private static string? StatusMessage(string? content)
    {
        try
        {
            return content is { Length: > 0 } && JsonNode.Parse(content) is JsonObject status && status["message"] is JsonValue message ? message.GetValue<string>() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
