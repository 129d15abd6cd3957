using System.Text.Json.Nodes;
using CitusHa.Core.Ha;

namespace CitusHa.Core.Tests.Ha;

/// <summary>POST /restart bodies: Patroni's filters, its 400 texts, and when a restart may run.</summary>
public sealed class RestartRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("""{"when":"now"}""", "Unknown filter for the scheduled restart: when")]
    [InlineData("""{"schedule":"tomorrow-ish"}""", "Unable to parse scheduled timestamp")]
    [InlineData("""{"schedule":"2026-11-23T11:59:00Z"}""", "Cannot schedule restart in the past")]
    [InlineData("""{"role":"boss"}""", "PostgreSQL role should be either primary or replica")]
    [InlineData("""{"postgres_version":"fifteen"}""", "first.major.minor")]
    [InlineData("""{"timeout":"-3"}""", "Timeout should be a positive number")]
    public void Bad_bodies_are_refused_with_a_reason(string json, string reason)
    {
        RestartRequest.Parse(JsonNode.Parse(json)!.AsObject(), Now, out var error).ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain(reason);
    }

    [Fact]
    public void A_full_body_parses_every_filter()
    {
        var request = RestartRequest.Parse(JsonNode.Parse("""{"schedule":"2026-11-23T13:00:00+01:00","role":"master","postgres_version":"15.9","restart_pending":true,"timeout":"30s"}""")!.AsObject(), Now, out var error);
        error.ShouldBeNull();
        request.ShouldNotBeNull();
        request.Schedule.ShouldBe(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        request.Role.ShouldBe("primary");
        request.PostgresVersionBelow.ShouldBe(150009);
        request.OnlyIfPending.ShouldBeTrue();
        request.Timeout.ShouldBe(TimeSpan.FromSeconds(30));
        var record = request.ToRecord(null);
        record["role"]!.GetValue<string>().ShouldBe("primary");
        record["restart_pending"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Theory]
    [InlineData("15.8", 150008)]
    [InlineData("16", 160000)]
    [InlineData("9.6.24", 90624)]
    [InlineData("15.x", null)]
    [InlineData("", null)]
    public void Versions_read_as_server_version_num(string text, int? expected) => RestartRequest.ParseVersion(text).ShouldBe(expected);

    [Theory]
    //           role       version   pending  | primary  running  pending  => runs
    [InlineData(null, null, false, true, 150008, false, true)]
    [InlineData("primary", null, false, false, 150008, false, false)]
    [InlineData("replica", null, false, false, 150008, false, true)]
    [InlineData(null, "15.9", false, true, 150008, false, true)]
    [InlineData(null, "15.8", false, true, 150008, false, false)]
    [InlineData(null, "15.9", false, true, null, false, false)]
    [InlineData(null, null, true, true, 150008, false, false)]
    [InlineData(null, null, true, true, 150008, true, true)]
    public void Filters_decide_whether_the_restart_runs(string? role, string? version, bool onlyIfPending, bool isPrimary, int? running, bool pending, bool runs)
    {
        var request = new RestartRequest { Role = role, PostgresVersionBelow = RestartRequest.ParseVersion(version), OnlyIfPending = onlyIfPending };
        request.Matches(isPrimary, running, pending).ShouldBe(runs);
    }

    [Fact]
    public void An_empty_body_is_a_plain_restart()
    {
        var request = RestartRequest.Parse(null, Now, out var error);
        error.ShouldBeNull();
        request.ShouldBe(new RestartRequest());
        request!.Matches(isPrimary: false, serverVersion: null, pendingRestart: false).ShouldBeTrue();
    }
}
