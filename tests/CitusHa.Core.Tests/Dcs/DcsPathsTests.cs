using CitusHa.Core.Dcs;

namespace CitusHa.Core.Tests.Dcs;

public sealed class DcsPathsTests
{
    [Fact]
    public void Keys_are_built_in_Patronis_citus_layout()
    {
        DcsPaths.MemberKey("/service", "batman", 1, "work1-1").ShouldBe("/service/batman/1/members/work1-1");
        DcsPaths.GroupKey("/service", "batman", 0, DcsPaths.Leader).ShouldBe("/service/batman/0/leader");
        DcsPaths.ClusterPrefix("/service/", "batman").ShouldBe("/service/batman/");
    }

    [Fact]
    public void A_plain_cluster_s_keys_sit_directly_under_the_scope_as_in_Patroni_and_parse_back_without_a_group()
    {
        DcsPaths.GroupPrefix("/service", "batman", null).ShouldBe("/service/batman/");
        DcsPaths.GroupKey("/service", "batman", null, "leader").ShouldBe("/service/batman/leader");
        var member = DcsPaths.MemberKey("/service/", "batman", null, "pg-1");
        member.ShouldBe("/service/batman/members/pg-1");
        DcsPaths.TryParse("/service", member, out var path).ShouldBeTrue();
        path.Group.ShouldBeNull();
        path.Key.ShouldBe("members/pg-1");
    }

    [Theory]
    [InlineData("/service/batman/0/leader", "batman", 0, "leader", null)]
    [InlineData("/service/batman/12/members/w-1", "batman", 12, "members/w-1", "w-1")]
    [InlineData("/service/plain/members/node1", "plain", null, "members/node1", "node1")]
    [InlineData("/service/plain/optime/leader", "plain", null, "optime/leader", null)]
    [InlineData("/service/batman/01/leader", "batman", null, "01/leader", null)]
    public void Keys_parse_into_scope_group_and_key(string key, string scope, int? group, string inGroup, string? member)
    {
        DcsPaths.TryParse("/service", key, out var path).ShouldBeTrue();
        path.Scope.ShouldBe(scope);
        path.Group.ShouldBe(group);
        path.Key.ShouldBe(inGroup);
        path.MemberName.ShouldBe(member);
    }

    [Theory]
    [InlineData("/other/batman/0/leader")]
    [InlineData("/service/batman")]
    [InlineData("/service/batman/")]
    [InlineData("/service//0/leader")]
    public void Keys_outside_a_cluster_do_not_parse(string key)
    {
        DcsPaths.TryParse("/service", key, out _).ShouldBeFalse();
    }
}
