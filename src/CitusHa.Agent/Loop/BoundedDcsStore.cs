using System.Runtime.CompilerServices;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;

namespace CitusHa.Agent.Loop;

/// <summary>
/// Bounds every etcd call the agent makes by the group's current retry_timeout (Patroni's rule), not
/// by the connection's longer call timeout: a write after a decision that hangs for 10 s would let a
/// lease run out while the cycle waits, with nobody fencing. A call that runs out fails as a Timeout
/// <see cref="CitusHaException"/>, like any other etcd failure, and the next cycle observes again.
/// Watches are not bounded: they are meant to stay open.
/// </summary>
internal sealed class BoundedDcsStore(IDcsStore inner, TimeSpan initialLimit) : IDcsStore
{
    private long limitTicks = initialLimit.Ticks;

    /// <summary>The bound for the next calls; the loop sets it whenever the group's retry_timeout changes.</summary>
    public TimeSpan Limit
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref limitTicks));
        set => Interlocked.Exchange(ref limitTicks, value.Ticks);
    }

    public string Describe() => inner.Describe();

    public Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.ReadPrefixAsync(prefix, ct), cancellationToken);

    public Task<long> PutAsync(string key, string value, long lease, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.PutAsync(key, value, lease, ct), cancellationToken);

    public Task<DcsWriteResult> CreateAsync(string key, string value, long lease, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.CreateAsync(key, value, lease, ct), cancellationToken);

    public Task<DcsWriteResult> PutIfModRevisionAsync(string key, string value, long expectedModRevision, long lease, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.PutIfModRevisionAsync(key, value, expectedModRevision, lease, ct), cancellationToken);

    public Task<DcsWriteResult> PutIfValueOrAbsentAsync(string key, string expectedValue, string value, long lease, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.PutIfValueOrAbsentAsync(key, expectedValue, value, lease, ct), cancellationToken);

    public Task<DcsWriteResult> DeleteIfValueAsync(string key, string expectedValue, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.DeleteIfValueAsync(key, expectedValue, ct), cancellationToken);

    public Task<DcsWriteResult> DeleteIfModRevisionAsync(string key, long expectedModRevision, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.DeleteIfModRevisionAsync(key, expectedModRevision, ct), cancellationToken);

    public Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.GrantLeaseAsync(ttl, ct), cancellationToken);

    public Task<TimeSpan?> KeepAliveAsync(long lease, CancellationToken cancellationToken) =>
        BoundAsync(ct => inner.KeepAliveAsync(lease, ct), cancellationToken);

    public Task RevokeLeaseAsync(long lease, CancellationToken cancellationToken) =>
        BoundAsync(async ct =>
        {
            await inner.RevokeLeaseAsync(lease, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public IAsyncEnumerable<DcsWatchEvent> WatchPrefixAsync(string prefix, long afterRevision, CancellationToken cancellationToken) =>
        inner.WatchPrefixAsync(prefix, afterRevision, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private async Task<T> BoundAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, [CallerMemberName] string operation = "")
    {
        var limit = Limit;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            return await call(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.EtcdTimeout,
                $"etcd at {inner.Describe()} did not finish {operation.Replace("Async", string.Empty, StringComparison.Ordinal)} within retry_timeout ({limit.TotalSeconds:0.#} s).", inner.Describe(), e);
        }
        catch (CitusHaException e) when (e.Kind == CitusErrorKind.Timeout && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CitusHaException(CitusErrorKind.Timeout, ErrorIds.EtcdTimeout,
                $"etcd at {inner.Describe()} did not finish {operation.Replace("Async", string.Empty, StringComparison.Ordinal)} within retry_timeout ({limit.TotalSeconds:0.#} s).", inner.Describe(), e);
        }
    }
}
