using k8s;

namespace CitusHa.Core.Kubernetes.Apply;

/// <summary>What publishing does (or, under -WhatIf, would do) to one object.</summary>
public enum ManifestAction
{
    /// <summary>The object does not exist: it is created.</summary>
    Create,

    /// <summary>It exists and the apply changes it (<see cref="ManifestChange.Fields"/> says where).</summary>
    Update,

    /// <summary>It exists and the apply would change nothing.</summary>
    Unchanged,

    /// <summary>A Secret that exists: kept as it is, never overwritten.</summary>
    Keep,
}

/// <summary>One object's planned or completed change. <see cref="Fields"/> lists the changed paths for an update.</summary>
public sealed record ManifestChange(string Kind, string Namespace, string Name, ManifestAction Action, IReadOnlyList<string> Fields)
{
    /// <summary>The object to send (for a generated Secret, its generated data: never printed).</summary>
    internal IKubernetesObject? Object { get; init; }

    /// <summary>"StatefulSet data/sales-worker-1": the target named in -WhatIf and progress lines.</summary>
    public string Target => $"{Kind} {Namespace}/{Name}";
}
