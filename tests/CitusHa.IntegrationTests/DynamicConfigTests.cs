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
}
