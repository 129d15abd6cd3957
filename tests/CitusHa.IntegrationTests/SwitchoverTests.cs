using System.Diagnostics;
using System.Net;
using System.Text;
using CitusHa.Testing;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>Planned changes through the REST API: switchover (named, any, scheduled), pause, SIGTERM.</summary>
public sealed class SwitchoverTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(40) };

    internal static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string url, string json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await Http.SendAsync(request, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Switchover_to_a_named_candidate_to_any_member_and_at_a_scheduled_time()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct))!;
        var candidate = harness.Formation.Members.First(m => m.Name != leader).Name;
        var api = harness.Formation.Member(leader).ApiUrl;

        var clock = Stopwatch.StartNew();
        var (status, body) = await SendAsync(HttpMethod.Post, $"{api}/switchover", $$"""{"leader":"{{leader}}","candidate":"{{candidate}}"}""", ct);
        output.WriteLine($"switchover to {candidate}: {(int)status} {body} after {clock.Elapsed.TotalSeconds:0.00} s");
        status.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldBe($"Successfully switched over to \"{candidate}\"");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: candidate);

        // To any member: the best standby is chosen.
        (status, body) = await SendAsync(HttpMethod.Post, $"{harness.Formation.Member(candidate).ApiUrl}/switchover", $$"""{"leader":"{{candidate}}"}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        var third = (await harness.LeaderAsync(ct))!;
        third.ShouldNotBe(candidate);
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: third);

        // A scheduled switchover can be taken back (patronictl flush … switchover).
        var later = DateTimeOffset.UtcNow.AddMinutes(10);
        var thirdApi = harness.Formation.Member(third).ApiUrl;
        (status, body) = await SendAsync(HttpMethod.Post, $"{thirdApi}/switchover", $$"""{"leader":"{{third}}","scheduled_at":"{{later:O}}"}""", ct);
        status.ShouldBe(HttpStatusCode.Accepted, body);
        (status, body) = await SendAsync(HttpMethod.Delete, $"{thirdApi}/switchover", string.Empty, ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        (status, body) = await SendAsync(HttpMethod.Delete, $"{thirdApi}/switchover", string.Empty, ct);
        status.ShouldBe(HttpStatusCode.NotFound, body);
        (await harness.LeaderAsync(ct)).ShouldBe(third);

        // Scheduled: accepted now, carried out at the time.
        var at = DateTimeOffset.UtcNow.AddSeconds(4);
        (status, body) = await SendAsync(HttpMethod.Post, $"{harness.Formation.Member(third).ApiUrl}/switchover", $$"""{"leader":"{{third}}","scheduled_at":"{{at:O}}"}""", ct);
        status.ShouldBe(HttpStatusCode.Accepted, body);
        body.ShouldBe("Switchover scheduled");
        (await harness.LeaderAsync(ct)).ShouldBe(third, "nothing happens before the scheduled time");
        await TestTimeouts.WaitUntilAsync(async () => await harness.LeaderAsync(ct) is { } l && l != third, TimeSpan.FromSeconds(30), "the scheduled switchover", ct).WithDiagnostics(harness, ct);
        DateTimeOffset.UtcNow.ShouldBeGreaterThan(at);
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct);
    }

    [Fact]
    public async Task Pause_stops_failover_allows_a_switchover_to_a_named_candidate_and_resume_restores_it()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var first = (await harness.LeaderAsync(ct))!;
        var other = harness.Formation.Members.First(m => m.Name != first);

        var (status, body) = await SendAsync(HttpMethod.Patch, $"{other.ApiUrl}/config", """{"pause":true}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldContain("\"pause\":true");
        await TestTimeouts.WaitUntilAsync(async () => (await harness.MembersAsync(ct)).All(m => m.State is not null), TimeSpan.FromSeconds(5), "members to see the pause", ct);
        await Task.Delay(TimeSpan.FromSeconds(2), ct); // one loop_wait for every member to read the config

        // Patroni's manual failover in pause: a switchover to a named candidate is carried out, and the
        // old leader comes back as its standby, all while the group stays paused.
        var clock = Stopwatch.StartNew();
        (status, body) = await SendAsync(HttpMethod.Post, $"{harness.Formation.Member(first).ApiUrl}/switchover", $$"""{"leader":"{{first}}","candidate":"{{other.Name}}"}""", ct);
        output.WriteLine($"switchover in pause: {(int)status} {body} after {clock.Elapsed.TotalSeconds:0.00} s");
        status.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldBe($"Successfully switched over to \"{other.Name}\"");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: other.Name).WithDiagnostics(harness, ct);
        var leader = other.Name;
        other = harness.Formation.Members.First(m => m.Name != leader);

        await harness.Formation.KillAsync(harness.Formation.Member(leader), postgresToo: true, ct);
        // Paused: after the lease runs out nobody takes over.
        await TestTimeouts.WaitUntilAsync(async () => await harness.LeaderAsync(ct) is null, TimeSpan.FromSeconds(20), "the dead leader's key to expire", ct);
        var stillNobody = Stopwatch.StartNew();
        while (stillNobody.Elapsed < TimeSpan.FromSeconds(5))
        {
            (await harness.LeaderAsync(ct)).ShouldBeNull("no failover while paused");
            await Task.Delay(250, ct);
        }

        (status, body) = await SendAsync(HttpMethod.Patch, $"{other.ApiUrl}/config", """{"pause":null}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldNotContain("pause");
        await TestTimeouts.WaitUntilAsync(async () => await harness.LeaderAsync(ct) is { } l && l != leader, TimeSpan.FromSeconds(30), "a new leader after resume", ct).WithDiagnostics(harness, ct);
    }

    [Fact]
    public async Task SIGTERM_of_the_leader_hands_over_to_a_standby_at_once()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct))!;
        var clock = Stopwatch.StartNew();
        await harness.Formation.StopAgentAsync(harness.Formation.Member(leader), TimeSpan.FromSeconds(60), ct);
        await TestTimeouts.WaitUntilAsync(async () => await harness.LeaderAsync(ct) is { } l && l != leader, TimeSpan.FromSeconds(20), "a standby to take over", ct).WithDiagnostics(harness, ct);
        output.WriteLine($"SIGTERM of {leader} → new leader after {clock.Elapsed.TotalSeconds:0.0} s");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(8), "a graceful hand-over does not wait for the lease to expire (ttl 10 s)");
        await harness.WaitForHealthyAsync(2, TimeSpan.FromSeconds(30), ct);
    }
}
