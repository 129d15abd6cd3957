using CitusHa.Core.Adapters.Clock;

namespace CitusHa.Core.Tests.Adapters.Clock;

/// <summary>Intervals are measured on a clock that a wall-clock step cannot move.</summary>
public sealed class MonotonicTimeProviderTests
{
    private sealed class SteppableWall(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void A_wall_clock_step_moves_neither_now_nor_a_lease_believed_from_it()
    {
        var wall = new SteppableWall(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var monotonic = TimeSpan.FromHours(5);
        var clock = new MonotonicTimeProvider(wall, () => monotonic);
        clock.GetUtcNow().ShouldBe(wall.Now, "it starts at the wall clock");
        var leaseEnds = clock.GetUtcNow() + TimeSpan.FromSeconds(10);

        wall.Now -= TimeSpan.FromMinutes(30); // NTP steps the clock back: a wall-clock lease would gain 30 minutes
        monotonic += TimeSpan.FromSeconds(11);
        (leaseEnds - clock.GetUtcNow()).ShouldBe(TimeSpan.FromSeconds(-1), "the lease has ended after 11 s, whatever the wall clock says");

        clock.Wall.GetUtcNow().ShouldBe(wall.Now, "times an operator gives are compared with the wall clock");
        MonotonicTimeProvider.WallOf(clock).ShouldBeSameAs(wall);
        MonotonicTimeProvider.WallOf(wall).ShouldBeSameAs(wall);
    }

    [Fact]
    public void The_agent_clock_advances_with_real_time()
    {
        var clock = new MonotonicTimeProvider();
        var first = clock.GetUtcNow();
        Thread.Sleep(50);
        var elapsed = clock.GetUtcNow() - first;
        elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(45));
        elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        (clock.GetUtcNow() - DateTimeOffset.UtcNow).Duration().ShouldBeLessThan(TimeSpan.FromSeconds(5), "it starts at the wall clock");
    }
}
