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
