using CitusHa.Core.Adapters.Postgres;

namespace CitusHa.Core.Tests.Adapters.Postgres;

/// <summary>A standby starts at least at the primary's hot-standby settings, as pg_controldata recorded them.</summary>
public sealed class HotStandbyParametersTests
{
    private static readonly Dictionary<string, string> PatroniDefaults = new()
    {
        ["max_connections setting"] = "100",
        ["max_worker_processes setting"] = "8",
        ["max_wal_senders setting"] = "10",
        ["max_prepared_xacts setting"] = "0",
        ["max_locks_per_xact setting"] = "64",
        ["Database cluster state"] = "in archive recovery",
    };

    [Fact]
    public void A_lower_setting_is_raised_to_the_primary_s_and_higher_or_equal_ones_are_kept()
    {
        var settings = new Dictionary<string, string> { ["max_connections"] = "40", ["max_wal_senders"] = "20", ["max_prepared_transactions"] = "0" };

        var raised = HotStandbyParameters.Raise(settings, PatroniDefaults);

        settings["max_connections"].ShouldBe("100");
        settings["max_wal_senders"].ShouldBe("20", "higher than the primary's: kept");
        settings.ShouldNotContainKey("max_worker_processes", "the default (8) equals the primary's: nothing written");
        raised.ShouldBe(["max_connections 40 → 100"]);
    }

    [Fact]
    public void An_unset_parameter_is_compared_by_PostgreSQL_s_default()
    {
        var settings = new Dictionary<string, string>();
        HotStandbyParameters.Raise(settings, new Dictionary<string, string> { ["max_prepared_xacts setting"] = "200", ["max_locks_per_xact setting"] = "64" });
        settings.ShouldBe(new Dictionary<string, string> { ["max_prepared_transactions"] = "200" });
    }

    [Fact]
    public void Without_control_data_nothing_changes()
    {
        var settings = new Dictionary<string, string> { ["max_connections"] = "40" };
        HotStandbyParameters.Raise(settings, new Dictionary<string, string>()).ShouldBeEmpty();
        settings["max_connections"].ShouldBe("40");
    }
}
