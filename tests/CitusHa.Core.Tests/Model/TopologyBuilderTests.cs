using CitusHa.Core.Dcs;
using CitusHa.Core.Model;

namespace CitusHa.Core.Tests.Model;

public sealed class TopologyBuilderTests
{
    private static DcsKeyValue Kv(string key, string value) => new(key, value, 1, 1, 0);

    private static string Member(string host, string role, long? xlog = null, string? replicationState = null, int timeline = 1, int port = 5432) =>
        $$"""{"conn_url":"postgres://{{host}}:{{port}}/postgres","api_url":"http://{{host}}:8008/patroni","state":"running","role":"{{role}}","timeline":{{timeline}}{{(xlog is null ? "" : $",\"xlog_location\":{xlog}")}}{{(replicationState is null ? "" : $",\"replication_state\":\"{replicationState}\"")}}}""";

    [Fact]
    public void Roles_states_and_lag_follow_patronictl_list()
    {
        var keys = new[]
        {
            Kv("/service/demo/0/leader", "coord3"),
            Kv("/service/demo/0/config", """{"synchronous_mode":"quorum","ttl":10}"""),
            Kv("/service/demo/0/sync", """{"leader":"coord3","quorum":1,"sync_standby":"COORD2"}"""),
            Kv("/service/demo/0/status", """{"optime":5242880}"""),
            Kv("/service/demo/0/members/coord3", Member("10.0.0.3", "primary", 5242880)),
            Kv("/service/demo/0/members/coord2", Member("10.0.0.2", "replica", 5242880, "streaming")),
            Kv("/service/demo/0/members/coord1", Member("10.0.0.1", "replica", 1048576, "streaming")),
            Kv("/service/demo/1/leader", "w1"),
            Kv("/service/demo/1/members/w1", Member("10.0.1.1", "primary")),
        };

        var cluster = TopologyBuilder.Build("/service", keys).ShouldHaveSingleItem();
        cluster.Scope.ShouldBe("demo");
        cluster.Groups.Select(g => g.Group).ShouldBe([0, 1]);
        var coordinator = cluster.Groups[0];
        coordinator.Leader.ShouldBe("coord3");
        coordinator.SynchronousMode.ShouldBe("quorum");
        coordinator.Members.Select(m => m.Name).ShouldBe(["coord1", "coord2", "coord3"], "members sorted by name");

        var byName = coordinator.Members.ToDictionary(m => m.Name);
        byName["coord3"].Role.ShouldBe(MemberRole.Leader);
        byName["coord3"].LagBytes.ShouldBeNull("the leader has no lag");
        byName["coord3"].State.ShouldBe("running");
        byName["coord2"].Role.ShouldBe(MemberRole.QuorumStandby, "sync names compare case-insensitively");
        byName["coord2"].State.ShouldBe("streaming", "a replica shows its replication state");
        byName["coord2"].LagBytes.ShouldBe(0);
        byName["coord1"].Role.ShouldBe(MemberRole.Replica);
        byName["coord1"].LagBytes.ShouldBe(4194304);
        byName["coord1"].Host.ShouldBe("10.0.0.1");
        byName["coord1"].Port.ShouldBe(5432);
    }

    [Theory]
    [InlineData("""{"synchronous_mode":true}""", MemberRole.SyncStandby)]
    [InlineData("""{"synchronous_mode":"on"}""", MemberRole.SyncStandby)]
    [InlineData("""{"synchronous_mode":"quorum"}""", MemberRole.QuorumStandby)]
    [InlineData("""{"synchronous_mode":"off"}""", MemberRole.Replica)]
    [InlineData("""{}""", MemberRole.Replica)]
    public void A_member_in_the_sync_key_is_a_sync_standby_only_while_synchronous_mode_is_on(string config, MemberRole expected)
    {
        var keys = new[]
        {
            Kv("/service/demo/0/leader", "a"),
            Kv("/service/demo/0/config", config),
            Kv("/service/demo/0/sync", """{"leader":"a","sync_standby":"b"}"""),
            Kv("/service/demo/0/members/a", Member("h1", "primary")),
            Kv("/service/demo/0/members/b", Member("h2", "replica")),
        };
        TopologyBuilder.Build("/service", keys).Single().Groups.Single().Members.Single(m => m.Name == "b").Role.ShouldBe(expected);
    }

    [Fact]
    public void Lag_is_unknown_without_a_published_cluster_position_and_zero_when_ahead()
    {
        var noStatus = TopologyBuilder.Build("/service", [Kv("/service/d/0/leader", "a"), Kv("/service/d/0/members/b", Member("h", "replica", 10))]);
        noStatus.Single().Members.Single().LagBytes.ShouldBeNull();

        var ahead = TopologyBuilder.Build("/service", [Kv("/service/d/0/status", "5"), Kv("/service/d/0/members/b", Member("h", "replica", 10))]);
        ahead.Single().Members.Single().LagBytes.ShouldBe(0, "a bare number in status is the legacy optime");

        var legacy = TopologyBuilder.Build("/service", [Kv("/service/d/0/optime/leader", "100"), Kv("/service/d/0/members/b", Member("h", "replica", 40))]);
        legacy.Single().Members.Single().LagBytes.ShouldBe(60);
    }

    [Fact]
    public void A_plain_Patroni_cluster_has_no_group_and_clusters_are_kept_apart()
    {
        var keys = new[]
        {
            Kv("/service/plain/leader", "n1"),
            Kv("/service/plain/members/n1", Member("h1", "primary")),
            Kv("/service/citus/0/members/c1", Member("h2", "primary")),
            Kv("/service/citus/initialize", "stray key left by a group-unaware tool"),
        };
        var clusters = TopologyBuilder.Build("/service", keys);
        clusters.Select(c => c.Scope).ShouldBe(["citus", "plain"]);
        clusters[0].Groups.ShouldHaveSingleItem().Group.ShouldBe(0);
        clusters[1].Groups.ShouldHaveSingleItem().Group.ShouldBeNull();
        clusters[1].Members.Single().Role.ShouldBe(MemberRole.Leader);
    }

    [Fact]
    public void Paused_groups_standby_leaders_and_the_system_identifier_are_reported()
    {
        var keys = new[]
        {
            Kv("/service/d/2/config", """{"pause":true}"""),
            Kv("/service/d/2/initialize", "7179854923829112860"),
            Kv("/service/d/2/leader", "s"),
            Kv("/service/d/2/members/s", Member("h", "standby_leader")),
        };
        var group = TopologyBuilder.Build("/service", keys).Single().Groups.Single();
        group.Paused.ShouldBeTrue();
        group.SystemIdentifier.ShouldBe("7179854923829112860");
        group.Members.Single().Role.ShouldBe(MemberRole.StandbyLeader);
    }
}
