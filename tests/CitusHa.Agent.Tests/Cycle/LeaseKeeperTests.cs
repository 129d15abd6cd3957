using CitusHa.Agent.Loop;
using CitusHa.Core.Ha;
using CitusHa.Core.Tests.Dcs;

namespace CitusHa.Agent.Tests.Cycle;

/// <summary>The lease outlives a step that takes longer than ttl inside one cycle (a slow promotion).</summary>
public sealed class LeaseKeeperTests
{
    private static readonly HaSettings Settings = HaSettings.Defaults with { Ttl = TimeSpan.FromSeconds(2), LoopWait = TimeSpan.FromMilliseconds(250), RetryTimeout = TimeSpan.FromMilliseconds(500) };

    [Fact]
    public async Task A_step_longer_than_ttl_keeps_the_leader_key_while_it_runs()
    {
        await using var store = new InMemoryDcsStore();
        var keeper = new LeaseKeeper(store, TimeProvider.System);
        var lease = await keeper.RefreshAsync(Settings.Ttl, CancellationToken.None);
        (await store.CreateAsync("/g/leader", "me", lease.Id, CancellationToken.None)).Succeeded.ShouldBeTrue();

        await keeper.WhileRenewingAsync(Settings, () => Task.Delay(TimeSpan.FromSeconds(5)), CancellationToken.None);

        (await store.ReadPrefixAsync("/g/", CancellationToken.None)).Items.ShouldHaveSingleItem().Value.ShouldBe("me");
        keeper.Current!.Id.ShouldBe(lease.Id, "the same lease, kept alive");
        keeper.Current.ExpiresAt.ShouldBeGreaterThan(lease.ExpiresAt);
    }

    [Fact]
    public async Task Without_renewal_the_same_step_loses_the_key()
    {
        // The control for the test above: the store really expires a 2 s lease.
        await using var store = new InMemoryDcsStore();
        var keeper = new LeaseKeeper(store, TimeProvider.System);
        var lease = await keeper.RefreshAsync(Settings.Ttl, CancellationToken.None);
        await store.CreateAsync("/g/leader", "me", lease.Id, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(5));
        (await store.ReadPrefixAsync("/g/", CancellationToken.None)).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Renewal_failing_does_not_interrupt_the_step_and_stops_with_it()
    {
        var store = new InMemoryDcsStore();
        var keeper = new LeaseKeeper(store, TimeProvider.System);
        await keeper.RefreshAsync(Settings.Ttl, CancellationToken.None);
        store.Unreachable = true;
        var ran = false;
        await keeper.WhileRenewingAsync(Settings, async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(700));
            ran = true;
        }, CancellationToken.None);
        ran.ShouldBeTrue();
        var calls = store.Calls;
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        store.Calls.ShouldBe(calls, "no renewal after the step ended");
    }
}
