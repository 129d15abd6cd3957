namespace CitusHa.Commands;

/// <summary>
/// How often the rebalance cmdlets read a job while waiting. Citus offers no notification for job
/// changes (its own citus_rebalance_wait polls too), so reading its status once a second is the event.
/// </summary>
internal static class RebalancePolling
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
}
