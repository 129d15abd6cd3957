using CitusHa.Core.Citus;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

namespace CitusHa.Core.Tests.Operations;

/// <summary>Test-CitusCluster's checks on etcd's view, and the pg_dist_node comparison: one row per rule.</summary>
public sealed class HealthRulesTests
{
    private static TopologyMember Member(string name, MemberRole role = MemberRole.Replica, string state = "streaming", long? lag = 0, bool pending = false) =>
        new("demo", 1, name, name, 5432, role, state, 2, null, null, role == MemberRole.Leader ? null : lag, pending,
            new Dictionary<string, string>(), null, null, null);

    private static GroupTopology Group(string syncMode, string? leader, params TopologyMember[] members) =>
        new("demo", 1, leader, null, false, syncMode, 100, members);

    private static readonly TopologyMember Leader = Member("a", MemberRole.Leader, "running");

    public static TheoryData<string, GroupTopology, string, string> Rows => new()
    {
        { "a healthy quorum group", Group("quorum", "a", Leader, Member("b", MemberRole.QuorumStandby)), "", "" },
        { "no leader key", Group("off", null, Member("b")), "Leader", "no member holds the leader key" },
        { "the leader key names a vanished member", Group("off", "x", Member("b")), "Leader", "x, which has no member record" },
        { "the leader's PostgreSQL is down", Group("off", "a", Member("a", MemberRole.Leader, "stopped")), "Leader", "its PostgreSQL is stopped" },
        { "a standby stopped", Group("off", "a", Leader, Member("b", state: "stopped")), "Replication", "b is stopped" },
        { "a standby lags", Group("off", "a", Leader, Member("b", lag: 2_000_000)), "Lag", "b is 2000000 bytes behind (limit 1048576)" },
        { "quorum mode with no quorum standby", Group("quorum", "a", Leader, Member("b")), "Synchronous", "no standby is synchronous" },
        { "a member waits for a restart", Group("off", "a", Leader, Member("b", pending: true)), "PendingRestart", "b" },
    };

    [Theory, MemberData(nameof(Rows))]
    public void Each_rule_fails_alone_and_names_why(string situation, GroupTopology group, string failing, string detail)
    {
        var checks = HealthRules.Evaluate(group);

        var failed = checks.Where(c => c.Status == HealthStatus.Failed).ToList();
        if (failing.Length == 0)
        {
            failed.ShouldBeEmpty(situation);
            return;
        }

        failed.Select(c => c.Check).ShouldBe([failing], situation);
        failed[0].Detail.ShouldContain(detail, customMessage: situation);
    }

    [Fact]
    public void A_lag_limit_given_overrides_the_group_s()
    {
        var group = Group("off", "a", Leader, Member("b", lag: 500));

        HealthRules.Evaluate(group).Single(c => c.Check == HealthRules.Lag).Status.ShouldBe(HealthStatus.Passed);
        HealthRules.Evaluate(group, maximumLagBytes: 100).Single(c => c.Check == HealthRules.Lag).Status.ShouldBe(HealthStatus.Failed);
    }

    [Fact]
    public void Pg_dist_node_passes_when_equal_and_names_missing_and_unexpected_rows()
    {
        var desired = new PgDistGroup(1, [new PgDistNode("w1a", 5432, PgDistRole.Primary), new PgDistNode("w1b", 5432, PgDistRole.Secondary)]);
        (int, PgDistNode)[] same = [(1, new PgDistNode("w1b", 5432, PgDistRole.Secondary, 7)), (1, new PgDistNode("w1a", 5432, PgDistRole.Primary, 3))];
        (int, PgDistNode)[] stale = [(1, new PgDistNode("w1b", 5432, PgDistRole.Primary, 7)), (1, new PgDistNode("old", 5432, PgDistRole.Secondary, 9))];

        CatalogCheck.Compare("demo", 1, desired, same).Status.ShouldBe(HealthStatus.Passed);
        var failed = CatalogCheck.Compare("demo", 1, desired, stale);
        failed.Status.ShouldBe(HealthStatus.Failed);
        failed.Detail.ShouldBe("pg_dist_node differs from etcd: missing w1a:5432 primary, w1b:5432 secondary; not expected old:5432 secondary, w1b:5432 primary");
        CatalogCheck.Compare("demo", 2, null, stale).Status.ShouldBe(HealthStatus.Skipped);
    }
}
