using System.Runtime.InteropServices;

namespace CitusHa.Core.Adapters.Clock;

/// <summary>
/// The agent's clock for everything that measures an interval: lease expiry, fencing, the watchdog's
/// deadline, primary_start_timeout, the coordinator's metadata term. Its instants read like UTC (they
/// start at the wall clock when the agent starts) but advance with Linux's CLOCK_BOOTTIME: never
/// stepped by NTP or an operator's <c>date -s</c>, and still counting while the machine is suspended
/// (CLOCK_MONOTONIC stops then, so a resumed VM would believe in a lease etcd already dropped).
/// A wall-clock step can therefore never extend a lease we believe in. Times an operator gives
/// (a scheduled switchover or restart) are wall-clock times and are compared with the wall clock.
/// </summary>
public sealed partial class MonotonicTimeProvider : TimeProvider
{
    private readonly TimeProvider source;
    private readonly DateTimeOffset anchor;
    private readonly TimeSpan anchorElapsed;
    private readonly Func<TimeSpan> elapsed;

    /// <summary>The agent's clock: CLOCK_BOOTTIME where the OS has it, the runtime's monotonic Stopwatch elsewhere.</summary>
    public MonotonicTimeProvider()
        : this(System, BootTime.IsAvailable ? BootTime.Now : StopwatchElapsed)
    {
    }

    /// <summary>For tests: a wall clock and a monotonic one given separately.</summary>
    public MonotonicTimeProvider(TimeProvider wall, Func<TimeSpan> monotonic)
    {
        source = wall ?? throw new ArgumentNullException(nameof(wall));
        elapsed = monotonic ?? throw new ArgumentNullException(nameof(monotonic));
        anchor = wall.GetUtcNow();
        anchorElapsed = monotonic();
    }

    /// <summary>The wall clock this one started from: for times an operator gives.</summary>
    public TimeProvider Wall => source;

    /// <summary>The wall clock behind <paramref name="time"/> (itself when it is not a monotonic one).</summary>
    public static TimeProvider WallOf(TimeProvider time) => time is MonotonicTimeProvider monotonic ? monotonic.Wall : time;

    public override DateTimeOffset GetUtcNow() => anchor + (elapsed() - anchorElapsed);

    public override long GetTimestamp() => source.GetTimestamp();

    public override long TimestampFrequency => source.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => source.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        source.CreateTimer(callback, state, dueTime, period);

    private static TimeSpan StopwatchElapsed() => TimeSpan.FromTicks((long)(global::System.Diagnostics.Stopwatch.GetTimestamp() * ((double)TimeSpan.TicksPerSecond / global::System.Diagnostics.Stopwatch.Frequency)));

    /// <summary>clock_gettime(CLOCK_BOOTTIME) on Linux.</summary>
    private static partial class BootTime
    {
        private const int ClockBoottime = 7;

        public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && TryRead(out _);

        public static TimeSpan Now() => TryRead(out var now) ? now : StopwatchElapsed();

        private static bool TryRead(out TimeSpan now)
        {
            try
            {
                if (clock_gettime(ClockBoottime, out var spec) == 0)
                {
                    now = TimeSpan.FromTicks((spec.Seconds * TimeSpan.TicksPerSecond) + (spec.Nanoseconds / 100));
                    return true;
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
            }

            now = default;
            return false;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int clock_gettime(int clock, out Timespec spec);
    }
}
