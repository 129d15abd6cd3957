using System.Globalization;
using System.Text;
using System.Text.Json;
using CitusHa.Core.Errors;
using k8s;
using k8s.Models;

namespace CitusHa.Core.Kubernetes;

/// <summary>
/// The parameters a formation was rendered from, kept as an annotation of its ConfigMap so that
/// Add-CitusWorker and Remove-CitusWorker render later groups exactly as New-CitusCluster rendered
/// the first ones, from the live cluster or from the files in git. It holds no secret (the request
/// carries only the credentials Secret's name). Written with a fixed key order: renders stay byte-stable.
/// </summary>
public static class RenderRequestAnnotation
{
    public const string Key = "citusha.io/render-request";

    public static string Encode(ClusterManifestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", request.Name);
            json.WriteString("namespace", request.Namespace);
            json.WriteNumber("workerGroups", request.WorkerGroups);
            json.WriteNumber("membersPerGroup", request.MembersPerGroup);
            json.WriteString("profile", request.Profile.ToString());
            json.WriteString("image", request.Image);
            WriteOptional(json, "storageClass", request.StorageClass);
            json.WriteString("storageSize", request.StorageSize);
            json.WriteString("cpuRequest", request.CpuRequest);
            json.WriteString("memoryRequest", request.MemoryRequest);
            WriteOptional(json, "cpuLimit", request.CpuLimit);
            WriteOptional(json, "memoryLimit", request.MemoryLimit);
            json.WriteStartObject("postgresParameters");
            foreach (var (key, value) in request.PostgresParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteStartArray("etcdEndpoints");
            foreach (var endpoint in request.EtcdEndpoints)
            {
                json.WriteStringValue(endpoint);
            }

            json.WriteEndArray();
            json.WriteBoolean("deployEtcd", request.DeployEtcd);
            json.WriteString("etcdImage", request.EtcdImage);
            WriteOptional(json, "credentialsSecret", request.CredentialsSecret);
            WriteOptional(json, "tlsIssuer", request.TlsIssuer);
            if (request.TlsIssuer is not null)
            {
                json.WriteString("tlsIssuerKind", request.TlsIssuerKind);
            }

            WriteOptional(json, "tlsSecret", request.TlsSecret);
            if (request.PgBouncer)
            {
                json.WriteBoolean("pgBouncer", true);
                json.WriteString("pgBouncerImage", request.PgBouncerImage);
                json.WriteNumber("pgBouncerReplicas", request.PgBouncerReplicas);
            }

            json.WriteNumber("runAsUser", request.RunAsUser);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static ClusterManifestRequest Decode(string text, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            string? Optional(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            string Required(string name) => Optional(name) ?? throw new FormatException($"'{name}' is missing");
            int Number(string name) => root.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : throw new FormatException($"'{name}' is not a number");
            var defaults = new ClusterManifestRequest { Name = Required("name") };
            return defaults with
            {
                Namespace = Required("namespace"),
                WorkerGroups = Number("workerGroups"),
                MembersPerGroup = Number("membersPerGroup"),
                Profile = Enum.Parse<ManifestProfile>(Required("profile")),
                Image = Required("image"),
                StorageClass = Optional("storageClass"),
                StorageSize = Required("storageSize"),
                CpuRequest = Required("cpuRequest"),
                MemoryRequest = Required("memoryRequest"),
                CpuLimit = Optional("cpuLimit"),
                MemoryLimit = Optional("memoryLimit"),
                PostgresParameters = root.TryGetProperty("postgresParameters", out var p) && p.ValueKind == JsonValueKind.Object
                    ? p.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString() ?? string.Empty, StringComparer.Ordinal)
                    : new Dictionary<string, string>(),
                EtcdEndpoints = root.TryGetProperty("etcdEndpoints", out var e) && e.ValueKind == JsonValueKind.Array
                    ? [.. e.EnumerateArray().Select(x => x.GetString() ?? string.Empty)]
                    : [],
                DeployEtcd = root.TryGetProperty("deployEtcd", out var d) && d.ValueKind == JsonValueKind.True,
                EtcdImage = Optional("etcdImage") ?? defaults.EtcdImage,
                CredentialsSecret = Optional("credentialsSecret"),
                TlsIssuer = Optional("tlsIssuer"),
                TlsIssuerKind = Optional("tlsIssuerKind") ?? defaults.TlsIssuerKind,
                TlsSecret = Optional("tlsSecret"),
                PgBouncer = root.TryGetProperty("pgBouncer", out var b) && b.ValueKind == JsonValueKind.True,
                PgBouncerImage = Optional("pgBouncerImage") ?? defaults.PgBouncerImage,
                PgBouncerReplicas = root.TryGetProperty("pgBouncerReplicas", out var r) && r.TryGetInt32(out var replicas) ? replicas : defaults.PgBouncerReplicas,
                RunAsUser = root.TryGetProperty("runAsUser", out var u) && u.TryGetInt64(out var uid) ? uid : defaults.RunAsUser,
            };
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest,
                $"The {Key} annotation of {source} cannot be read ({ex.Message}). Render the formation again with New-CitusCluster.", source, ex);
        }
    }

    /// <summary>The request recorded on the formation's ConfigMap among <paramref name="objects"/>.</summary>
    public static ClusterManifestRequest FromObjects(IEnumerable<IKubernetesObject> objects, string source)
    {
        var maps = objects.OfType<V1ConfigMap>().Where(m => m.Metadata?.Annotations?.ContainsKey(Key) == true).ToList();
        return maps.Count switch
        {
            1 => FromConfigMap(maps[0]),
            0 => throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.InvalidManifest,
                $"{source} holds no ConfigMap with the {Key} annotation, so the formation's parameters are unknown. Pass the objects or files New-CitusCluster rendered for it (a render from before this annotation existed: render it again with the same parameters).", source),
            _ => throw new CitusHaException(CitusErrorKind.InvalidArgument, ErrorIds.InvalidManifest,
                $"{source} holds {maps.Count.ToString(CultureInfo.InvariantCulture)} formations ({string.Join(", ", maps.Select(m => m.Metadata.Name))}); pass one.", source),
        };
    }

    public static ClusterManifestRequest FromConfigMap(V1ConfigMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var source = $"ConfigMap {map.Metadata?.NamespaceProperty}/{map.Metadata?.Name}";
        return map.Metadata?.Annotations?.TryGetValue(Key, out var text) == true
            ? Decode(text, source)
            : throw new CitusHaException(CitusErrorKind.NotFound, ErrorIds.InvalidManifest, $"{source} has no {Key} annotation: render the formation again with New-CitusCluster (same parameters) and publish it first.", source);
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
