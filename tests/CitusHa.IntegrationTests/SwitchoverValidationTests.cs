using CitusHa.Testing;

namespace CitusHa.IntegrationTests;

/// <summary>One two-member formation shared by every bad-request row: nothing may change it.</summary>
public sealed class SwitchoverValidationTests(TwoMemberFormation formation) : IClassFixture<TwoMemberFormation>
{
    [Theory]
    [InlineData("/switchover", "{}", 400, "Switchover could be performed only from a specific leader")]
    [InlineData("/failover", "{}", 400, "Failover could be performed only to a specific candidate")]
    [InlineData("/switchover", """{"leader":"LEADER","candidate":"LEADER"}""", 400, "Switchover target and source are the same")]
    [InlineData("/switchover", """{"leader":"nobody"}""", 412, "leader name does not match")]
    [InlineData("/switchover", """{"leader":"LEADER","candidate":"ghost"}""", 412, "candidate does not exists")]
    [InlineData("/switchover", """{"leader":"LEADER","scheduled_at":"2020-01-01T00:00:00+00:00"}""", 422, "Can't schedule switchover in the past")]
    [InlineData("/switchover", """{"leader":"LEADER","scheduled_at":"2099-01-01T00:00:00"}""", 400, "Timezone information is mandatory for the scheduled switchover")]
    [InlineData("/switchover", "not json", 400, "Invalid JSON")]
    public async Task Bad_requests_get_Patronis_status_codes_and_change_nothing(string path, string body, int expected, string message)
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(1));
        var harness = formation.Harness;
        var leader = (await harness.LeaderAsync(ct))!;
        var (status, text) = await SwitchoverTests.SendAsync(HttpMethod.Post, harness.Formation.Member(leader).ApiUrl + path, body.Replace("LEADER", leader, StringComparison.Ordinal), ct);
        ((int)status).ShouldBe(expected, text);
        text.ShouldStartWith(message);
        (await harness.LeaderAsync(ct)).ShouldBe(leader);
    }
}

public sealed class TwoMemberFormation : IAsyncLifetime
{
    private FormationHarness? harness;

    public FormationHarness Harness => harness ?? throw new InvalidOperationException("The formation has not started.");

    public async Task InitializeAsync() => harness = await FormationHarness.StartAsync(members: 2, cancellationToken: TestTimeouts.After(TimeSpan.FromMinutes(2)));

    public async Task DisposeAsync()
    {
        if (harness is not null)
        {
            await harness.DisposeAsync();
        }
    }
}
