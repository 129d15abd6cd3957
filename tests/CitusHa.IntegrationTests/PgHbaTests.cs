using CitusHa.Testing;
using Npgsql;

namespace CitusHa.IntegrationTests;

/// <summary>postgresql.pg_hba from Patroni's YAML is what PostgreSQL enforces, on every member.</summary>
public sealed class PgHbaTests
{
    [Fact]
    public async Task The_pg_hba_lines_of_the_configuration_let_in_exactly_who_they_name()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        string[] hba =
        [
            "host replication replicator 127.0.0.1/32 scram-sha-256",
            "host all analyst,auditor 127.0.0.1/32 trust",
            "host all postgres 127.0.0.1/32 scram-sha-256",
        ];
        await using var harness = await FormationHarness.StartAsync(members: 2, customize: o => o with { PgHba = hba }, cancellationToken: ct);
        await using (var admin = new NpgsqlConnection(harness.PrimaryConnectionString()))
        {
            await admin.OpenAsync(ct);
            await using var roles = new NpgsqlCommand("CREATE ROLE analyst LOGIN; CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'", admin);
            await roles.ExecuteNonQueryAsync(ct);
        }

        foreach (var member in harness.Formation.Members)
        {
            // analyst is trusted by the configured line (no password); outsider is named by no line at all.
            await using (var analyst = new NpgsqlConnection(Connection(member.PostgresPort, "analyst", password: null)))
            {
                await analyst.OpenAsync(ct);
            }

            var refused = await Should.ThrowAsync<PostgresException>(async () =>
            {
                await using var outsider = new NpgsqlConnection(Connection(member.PostgresPort, "outsider", "outsider-pw"));
                await outsider.OpenAsync(ct);
            });
            refused.SqlState.ShouldBe("28000", refused.MessageText);
            refused.MessageText.ShouldContain("no pg_hba.conf entry");
        }
    }

    private static string Connection(int port, string user, string? password) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = user,
        Password = password,
        Database = "postgres",
        Timeout = 3,
        Pooling = false,
    }.ConnectionString;
}
