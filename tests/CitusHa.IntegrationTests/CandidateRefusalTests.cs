using System.Net;
using CitusHa.Core.Formation;
using CitusHa.Testing;
using CitusHa.Testing.Servers;

namespace CitusHa.IntegrationTests;

/// <summary>
/// The REST API refuses a switchover to a candidate that cannot take over (Patroni's 412 with the
/// reason), before anything is written: here a candidate whose PostgreSQL was stopped in maintenance
/// mode, where nothing restarts it.
/// </summary>
public sealed class CandidateRefusalTests
{
    [Fact]
    public async Task A_switchover_to_a_candidate_whose_PostgreSQL_is_stopped_gets_412_and_changes_nothing()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(members: 2, cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var candidate = harness.Formation.Members.Single(m => m.Name != leader);
        var api = harness.Formation.Member(leader).ApiUrl;

        var (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Patch, $"{api}/config", """{"pause":true}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        await TestTimeouts.WaitUntilAsync(async () => (await SwitchoverTests.SendAsync(HttpMethod.Get, $"{candidate.ApiUrl}/patroni", string.Empty, ct)).Body.Contains("\"pause\":true", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the candidate to see maintenance mode", ct);
        await Signals.SendAsync(LocalFormation.PostmasterPid(candidate).ShouldNotBeNull(), "INT", ct); // fast shutdown
        await TestTimeouts.WaitUntilAsync(async () => (await harness.MembersAsync(ct)).Single(m => m.Name == candidate.Name).State is not ("running" or "streaming"),
            TimeSpan.FromSeconds(30), "the candidate's member key to say PostgreSQL is not running", ct).WithDiagnostics(harness, ct);

        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{api}/switchover", $$"""{"leader":"{{leader}}","candidate":"{{candidate.Name}}"}""", ct);
        ((int)status).ShouldBe(412, body);
        body.ShouldStartWith("switchover is not possible:");
        body.ShouldContain("not running");
        (await harness.LeaderAsync(ct)).ShouldBe(leader, "a refused switchover changes nothing");

        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Patch, $"{api}/config", """{"pause":null}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        await harness.WaitForHealthyAsync(2, TimeSpan.FromSeconds(60), ct, leader: leader).WithDiagnostics(harness, ct);
    }
}
