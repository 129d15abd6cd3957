using System.Text.Json;
using System.Text.Json.Nodes;
using CitusHa.Core.Errors;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;
using CitusHa.Core.Model;
using CitusHa.Core.Operations;

namespace CitusHa.Core.Tests.Operations;

/// <summary>Planning a dynamic configuration change: the patch, the diff, and the agents' validation, before anything is sent.</summary>
public sealed class ConfigurationPlanTests
{
    private static JsonObject Current() => (JsonObject)JsonNode.Parse("""
        {"ttl":10,"loop_wait":1,"retry_timeout":3,"synchronous_mode":"quorum",
         "postgresql":{"use_pg_rewind":true,"parameters":{"work_mem":"4MB","max_connections":"100"}}}
        """)!;

    [Fact]
    public void Dotted_paths_become_a_merge_patch_and_every_change_is_listed()
    {
        var plan = ConfigurationPlan.Create(Current(), new Dictionary<string, object?>
        {
            ["ttl"] = 20,
            ["postgresql.parameters.work_mem"] = "8MB",
            ["postgresql.parameters.max_connections"] = null,
            ["postgresql.parameters.jit"] = "off",
        });

        plan.Patch.ToJsonString().ShouldBe("""{"postgresql":{"parameters":{"jit":"off","max_connections":null,"work_mem":"8MB"}},"ttl":20}""");
        plan.Changes.Select(c => $"{c.Path}: {c.OldValue} -> {c.NewValue}").ShouldBe(
        [
            "postgresql.parameters.jit:  -> \"off\"",
            "postgresql.parameters.max_connections: \"100\" -> ",
            "postgresql.parameters.work_mem: \"4MB\" -> \"8MB\"",
            "ttl: 10 -> 20",
        ]);
        plan.Merged["postgresql"]!["use_pg_rewind"]!.GetValue<bool>().ShouldBeTrue("untouched settings stay");
    }

    [Fact]
    public void Setting_what_is_already_there_plans_no_change()
    {
        ConfigurationPlan.Create(Current(), new Dictionary<string, object?> { ["ttl"] = 10 }).Changes.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("ttl", 5, "loop_wait + 2 × retry_timeout must not exceed ttl")]
    [InlineData("ttl", 1e12, "must not exceed one day")]
    [InlineData("retry_timeout", 0.5, "retry_timeout must be at least 1 second")]
    public void A_change_the_agents_would_ignore_is_refused(string path, double value, string message)
    {
        var error = Should.Throw<CitusHaException>(() => ConfigurationPlan.Create(Current(), new Dictionary<string, object?> { [path] = value }));

        error.ErrorId.ShouldBe(ErrorIds.InvalidConfiguration);
        error.Message.ShouldContain(message);
    }

    [Theory]
    [InlineData("a..b", "not a setting path")]
    [InlineData(".ttl", "not a setting path")]
    public void Bad_paths_are_refused(string path, string message) =>
        Should.Throw<CitusHaException>(() => ConfigurationPlan.Create(Current(), new Dictionary<string, object?> { [path] = 1 })).Message.ShouldContain(message);

    [Fact]
    public void A_value_of_another_type_is_refused_with_what_to_give()
    {
        Should.Throw<CitusHaException>(() => ConfigurationPlan.Create(Current(), new Dictionary<string, object?> { ["ttl"] = new List<int> { 1, 2 } }))
            .Message.ShouldContain("give a string, a number");
    }

    [Fact]
    public void An_out_of_range_dynamic_timer_falls_back_to_the_bootstrap_settings_instead_of_throwing()
    {
        // The agent decodes the config key every cycle: a ttl of 1e12 used to throw there (TimeSpan overflow).
        using var config = JsonDocument.Parse("""{"ttl":1e12}""");
        Should.Throw<CitusHaException>(() => GroupKeys.ParseDynamic(config.RootElement, HaSettings.Defaults)).ErrorId.ShouldBe(ErrorIds.InvalidHaSettings);
        var items = new[] { new Core.Dcs.DcsKeyValue("/service/demo/0/config", """{"ttl":1e12}""", 1, 1, 0) };
        GroupKeys.Decode("/service/demo/0/", items, HaSettings.Defaults).Settings.Ttl.ShouldBe(HaSettings.Defaults.Ttl);
    }

    [Fact]
    public void History_lines_are_read_leniently()
    {
        var history = TimelineSwitch.ParseHistory("""[[1,50331744,"no recovery target specified","2026-11-30T04:00:00.000000+00:00","demo-0-1"],"garbage",[2],[3,"x"]]""");

        history.Count.ShouldBe(2);
        history[0].ShouldBe(new TimelineSwitch(1, 50331744, "no recovery target specified", new DateTimeOffset(2026, 11, 30, 4, 0, 0, TimeSpan.Zero), "demo-0-1"));
        history[1].Timeline.ShouldBe(3);
        history[1].Lsn.ShouldBeNull();
        TimelineSwitch.ParseHistory("not json").ShouldBeEmpty();
        TimelineSwitch.ParseHistory("{}").ShouldBeEmpty();
    }
}
