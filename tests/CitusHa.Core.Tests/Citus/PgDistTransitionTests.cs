using CitusHa.Core.Citus;

namespace CitusHa.Core.Tests.Citus;

/// <summary>
/// The transition rules, case by case: Patroni's own table (tests/test_citus.py) plus the cases the
/// coordinator meets in a switchover. Rows are written "host:role#nodeid" (port 5432); added rows get
/// node ids 100, 101, … as the catalog would hand them out.
/// </summary>
public sealed class PgDistTransitionTests
{
    public static TheoryData<string, string, string, string, string[]> Cases => new()
    {
        { "new topology", "", "1:primary,2:secondary", "1:primary#100,2:secondary#101", ["citus_add_node('1', 5432, 0, 'primary')", "citus_add_node('2', 5432, 0, 'secondary')"] },
        { "switchover", "1:primary#1,2:secondary#2", "1:secondary,2:primary", "2:primary#1,1:secondary#2", ["citus_update_node(1, '1-demoted', 5432)", "citus_update_node(2, '1', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "failover", "1:primary#1,2:secondary#2", "2:primary", "2:primary#1,1:secondary#2", ["citus_update_node(1, '1-demoted', 5432)", "citus_update_node(2, '1', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "failover and new secondary", "1:primary#1,2:secondary#2", "2:primary,3:secondary", "2:primary#1,3:secondary#2", ["citus_update_node(2, '3', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "switchover, new secondary, primary gone", "1:demoted#1,2:secondary#2", "2:primary,3:secondary", "2:primary#1,3:secondary#2", ["citus_update_node(2, '3', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "secondary replaced", "1:primary#1,2:secondary#2", "1:primary,3:secondary", "1:primary#1,3:secondary#2", ["citus_update_node(2, '3', 5432)"] },
        { "secondary removed", "1:primary#1,2:secondary#2,3:secondary#3", "1:primary,3:secondary", "1:primary#1,3:secondary#3", ["citus_remove_node('2', 5432)"] },
        { "switchover and secondary removed", "1:primary#1,2:secondary#2,3:secondary#3", "1:secondary,2:primary", "1:secondary#2,2:primary#1,3:secondary#3", ["citus_update_node(1, '1-demoted', 5432)", "citus_update_node(2, '1', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "switchover and new secondary", "1:primary#1,2:secondary#2", "1:secondary,2:primary,3:secondary", "1:secondary#2,2:primary#1", ["citus_update_node(1, '1-demoted', 5432)", "citus_update_node(2, '1', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "failover to new node, secondary remains", "1:primary#1,2:secondary#2", "2:secondary,3:primary", "3:primary#1,2:secondary#2", ["citus_update_node(1, '3', 5432)"] },
        { "failover to new node, secondary removed", "1:primary#1,2:secondary#2", "3:primary", "3:primary#1,2:secondary#2", ["citus_update_node(1, '3', 5432)"] },
        { "switchover to new node and secondary removed", "1:primary#1,2:secondary#2", "1:secondary,3:primary", "3:primary#1,1:secondary#2", ["citus_update_node(1, '3', 5432)", "citus_update_node(2, '1', 5432)"] },
        { "pause before a switchover", "1:primary#1,2:secondary#2", "1:demoted", "1:demoted#1,2:secondary#2", ["citus_update_node(1, '1-demoted', 5432)"] },
        { "switchover after the pause", "1:demoted#1,2:secondary#2", "2:primary", "1:secondary#2,2:primary#1", ["citus_update_node(2, '1', 5432)", "citus_update_node(1, '2', 5432)"] },
        { "switchover to new node after the pause", "1:demoted#1,2:secondary#2", "3:primary", "1:secondary#2,3:primary#1", ["citus_update_node(1, '3', 5432)", "citus_update_node(2, '1', 5432)"] },
        { "switchover to new node after the pause, secondary added", "1:demoted#1,2:secondary#2", "4:secondary,3:primary", "4:secondary#2,3:primary#1", ["citus_update_node(1, '3', 5432)", "citus_update_node(2, '4', 5432)"] },
        { "resume after the pause", "1:demoted#1,2:secondary#2", "1:primary,2:secondary", "1:primary#1,2:secondary#2", ["citus_update_node(1, '1', 5432)"] },
        { "nothing changed", "1:primary#1,2:secondary#2", "1:primary,2:secondary", "1:primary#1,2:secondary#2", [] },
        { "secondary added", "1:primary#1", "1:primary,2:secondary", "1:primary#1,2:secondary#100", ["citus_add_node('2', 5432, 0, 'secondary')"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plans_Patroni_s_statements_and_rows(string story, string current, string desired, string expected, string[] statements)
    {
        var plan = PgDistTransition.Plan(Group(current), Group(desired));

        plan.Steps.Select(s => s.ToString()).ShouldBe(statements, story);
        var nextId = 100;
        var addedIds = plan.Steps.OfType<PgDistStep.Add>().ToDictionary(a => a.Host, _ => nextId++);
        var rows = plan.Result.Nodes.Select(n => n with { NodeId = n.NodeId ?? addedIds.GetValueOrDefault(n.Host) });
        Render(rows).ShouldBe(Render(Group(expected).Nodes), story);
    }

    [Fact]
    public void Never_adds_or_removes_in_the_transition_that_changes_the_primary()
    {
        var plan = PgDistTransition.Plan(Group("1:primary#1,2:secondary#2,5:secondary#5"), Group("2:primary,3:secondary,4:secondary"));

        plan.Result.Failover.ShouldBeTrue();
        plan.Steps.ShouldAllBe(s => s is PgDistStep.Update);
    }

    [Fact]
    public void A_demoted_row_read_back_from_the_catalog_is_the_same_node()
    {
        var node = PgDistNode.FromRow("worker-1.db-demoted", 5432, "primary", 7);

        node.ShouldBe(new PgDistNode("worker-1.db", 5432, PgDistRole.Demoted, 7));
        node.NodeName.ShouldBe("worker-1.db-demoted");
    }

    [Fact]
    public void Rejects_a_desired_group_without_primary() =>
        Should.Throw<ArgumentException>(() => PgDistTransition.Plan(Group("1:primary#1"), Group("2:secondary")));

    internal static PgDistGroup Group(string rows) => new(0, rows.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Node).ToList());

    private static PgDistNode Node(string text)
    {
        var (address, id) = text.Split('#') is [var a, var i] ? (a, (int?)int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)) : (text, null);
        var parts = address.Split(':');
        return new PgDistNode(parts[0], 5432, Enum.Parse<PgDistRole>(parts[1], ignoreCase: true), id);
    }

    private static string Render(IEnumerable<PgDistNode> nodes) => string.Join(",", nodes.Select(n => n.ToString()).Order(StringComparer.Ordinal));
}
