using CitusHa.Core.Citus;
using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Citus;

public sealed class CitusInputsTests
{
    [Theory]
    [InlineData("{\"type\":\"before_demote\",\"group\":2,\"leader\":\"w2-0\",\"timeout\":30,\"cooldown\":10}", true, "")]
    [InlineData("{\"type\":\"after_promote\",\"group\":1,\"leader\":\"w1-1\",\"timeout\":\"20\",\"cooldown\":3}", true, "")]
    [InlineData("not json", false, "not JSON")]
    [InlineData("[1]", false, "JSON object")]
    [InlineData("{\"type\":\"promote\",\"group\":1,\"leader\":\"x\"}", false, "'type'")]
    [InlineData("{\"type\":\"after_promote\",\"group\":0,\"leader\":\"x\"}", false, "'group'")]
    [InlineData("{\"type\":\"after_promote\",\"group\":1}", false, "'leader'")]
    [InlineData("{\"type\":\"after_promote\",\"group\":1,\"leader\":\"x\",\"timeout\":-1}", false, "'timeout'")]
    public void Parses_Patroni_s_event_body_or_names_the_bad_field(string body, bool ok, string errorPart)
    {
        CitusEvent.TryParse(body, out var parsed, out var error).ShouldBe(ok);
        if (ok)
        {
            CitusEvent.TryParse(parsed!.ToJson(), out var again, out _).ShouldBeTrue();
            again.ShouldBe(parsed);
        }
        else
        {
            error.ShouldContain(errorPart);
        }
    }

    [Theory]
    [InlineData("", "100", "citus", "200")]
    [InlineData("pg_stat_statements, citus ,auto_explain", "40", "citus,pg_stat_statements,auto_explain", "80")]
    public void Citus_parameters_put_citus_first_and_size_prepared_transactions(string libraries, string connections, string expectedLibraries, string expectedPrepared)
    {
        var input = new Dictionary<string, string> { ["max_connections"] = connections, ["wal_level"] = "replica" };
        if (libraries.Length > 0)
        {
            input["shared_preload_libraries"] = libraries;
        }

        var result = CitusParameters.Apply(input, "10.0.0.5");

        result["shared_preload_libraries"].ShouldBe(expectedLibraries);
        result["max_prepared_transactions"].ShouldBe(expectedPrepared);
        result["wal_level"].ShouldBe("logical");
        result["citus.local_hostname"].ShouldBe("10.0.0.5");
    }

    [Fact]
    public void An_explicit_max_prepared_transactions_is_kept() =>
        CitusParameters.Apply(new Dictionary<string, string> { ["max_prepared_transactions"] = "64" }, "h")["max_prepared_transactions"].ShouldBe("64");

    public static TheoryData<string, string, string, string> DynamicCases => new()
    {
        // dynamic parameters, local parameters ("k=v;k=v"), key, expected value ("" = not set dynamically)
        { "shared_preload_libraries=pg_stat_statements", "", "shared_preload_libraries", "citus,pg_stat_statements" },
        { "wal_level=replica", "", "wal_level", "logical" },
        { "citus.local_hostname=elsewhere", "", "citus.local_hostname", "10.0.0.5" },
        { "max_connections=300", "max_connections=100", "max_prepared_transactions", "600" },
        { "max_connections=300", "max_prepared_transactions=50", "max_prepared_transactions", "50" },
        { "max_prepared_transactions=0", "max_connections=80", "max_prepared_transactions", "160" },
        { "work_mem=64MB", "max_connections=80", "max_prepared_transactions", "" },
        { "work_mem=64MB", "", "shared_preload_libraries", "" },
        { "work_mem=64MB", "", "work_mem", "64MB" },
    };

    /// <summary>Dynamic parameters win over the local file: where they touch what Citus needs, Citus' rule still holds; elsewhere they are left alone.</summary>
    [Theory]
    [MemberData(nameof(DynamicCases))]
    public void Dynamic_parameters_keep_what_Citus_needs(string dynamic, string local, string key, string expected)
    {
        var result = CitusParameters.ApplyToDynamic(Pairs(dynamic), Pairs(local), "10.0.0.5");

        if (expected.Length == 0)
        {
            result.ShouldNotContainKey(key);
        }
        else
        {
            result[key].ShouldBe(expected);
        }
    }

    private static Dictionary<string, string> Pairs(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    [Theory]
    [InlineData("*", "localhost")]
    [InlineData("0.0.0.0", "localhost")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("10.1.2.3,127.0.0.1", "10.1.2.3")]
    public void Local_host_name_follows_the_listen_address(string listen, string expected) =>
        CitusParameters.LocalHostName(listen).ShouldBe(expected);

    [Theory]
    [InlineData("citus_shard_move_slot_1_2_3", "pgoutput", true)]
    [InlineData("citus_shard_move_slot_1_2_3", "citus", false)]
    [InlineData("citus_shard_split_slot_1_2", "citus", true)]
    [InlineData("citus_shard_split_slot_1_2_3_4", "citus", false)]
    [InlineData("citus_shard_move_slot_1", "pgoutput", false)]
    [InlineData("foo", "pgoutput", false)]
    public void Recognises_Citus_shard_transfer_slots(string name, string plugin, bool expected) =>
        CitusParameters.IsShardTransferSlot(name, plugin).ShouldBe(expected);

    private static MemberInfo Member(string name, string url, string state = "running", string role = "replica", bool noLoadBalance = false) =>
        new(name, url, null, state, role, null, 1, NoLoadBalance: noLoadBalance);

    [Fact]
    public void The_desired_rows_are_the_leader_and_running_load_balanced_replicas()
    {
        var view = new DcsView
        {
            Leader = new LeaderKey("w1-0", 1, 1),
            Members =
            [
                Member("w1-0", "postgres://w1-0.db:5432/postgres", role: "primary"),
                Member("w1-1", "postgres://w1-1.db:5433/postgres"),
                Member("w1-2", "postgres://w1-2.db/postgres", state: "starting"),
                Member("w1-3", "postgres://w1-3.db/postgres", noLoadBalance: true),
            ],
        };

        var rows = CitusTopology.RunningPrimary(1, view)!;

        rows.Nodes.ShouldBe([new PgDistNode("w1-0.db", 5432, PgDistRole.Primary), new PgDistNode("w1-1.db", 5433, PgDistRole.Secondary)]);
        CitusTopology.Desired(1, view, "w1-0", "postgres://w1-0.db:5432/postgres", CitusEventType.BeforeDemote)!.Primary!.Role.ShouldBe(PgDistRole.Demoted);
    }

    [Fact]
    public void A_group_without_a_running_primary_leader_is_left_alone()
    {
        var view = new DcsView { Leader = new LeaderKey("w1-0", 1, 1), Members = [Member("w1-0", "postgres://w1-0.db/postgres", state: "starting", role: "primary")] };

        CitusTopology.RunningPrimary(1, view).ShouldBeNull();
        CitusTopology.RunningPrimary(1, view with { Leader = null }).ShouldBeNull();
    }
}
