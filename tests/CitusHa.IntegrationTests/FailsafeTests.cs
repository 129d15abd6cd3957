using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CitusHa.Testing;
using CitusHa.Testing.Workloads;
using Xunit.Abstractions;

namespace CitusHa.IntegrationTests;

/// <summary>
/// failsafe_mode (Patroni 3): etcd unreachable for every member. With it on, the primary keeps taking
/// writes as long as every member accepts it over REST, and takes the leader key back when etcd
/// returns; with it off, the primary stops taking writes before its lease could run out.
/// </summary>
public sealed class FailsafeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_failsafe_mode_the_primary_writes_through_an_etcd_outage_and_without_it_steps_down()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(6));
        await using var proxies = new EtcdProxies();
        await using var harness = await FormationHarness.StartAsync(etcdEndpointFor: proxies.EndpointFor, cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct)).ShouldNotBeNull();
        var primary = harness.Formation.Member(leader);
        var outage = harness.Formation.Ttl * 3;

        var (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Patch, $"{primary.ApiUrl}/config", """{"failsafe_mode":true}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        await TestTimeouts.WaitUntilAsync(async () => (await GetAsync($"{primary.ApiUrl}/failsafe", ct)) is { } topology && topology.EnumerateObject().Count() == 3,
            TimeSpan.FromSeconds(20), "the leader to publish the failsafe topology of all three members", ct).WithDiagnostics(harness, ct);

        // 1. failsafe on: the whole outage is written through, on the same primary.
        var writer = new NumberedWriter(harness.MemberConnectionString(primary));
        await writer.StartAsync(ct);
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(writer.Acknowledged.Count > 20), TimeSpan.FromSeconds(20), "writes acknowledged", ct);
        proxies.CutAll();
        var before = writer.Acknowledged.Count;
        var cutAt = Stopwatch.GetTimestamp();
        var clock = Stopwatch.StartNew();
        var sawFailsafe = false;
        var atTwoThirds = -1;
        while (clock.Elapsed < outage)
        {
            if (atTwoThirds < 0 && clock.Elapsed > outage * 2 / 3)
            {
                atTwoThirds = writer.Acknowledged.Count;
            }

            sawFailsafe |= await GetAsync($"{primary.ApiUrl}/patroni", ct) is { } doc && doc.TryGetProperty("failsafe_mode_is_active", out var active) && active.GetBoolean();
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        var during = writer.Acknowledged.Count - before;
        var lastThird = writer.Acknowledged.Count - atTwoThirds;
        var gap = writer.LongestGapSince(cutAt);
        output.WriteLine($"failsafe on, etcd unreachable for {outage.TotalSeconds:0} s: {during} writes acknowledged meanwhile ({lastThird} in the last third), longest gap between writes {gap:0.00} s");
        sawFailsafe.ShouldBeTrue("/patroni reports failsafe_mode_is_active on the primary");
        during.ShouldBeGreaterThan(100, "the primary kept taking writes while etcd was unreachable");
        lastThird.ShouldBeGreaterThan(10, "still taking writes two ttl into the outage, long after its lease ended");
        gap.ShouldBeLessThan(harness.Formation.Ttl.TotalSeconds / 2, "the primary never stepped down");

        proxies.RestoreAll();
        clock.Restart();
        await TestTimeouts.WaitUntilAsync(async () => await harness.LeaderAsync(ct) == leader, TimeSpan.FromSeconds(30), "the failsafe primary to take the leader key back", ct).WithDiagnostics(harness, ct);
        output.WriteLine($"etcd back: {leader} holds the leader key again after {clock.Elapsed.TotalSeconds:0.0} s");
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(60), ct, leader: leader).WithDiagnostics(harness, ct);
        await writer.DisposeAsync();
        (await writer.LostAsync(harness.PrimaryConnectionString(), ct)).ShouldBeEmpty("no acknowledged write is lost");

        // 2. failsafe off: the same outage makes the primary stop taking writes.
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Patch, $"{primary.ApiUrl}/config", """{"failsafe_mode":false}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        await TestTimeouts.WaitUntilAsync(async () => (await GetAsync($"{primary.ApiUrl}/failsafe", ct)) is null,
            TimeSpan.FromSeconds(20), "every member to see failsafe_mode off", ct).WithDiagnostics(harness, ct);
        proxies.CutAll();
        clock.Restart();
        await TestTimeouts.WaitUntilAsync(async () => !await FailoverTests.IsWritableAsync(harness.MemberConnectionString(primary), ct),
            outage, "the primary to stop taking writes without failsafe_mode", ct).WithDiagnostics(harness, ct);
        output.WriteLine($"failsafe off: the primary stopped taking writes {clock.Elapsed.TotalSeconds:0.0} s after etcd became unreachable");
        clock.Elapsed.ShouldBeLessThan(harness.Formation.Ttl, "it steps down before its lease can run out");

        proxies.RestoreAll();
        await harness.WaitForHealthyAsync(3, TimeSpan.FromSeconds(90), ct).WithDiagnostics(harness, ct);
    }

    /// <summary>A REST document, or null when the answer is not 200 with JSON (e.g. 502: failsafe_mode off).</summary>
    private static async Task<JsonElement?> GetAsync(string url, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri(url), ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }
}
