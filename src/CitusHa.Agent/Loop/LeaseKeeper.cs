using CitusHa.Core.Dcs;
using CitusHa.Core.Ha;

namespace CitusHa.Agent.Loop;

/// <summary>
/// This agent's one etcd lease (it carries the member key and, when we lead, the leader key).
/// The expiry is measured from when the keepalive was *sent*, so we never believe in a lease
/// longer than etcd does.
/// </summary>
internal sealed class LeaseKeeper(IDcsStore store, TimeProvider time)
{
    private TimeSpan grantedTtl;

    public LeaseView? Current { get; private set; }

    /// <summary>
    /// Called after each renewal of the same lease made while work runs inside one cycle (a promotion): the loop feeds
    /// the watchdog there, or a promotion longer than ttl minus the margin would be fenced by our own
    /// watchdog while the lease it guards is being kept.
    /// </summary>
    public Func<Task>? RenewedDuringWork { get; set; }

    public async Task<LeaseView> RefreshAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        var sent = time.GetUtcNow();
        if (Current is { } lease && grantedTtl == ttl)
        {
            var left = await store.KeepAliveAsync(lease.Id, cancellationToken).ConfigureAwait(false);
            if (left is { } remaining)
            {
                Current = lease with { ExpiresAt = sent + remaining };
                return Current;
            }
        }

        // No lease yet, it expired (we were frozen or cut off), or ttl changed: a new one.
        var id = await store.GrantLeaseAsync(ttl, cancellationToken).ConfigureAwait(false);
        grantedTtl = ttl;
        Current = new LeaseView(id, sent + ttl);
        return Current;
    }

    /// <summary>
    /// Runs <paramref name="work"/> (a promotion: pg_ctl promote, the wait for writes, the checkpoint)
    /// while keeping the lease alive every loop_wait, as the loop would have: a step inside one cycle
    /// that takes longer than ttl must not let the leader key expire under a primary being made. A
    /// failed renewal is left to the next cycle's fencing rules; the work is not interrupted.
    /// </summary>
    public async Task WhileRenewingAsync(HaSettings settings, Func<Task> work, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = RenewUntilAsync(settings, done.Token);
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }
    }

    private async Task RenewUntilAsync(HaSettings settings, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                await Task.Delay(settings.LoopWait, time, stop).ConfigureAwait(false);
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
                deadline.CancelAfter(settings.RetryTimeout);
                var before = Current?.Id;
                var renewedLease = await RefreshAsync(settings.Ttl, deadline.Token).ConfigureAwait(false);
                // Only the same lease: a new one (the old expired) carries none of our keys, and must
                // not move the deadline of a primary whose leader key has gone.
                if (renewedLease.Id == before && RenewedDuringWork is { } renewed)
                {
                    await renewed().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Core.Errors.CitusHaException or OperationCanceledException)
            {
                // etcd unreachable or slow: try again after loop_wait; fencing decides at the next cycle.
            }
        }
    }

    /// <summary>Gives the lease back (graceful shutdown): our keys vanish at once instead of after ttl.</summary>
    public async Task RevokeAsync(CancellationToken cancellationToken)
    {
        if (Current is { } lease)
        {
            await store.RevokeLeaseAsync(lease.Id, cancellationToken).ConfigureAwait(false);
            Current = null;
        }
    }
}
