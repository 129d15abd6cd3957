using CitusHa.Testing;

namespace CitusHa.IntegrationTests.Citus;

/// <summary>
/// The stand-in lane: three groups × two members on plain PostgreSQL, the stand-in catalog in the
/// coordinator's Citus database, the agent's real SQL against it.
/// </summary>
public sealed class CitusStandInTests
{
    private static readonly int[] AllGroups = [0, 1, 2];

    [Fact]
    public async Task The_coordinator_registers_every_group_s_primary_and_standbys()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var citus = await CitusHarness.StartAsync(realCitus: false, ct);

        await citus.WaitForCatalogTruthAsync(AllGroups, TimeSpan.FromSeconds(20), ct);

        var rows = await citus.PgDistNodeAsync(ct);
        rows.Count.ShouldBe(6);
        rows.Where(r => r.Role == "primary").Select(r => r.Group).Order().ShouldBe(AllGroups);
    }
}
