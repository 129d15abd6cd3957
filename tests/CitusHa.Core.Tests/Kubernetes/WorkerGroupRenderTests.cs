using CitusHa.Core.Errors;
using CitusHa.Core.Kubernetes;
using k8s;
using k8s.Models;

namespace CitusHa.Core.Tests.Kubernetes;

/// <summary>
/// Add-CitusWorker and Remove-CitusWorker render from the parameters New-CitusCluster recorded on the
/// formation's ConfigMap: later groups must be exactly what a render of the grown formation holds.
/// </summary>
public sealed class WorkerGroupRenderTests
{
    private static readonly ClusterManifestRequest Production = new()
    {
        Name = "sales",
        Namespace = "data",
        WorkerGroups = 2,
        MembersPerGroup = 3,
        Profile = ManifestProfile.Production,
        DeployEtcd = true,
        StorageClass = "premium-ssd",
        StorageSize = "100Gi",
        CpuRequest = "2",
        CpuLimit = "4",
        MemoryRequest = "8Gi",
        MemoryLimit = "8Gi",
        PostgresParameters = new Dictionary<string, string> { ["shared_buffers"] = "2GB", ["max_connections"] = "300" },
        CredentialsSecret = "sales-pg",
        Image = "registry.example/citusha:1.2",
    };

    private static Dictionary<string, string> Documents(IEnumerable<IKubernetesObject> objects) =>
        objects.ToDictionary(o => $"{o.Kind}/{((IMetadata<V1ObjectMeta>)o).Metadata.Name}", ManifestYaml.Document, StringComparer.Ordinal);

    [Fact]
    public void The_recorded_parameters_round_trip_through_the_ConfigMap_annotation()
    {
        var map = ClusterManifestRenderer.Render(Production).OfType<V1ConfigMap>().Single();
        var recovered = RenderRequestAnnotation.FromConfigMap(map);

        RenderRequestAnnotation.Encode(recovered).ShouldBe(RenderRequestAnnotation.Encode(Production));
        ManifestYaml.Serialize(ClusterManifestRenderer.Render(recovered)).ShouldBe(ManifestYaml.Serialize(ClusterManifestRenderer.Render(Production)));
        map.Metadata.Annotations[RenderRequestAnnotation.Key].ShouldNotContain("password", Case.Insensitive);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Added_groups_are_byte_identical_to_a_render_of_the_grown_formation(int count)
    {
        var added = Documents(ClusterManifestRenderer.RenderAddedWorkers(Production, count));
        var grown = Documents(ClusterManifestRenderer.Render(Production with { WorkerGroups = Production.WorkerGroups + count }));

        foreach (var (key, yaml) in added)
        {
            yaml.ShouldBe(grown[key], $"{key} differs from New-CitusCluster's render");
        }

        var expected = grown.Keys.Where(k => k is "ConfigMap/sales-config" or "Role/sales-agent"
            || Enumerable.Range(3, count).Any(g => k.Contains($"sales-worker-{g}", StringComparison.Ordinal))).Order(StringComparer.Ordinal);
        added.Keys.Order(StringComparer.Ordinal).ShouldBe(expected);
        added["Role/sales-agent"].ShouldContain($"sales-worker-{2 + count}-2", customMessage: "the agents of the new pods may label their own pods");
        added["ConfigMap/sales-config"].ShouldContain($"\"workerGroups\":{2 + count}");
    }

    [Fact]
    public void Removing_renders_the_last_groups_to_delete_and_what_changes_with_them()
    {
        var request = Production with { WorkerGroups = 4 };
        var (update, delete) = ClusterManifestRenderer.RenderRemovedWorkers(request, 2);

        Documents(update).Keys.Order(StringComparer.Ordinal).ShouldBe(["ConfigMap/sales-config", "Role/sales-agent"]);
        Documents(update)["Role/sales-agent"].ShouldNotContain("sales-worker-3-0");
        Documents(delete).Keys.Order(StringComparer.Ordinal).ShouldBe([
            "PodDisruptionBudget/sales-worker-3", "PodDisruptionBudget/sales-worker-4",
            "Service/sales-worker-3", "Service/sales-worker-3-members", "Service/sales-worker-4", "Service/sales-worker-4-members",
            "StatefulSet/sales-worker-3", "StatefulSet/sales-worker-4"]);
    }

    [Theory]
    [InlineData(0, "add")]
    [InlineData(-1, "add")]
    [InlineData(0, "remove")]
    [InlineData(2, "remove")]
    public void A_count_outside_what_the_formation_allows_is_an_error_naming_Count(int count, string what)
    {
        var error = Should.Throw<CitusHaException>(() =>
        {
            if (what == "add")
            {
                ClusterManifestRenderer.RenderAddedWorkers(Production, count);
            }
            else
            {
                ClusterManifestRenderer.RenderRemovedWorkers(Production, count);
            }
        });
        error.Message.ShouldStartWith("-Count:");
        error.ErrorId.ShouldBe(ErrorIds.InvalidManifestParameter);
    }

    [Fact]
    public void Objects_without_the_recorded_parameters_are_an_error_that_says_what_to_pass()
    {
        var objects = ClusterManifestRenderer.Render(Production).Where(o => o is not V1ConfigMap).ToList();
        var missing = Should.Throw<CitusHaException>(() => RenderRequestAnnotation.FromObjects(objects, "sales.yaml"));
        missing.Message.ShouldContain("sales.yaml holds no ConfigMap");

        var map = ClusterManifestRenderer.Render(Production).OfType<V1ConfigMap>().Single();
        map.Metadata.Annotations[RenderRequestAnnotation.Key] = "{\"name\":\"sales\"";
        var broken = Should.Throw<CitusHaException>(() => RenderRequestAnnotation.FromConfigMap(map));
        broken.Message.ShouldContain("ConfigMap data/sales-config");
        broken.ErrorId.ShouldBe(ErrorIds.InvalidManifest);
    }
}
