namespace CitusHa.Core.Dcs;

/// <summary>
/// The distributed configuration store (etcd v3) in domain terms. Implementations hold no policy:
/// no retries, no role checks. Failures surface as <see cref="Errors.CitusHaException"/> with the
/// kinds Unavailable, Timeout or Unauthorized.
/// </summary>
public interface IDcsStore : IAsyncDisposable
{
    /// <summary>Where this store is, for messages (never includes credentials).</summary>
    string Describe();

    /// <summary>Every key under <paramref name="prefix"/>, in one linearizable range read.</summary>
    Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Unconditional put without a lease; returns the store revision after the write.</summary>
    Task<long> PutAsync(string key, string value, CancellationToken cancellationToken);
}
