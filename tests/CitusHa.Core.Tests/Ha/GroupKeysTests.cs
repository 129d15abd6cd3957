using CitusHa.Core.Dcs;
using CitusHa.Core.Ha;
using CitusHa.Core.Ha.Dcs;

namespace CitusHa.Core.Tests.Ha;

/// <summary>Decoding a group's keys as the agents read them every cycle: garbage never wedges the group.</summary>
public sealed class GroupKeysTests
{
    [Theory]
    [InlineData("not json")]
    [InlineData("""{"leader": 7}""")]
    [InlineData("[]")]
    [InlineData("")]
    public void An_unreadable_sync_key_protects_nothing_but_keeps_its_revision_so_the_leader_can_replace_it(string value)
    {
        var items = new[] { new DcsKeyValue("/service/demo/0/sync", value, 3, 42, 0) };
        var sync = GroupKeys.Decode("/service/demo/0/", items, HaSettings.Defaults).View.Sync.ShouldNotBeNull();
        sync.IsActive.ShouldBeFalse();
        sync.Standbys.ShouldBeEmpty();
        sync.ModRevision.ShouldBe(42, "the compare-and-swap must name the key's real revision, not 'absent'");
    }

    [Fact]
    public void A_missing_sync_key_is_absent_and_a_valid_one_is_read()
    {
        GroupKeys.Decode("/service/demo/0/", [], HaSettings.Defaults).View.Sync.ShouldBeNull();
        var items = new[] { new DcsKeyValue("/service/demo/0/sync", """{"leader":"a","sync_standby":"b,c","quorum":1}""", 3, 9, 0) };
        var sync = GroupKeys.Decode("/service/demo/0/", items, HaSettings.Defaults).View.Sync.ShouldNotBeNull();
        sync.Leader.ShouldBe("a");
        sync.Standbys.ShouldBe(["b", "c"]);
        sync.Quorum.ShouldBe(1);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"a": 7}""")]
    [InlineData("""["a"]""")]
    [InlineData("""{"a": ""}""")]
    public void A_garbage_failsafe_key_is_discarded_as_patroni_does(string value)
    {
        var items = new[] { new DcsKeyValue("/service/demo/failsafe", value, 3, 4, 0) };
        GroupKeys.Decode("/service/demo/", items, HaSettings.Defaults).View.Failsafe.ShouldBeNull();
    }

    [Fact]
    public void The_failsafe_topology_and_failsafe_mode_are_read()
    {
        var items = new[]
        {
            new DcsKeyValue("/service/demo/failsafe", """{"a":"http://a:8008/patroni","b":"http://b:8008/patroni"}""", 3, 4, 0),
            new DcsKeyValue("/service/demo/config", """{"ttl":10,"failsafe_mode":true}""", 3, 5, 0),
        };
        var (view, settings) = GroupKeys.Decode("/service/demo/", items, HaSettings.Defaults);
        view.Failsafe.ShouldNotBeNull().ShouldBe(new Dictionary<string, string> { ["a"] = "http://a:8008/patroni", ["b"] = "http://b:8008/patroni" }, ignoreOrder: true);
        settings.FailsafeMode.ShouldBeTrue();
        GroupKeys.Decode("/service/demo/", [], HaSettings.Defaults with { FailsafeMode = true }).Settings.FailsafeMode.ShouldBeTrue("the bootstrap value stands without a config key");
        GroupKeys.Decode("/service/demo/", [items[1] with { Value = """{"failsafe_mode":false}""" }], HaSettings.Defaults with { FailsafeMode = true }).Settings.FailsafeMode.ShouldBeFalse();
    }
}
