using System.Diagnostics;
using CitusHa.Testing;

namespace CitusHa.IntegrationTests.Citus;

public sealed class CitusNewGroupTests
{
    [Fact]
    public async Task A_new_worker_group_is_registered_when_its_first_primary_runs()
    {
        var ct = TestTimeouts.After(TimeSpan.FromMinutes(3));
        await using var citus = await CitusHarness.StartAsync(realCitus: false, ct, customize: o => o with { DeferredGroups = [2] });
        await citus.WaitForCatalogTruthAsync([0, 1], TimeSpan.FromSeconds(20), ct);
        (await citus.PgDistNodeAsync(ct)).ShouldNotContain(r => r.Group == 2);

        citus.Formation.StartGroup(2);
        var leader = await citus.LeaderAsync(2, ct);
        var clock = Stopwatch.StartNew();
        await TestTimeouts.WaitUntilAsync(async () =>
            (await citus.PgDistNodeAsync(ct)).Any(r => r.Group == 2 && r.Role == "primary" && r.Port == leader.PostgresPort), TimeSpan.FromSeconds(10), "group 2's primary registered", ct);
        Console.WriteLine($"new group: primary running -> registered in {clock.Elapsed.TotalSeconds:0.00} s");

        await citus.WaitForGroupsHealthyAsync([2], TimeSpan.FromSeconds(60), ct);
        await citus.WaitForCatalogTruthAsync([0, 1, 2], TimeSpan.FromSeconds(20), ct);
    }
}
