using CitusHa.Core.Configuration;
using CitusHa.Core.Errors;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;
using CitusHa.Core.Tests.Fixtures;
using CitusHa.Testing;

namespace CitusHa.Core.Tests.Operations;

[Collection(EtcdCollectionDefinition.Name)]
public sealed class TopologyTests(EtcdFixture etcd)
{
    [Fact]
    public async Task The_topology_of_a_named_cluster_comes_from_one_read_of_its_keys_only()
    {
        var ct = TestTimeouts.Default;
        var ns = EtcdFixture.UniqueNamespace();
        using var raw = etcd.Server.CreateClient();
        await raw.PutAsync($"{ns}/demo/0/leader", "c1", cancellationToken: ct);
        await raw.PutAsync($"{ns}/demo/0/members/c1", """{"conn_url":"postgres://c1.demo:5432/postgres","state":"running","role":"primary","timeline":2}""", cancellationToken: ct);
        await raw.PutAsync($"{ns}/demo/1/members/w1", """{"conn_url":"postgres://w1.demo:5432/postgres","state":"running","role":"replica"}""", cancellationToken: ct);
        await raw.PutAsync($"{ns}/other/0/members/x", """{"state":"running"}""", cancellationToken: ct);

        var settings = DcsSettings.Create([etcd.Server.Endpoint], ns, "demo", null, null);
        await using var store = DcsConnection.Open(settings);
        var cluster = (await Topology.GetAsync(store, settings, new TopologyRequest(), ct)).Clusters.ShouldHaveSingleItem();

        cluster.Scope.ShouldBe("demo");
        cluster.Members.Select(m => (m.Group, m.Name, m.Role)).ShouldBe([(0, "c1", MemberRole.Leader), (1, "w1", MemberRole.Replica)]);
        cluster.Members.First().Timeline.ShouldBe(2);

        var onlyWorkers = await Topology.GetAsync(store, settings, new TopologyRequest([1, 7]), ct);
        onlyWorkers.Clusters.Single().Members.Select(m => m.Name).ShouldBe(["w1"]);
        onlyWorkers.MissingGroups.ShouldBe([7], "a group nobody has is reported");

        var all = DcsSettings.Create([etcd.Server.Endpoint], ns, null, null, null);
        (await Topology.GetAsync(store, all, new TopologyRequest(), ct)).Clusters.Select(c => c.Scope).ShouldBe(["demo", "other"]);
    }

    [Fact]
    public void A_negative_group_is_refused()
    {
        Should.Throw<CitusHaException>(() => new TopologyRequest([-1])).ErrorId.ShouldBe(ErrorIds.InvalidGroup);
    }

    [Fact]
    public async Task A_cluster_that_does_not_exist_is_NotFound_with_a_hint()
    {
        var settings = DcsSettings.Create([etcd.Server.Endpoint], EtcdFixture.UniqueNamespace(), "nosuch", null, null);
        await using var store = DcsConnection.Open(settings);
        var error = await Should.ThrowAsync<CitusHaException>(() => Topology.GetAsync(store, settings, new TopologyRequest(), TestTimeouts.Default));
        error.ErrorId.ShouldBe(ErrorIds.ClusterNotFound);
        error.Kind.ShouldBe(CitusErrorKind.NotFound);
        error.Message.ShouldContain("nosuch");
        error.Target.ShouldBe("nosuch");
    }
}
