using System.Net;
using CitusHa.Testing;
using Npgsql;

namespace CitusHa.IntegrationTests;

/// <summary>PostgreSQL parameters in the group's config key: reloadable ones applied at once, the rest reported as pending restart.</summary>
public sealed class DynamicConfigTests
{
    private static async Task<string> ShowAsync(FormationHarness harness, Core.Formation.LocalMember member, string name, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(harness.MemberConnectionString(member));
        await connection.OpenAsync(ct);
        await using var show = new NpgsqlCommand($"SHOW {name}", connection);
        return (string)(await show.ExecuteScalarAsync(ct))!;
    }

    [Fact]
    public async Task Reloadable_parameters_apply_everywhere_and_restart_only_ones_are_reported_pending()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(members: 2, cancellationToken: ct);
        var leader = (await harness.LeaderAsync(ct))!;
        var (status, body) = await SwitchoverTests.SendAsync(new HttpMethod("PATCH"), $"{harness.Formation.Member(leader).ApiUrl}/config",
            """{"postgresql":{"parameters":{"work_mem":"8MB","max_connections":"45","not_a_parameter":"1"}}}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);

        await TestTimeouts.WaitUntilAsync(async () =>
        {
            foreach (var member in harness.Formation.Members)
            {
                if (await ShowAsync(harness, member, "work_mem", ct) != "8MB")
                {
                    return false;
                }
            }

            return (await harness.MembersAsync(ct)).All(m => m.PendingRestart);
        }, TimeSpan.FromSeconds(20), "work_mem on every member and max_connections pending restart", ct).WithDiagnostics(harness, ct);
        (await ShowAsync(harness, harness.Formation.Member(leader), "max_connections", ct)).ShouldBe("40", "a restart-only parameter is not applied by surprise");
        (await harness.LeaderAsync(ct)).ShouldBe(leader);
    }

    [Fact]
    public async Task Restart_runs_now_or_on_schedule_only_when_its_filters_hold()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(4));
        await using var harness = await FormationHarness.StartAsync(members: 2, cancellationToken: ct);
        var leaderName = (await harness.LeaderAsync(ct))!;
        var leader = harness.Formation.Member(leaderName);
        var replica = harness.Formation.Members.Single(m => m.Name != leaderName);

        // Bad bodies change nothing and say what is wrong.
        var (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", """{"when":"now"}""", ct);
        status.ShouldBe(HttpStatusCode.BadRequest, body);
        body.ShouldContain("Unknown filter for the scheduled restart: when");
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", """{"schedule":"2001-01-01T00:00:00Z"}""", ct);
        status.ShouldBe(HttpStatusCode.BadRequest, body);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", """{"role":"boss"}""", ct);
        status.ShouldBe(HttpStatusCode.BadRequest, body);

        // Filters that do not hold: nothing restarts.
        var leaderStarted = await PostmasterStartAsync(harness, leader, ct);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", """{"role":"replica"}""", ct);
        status.ShouldBe(HttpStatusCode.ServiceUnavailable, body);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", """{"restart_pending":true}""", ct);
        status.ShouldBe(HttpStatusCode.ServiceUnavailable, body);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", """{"postgres_version":"9.6.0"}""", ct);
        status.ShouldBe(HttpStatusCode.ServiceUnavailable, body);
        (await PostmasterStartAsync(harness, leader, ct)).ShouldBe(leaderStarted);

        // A restart-only change makes restart_pending true; the filtered restart then applies it.
        (status, body) = await SwitchoverTests.SendAsync(new HttpMethod("PATCH"), $"{leader.ApiUrl}/config", """{"postgresql":{"parameters":{"max_connections":"45"}}}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        await TestTimeouts.WaitUntilAsync(async () => (await harness.MembersAsync(ct)).All(m => m.PendingRestart), TimeSpan.FromSeconds(20), "max_connections pending restart", ct).WithDiagnostics(harness, ct);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{replica.ApiUrl}/restart", """{"restart_pending":true,"role":"replica"}""", ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        (await ShowAsync(harness, replica, "max_connections", ct)).ShouldBe("45");

        // Scheduled: one at a time, visible in the member record, deletable, and run at its time.
        var at = DateTimeOffset.UtcNow.AddSeconds(30).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", $$"""{"schedule":"{{at}}"}""", ct);
        status.ShouldBe(HttpStatusCode.Accepted, body);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", $$"""{"schedule":"{{at}}"}""", ct);
        status.ShouldBe(HttpStatusCode.Conflict, body);
        await TestTimeouts.WaitUntilAsync(async () => (await StatusAsync(leader, ct)).Contains("\"scheduled_restart\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "scheduled_restart in /patroni", ct);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Delete, $"{leader.ApiUrl}/restart", string.Empty, ct);
        status.ShouldBe(HttpStatusCode.OK, body);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Delete, $"{leader.ApiUrl}/restart", string.Empty, ct);
        status.ShouldBe(HttpStatusCode.NotFound, body);

        at = DateTimeOffset.UtcNow.AddSeconds(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{leader.ApiUrl}/restart", $$"""{"schedule":"{{at}}","restart_pending":true}""", ct);
        status.ShouldBe(HttpStatusCode.Accepted, body);
        await TestTimeouts.WaitUntilAsync(async () =>
        {
            try
            {
                return await ShowAsync(harness, leader, "max_connections", ct) == "45";
            }
            catch (NpgsqlException)
            {
                return false; // restarting
            }
        }, TimeSpan.FromSeconds(30), "the scheduled restart applied max_connections on the leader", ct).WithDiagnostics(harness, ct);
        (await PostmasterStartAsync(harness, leader, ct)).ShouldNotBe(leaderStarted);
        (await harness.LeaderAsync(ct)).ShouldBe(leaderName, "a restart keeps the leader");
        await TestTimeouts.WaitUntilAsync(async () => (await harness.MembersAsync(ct)).All(m => !m.PendingRestart), TimeSpan.FromSeconds(20), "no restart pending anywhere", ct).WithDiagnostics(harness, ct);
    }

    [Fact]
    public async Task Reload_applies_the_local_file_and_a_broken_file_changes_nothing()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var harness = await FormationHarness.StartAsync(members: 1, cancellationToken: ct);
        var member = harness.Formation.Members[0];
        var original = await File.ReadAllTextAsync(member.ConfigFile, ct);

        await File.WriteAllTextAsync(member.ConfigFile, original.Replace("    shared_buffers: '16MB'", "    shared_buffers: '24MB'\n    temp_buffers: '24MB'", StringComparison.Ordinal), ct);
        var (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{member.ApiUrl}/reload", string.Empty, ct);
        status.ShouldBe(HttpStatusCode.Accepted, body);
        body.ShouldContain("shared_buffers", customMessage: "a restart-only change is reported");
        (await ShowAsync(harness, member, "temp_buffers", ct)).ShouldBe("24MB");
        await TestTimeouts.WaitUntilAsync(async () => (await harness.MembersAsync(ct)).Single().PendingRestart, TimeSpan.FromSeconds(10), "pending_restart published", ct);

        await File.WriteAllTextAsync(member.ConfigFile, original.Replace("scope: demo", "scope: [demo", StringComparison.Ordinal), ct);
        (status, body) = await SwitchoverTests.SendAsync(HttpMethod.Post, $"{member.ApiUrl}/reload", string.Empty, ct);
        status.ShouldBe(HttpStatusCode.BadRequest, body);
        body.ShouldContain("unchanged");
        (await ShowAsync(harness, member, "temp_buffers", ct)).ShouldBe("24MB", "a broken file must not undo the running configuration");
        (await harness.LeaderAsync(ct)).ShouldBe(member.Name);
    }

    private static async Task<string> StatusAsync(Core.Formation.LocalMember member, CancellationToken ct)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"{member.ApiUrl}/patroni"), ct);
    }

    private static async Task<DateTime> PostmasterStartAsync(FormationHarness harness, Core.Formation.LocalMember member, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(harness.MemberConnectionString(member));
        await connection.OpenAsync(ct);
        await using var query = new NpgsqlCommand("SELECT pg_postmaster_start_time()", connection);
        return (DateTime)(await query.ExecuteScalarAsync(ct))!;
    }
}
