using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace CitusHa.Core.Kubernetes;

/// <summary>
/// cert-manager's <c>Certificate</c> (cert-manager.io/v1), the fields this module renders: KubernetesClient
/// has no model for it. Serialized by KubernetesClient's JSON and YAML like its own models.
/// </summary>
public sealed class CertManagerCertificate : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "cert-manager.io";
    public const string Version = "v1";
    public const string Plural = "certificates";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Certificate";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public CertificateSpec Spec { get; set; } = new();
}

public sealed class CertificateSpec
{
    [JsonPropertyName("secretName")]
    public string SecretName { get; set; } = string.Empty;

    [JsonPropertyName("commonName")]
    public string? CommonName { get; set; }

    [JsonPropertyName("dnsNames")]
    public IList<string> DnsNames { get; set; } = [];

    [JsonPropertyName("duration")]
    public string? Duration { get; set; }

    [JsonPropertyName("renewBefore")]
    public string? RenewBefore { get; set; }

    [JsonPropertyName("usages")]
    public IList<string>? Usages { get; set; }

    [JsonPropertyName("privateKey")]
    public CertificatePrivateKey? PrivateKey { get; set; }

    [JsonPropertyName("issuerRef")]
    public CertificateIssuerRef IssuerRef { get; set; } = new();
}

public sealed class CertificatePrivateKey
{
    [JsonPropertyName("algorithm")]
    public string? Algorithm { get; set; }

    [JsonPropertyName("size")]
    public int? Size { get; set; }

    [JsonPropertyName("rotationPolicy")]
    public string? RotationPolicy { get; set; }
}

public sealed class CertificateIssuerRef
{
    [JsonPropertyName("group")]
    public string Group { get; set; } = CertManagerCertificate.Group;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ClusterIssuer";

    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;
}
