namespace CitusHa.Core.Dcs;

/// <summary>
/// The distributed configuration store (etcd v3) in domain terms, with Patroni's transaction shapes.
/// Implementations hold no policy: no retries, no role checks. A failed comparison is a result
/// (<see cref="DcsWriteResult.Succeeded"/> false); failures to talk to the store surface as
/// <see cref="Errors.CitusHaException"/> with the kinds Unavailable, Timeout or Unauthorized.
/// A lease id of 0 means "no lease".
/// </summary>
public interface IDcsStore : IAsyncDisposable
{
    /// <summary>Where this store is, for messages (never includes credentials).</summary>
    string Describe();

    /// <summary>Every key under <paramref name="prefix"/>, in one linearizable range read.</summary>
    Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Unconditional put, attached to <paramref name="lease"/> when it is not 0; returns the new revision.</summary>
    Task<long> PutAsync(string key, string value, long lease, CancellationToken cancellationToken);

    /// <summary><c>IF create_revision(key) == 0 THEN put</c>: the leader race and the bootstrap race.</summary>
    Task<DcsWriteResult> CreateAsync(string key, string value, long lease, CancellationToken cancellationToken);

    /// <summary><c>IF mod_revision(key) == expected THEN put</c> (0 = the key must not exist): config, sync, failover updates.</summary>
    Task<DcsWriteResult> PutIfModRevisionAsync(string key, string value, long expectedModRevision, long lease, CancellationToken cancellationToken);

    /// <summary>
    /// <c>IF value(key) == expected THEN put ELSE IF create_revision(key) == 0 THEN put</c>: re-attaches
    /// the leader key to a new lease without ever taking it from someone else.
    /// </summary>
    Task<DcsWriteResult> PutIfValueOrAbsentAsync(string key, string expectedValue, string value, long lease, CancellationToken cancellationToken);

    /// <summary><c>IF value(key) == expected THEN delete</c>: releasing the leader key that is ours.</summary>
    Task<DcsWriteResult> DeleteIfValueAsync(string key, string expectedValue, CancellationToken cancellationToken);

    /// <summary><c>IF mod_revision(key) == expected THEN delete</c>.</summary>
    Task<DcsWriteResult> DeleteIfModRevisionAsync(string key, long expectedModRevision, CancellationToken cancellationToken);

    /// <summary>Grants a lease of <paramref name="ttl"/> (whole seconds, at least 1); returns its id.</summary>
    Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>One keepalive; returns the lease's remaining TTL, or null when the lease no longer exists.</summary>
    Task<TimeSpan?> KeepAliveAsync(long lease, CancellationToken cancellationToken);

    /// <summary>Revokes a lease, deleting every key attached to it. Revoking an unknown lease is not an error.</summary>
    Task RevokeLeaseAsync(long lease, CancellationToken cancellationToken);

    /// <summary>
    /// Streams changes under <paramref name="prefix"/> after revision <paramref name="afterRevision"/>
    /// until cancelled. Ends with a Conflict <see cref="Errors.CitusHaException"/> (ErrorId
    /// WatchCompacted) when that revision was compacted away: read again, then watch again.
    /// </summary>
    IAsyncEnumerable<DcsWatchEvent> WatchPrefixAsync(string prefix, long afterRevision, CancellationToken cancellationToken);
}
