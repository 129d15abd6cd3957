using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;

namespace CitusHa.Core.Tests.Dcs;

/// <summary>
/// etcd's semantics that the agent relies on, in memory: one revision counter, create and mod
/// revisions, leases that expire on a <see cref="TimeProvider"/> and take their keys with them, and
/// watches that replay from a revision. DcsStoreContract runs the same tests against
/// this store and a real etcd, so a whole HA cycle can run as a unit test on it. Faults are scripted:
/// <see cref="Unreachable"/> fails every call as etcd does when it cannot be reached, and
/// <see cref="Hang"/> makes calls wait (a frozen etcd) until their token is cancelled.
/// </summary>
public sealed class InMemoryDcsStore(TimeProvider? time = null) : IDcsStore
{
    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly object gate = new();
    private readonly SortedDictionary<string, DcsKeyValue> keys = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Lease> leases = [];
    private readonly List<DcsWatchEvent> history = [];
    private readonly List<(string Prefix, Channel<DcsWatchEvent> Channel)> watchers = [];
    private long revision = 1;
    private long nextLease = 0x1000;

    /// <summary>Every call fails with Unavailable, as when etcd cannot be reached.</summary>
    public bool Unreachable { get; set; }

    /// <summary>Every call waits until its token is cancelled, as when etcd is frozen.</summary>
    public bool Hang { get; set; }

    /// <summary>How many calls were made (reads, writes and lease calls).</summary>
    public int Calls { get; private set; }

    public string Describe() => "in-memory etcd";

    public async Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        lock (gate)
        {
            return new DcsSnapshot(revision, keys.Values.Where(k => k.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList());
        }
    }

    public async Task<long> PutAsync(string key, string value, long lease, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        lock (gate)
        {
            CheckLease(lease);
            return Write(key, value, lease);
        }
    }

    public Task<DcsWriteResult> CreateAsync(string key, string value, long lease, CancellationToken cancellationToken) =>
        TxnAsync(key, existing => existing is null, () => Write(key, value, lease), lease, cancellationToken);

    public Task<DcsWriteResult> PutIfModRevisionAsync(string key, string value, long expectedModRevision, long lease, CancellationToken cancellationToken) =>
        TxnAsync(key, existing => (existing?.ModRevision ?? 0) == expectedModRevision, () => Write(key, value, lease), lease, cancellationToken);

    public Task<DcsWriteResult> PutIfValueOrAbsentAsync(string key, string expectedValue, string value, long lease, CancellationToken cancellationToken) =>
        TxnAsync(key, existing => existing is null || existing.Value == expectedValue, () => Write(key, value, lease), lease, cancellationToken);

    public Task<DcsWriteResult> DeleteIfValueAsync(string key, string expectedValue, CancellationToken cancellationToken) =>
        TxnAsync(key, existing => existing?.Value == expectedValue, () => Delete(key), 0, cancellationToken);

    public Task<DcsWriteResult> DeleteIfModRevisionAsync(string key, long expectedModRevision, CancellationToken cancellationToken) =>
        TxnAsync(key, existing => existing is not null && existing.ModRevision == expectedModRevision, () => Delete(key), 0, cancellationToken);

    public async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        var seconds = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(ttl.TotalSeconds)));
        lock (gate)
        {
            var id = nextLease++;
            var lease = new Lease(seconds);
            lease.Timer = time.CreateTimer(_ => Expire(id), null, seconds, Timeout.InfiniteTimeSpan);
            leases[id] = lease;
            return id;
        }
    }

    public async Task<TimeSpan?> KeepAliveAsync(long lease, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        lock (gate)
        {
            if (!leases.TryGetValue(lease, out var held))
            {
                return null;
            }

            held.Timer!.Change(held.Ttl, Timeout.InfiniteTimeSpan);
            return held.Ttl;
        }
    }

    public async Task RevokeLeaseAsync(long lease, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        Expire(lease);
    }

    public async IAsyncEnumerable<DcsWatchEvent> WatchPrefixAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        var channel = Channel.CreateUnbounded<DcsWatchEvent>();
        lock (gate)
        {
            foreach (var past in history.Where(e => e.ModRevision > afterRevision && e.Key.StartsWith(prefix, StringComparison.Ordinal)))
            {
                channel.Writer.TryWrite(past);
            }

            watchers.Add((prefix, channel));
        }

        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return change;
            }
        }
        finally
        {
            lock (gate)
            {
                watchers.RemoveAll(w => w.Channel == channel);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (gate)
        {
            foreach (var lease in leases.Values)
            {
                lease.Timer?.Dispose();
            }

            leases.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private async Task<DcsWriteResult> TxnAsync(string key, Func<DcsKeyValue?, bool> compare, Func<long> then, long lease, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        lock (gate)
        {
            CheckLease(lease);
            keys.TryGetValue(key, out var existing);
            return compare(existing) ? new DcsWriteResult(true, then()) : new DcsWriteResult(false, revision);
        }
    }

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Calls++;
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Unreachable)
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.EtcdUnavailable, "Cannot reach the in-memory etcd (scripted fault).", Describe());
        }
    }

    private void CheckLease(long lease)
    {
        if (lease != 0 && !leases.ContainsKey(lease))
        {
            // etcd: "etcdserver: requested lease not found"
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.EtcdRequestFailed, $"etcd refused the request: NotFound: requested lease not found ({lease})", Describe());
        }
    }

    private long Write(string key, string value, long lease)
    {
        var at = ++revision;
        keys.TryGetValue(key, out var existing);
        keys[key] = new DcsKeyValue(key, value, existing?.CreateRevision ?? at, at, lease);
        Publish(new DcsWatchEvent(DcsWatchEventKind.Put, key, value, at, lease));
        return at;
    }

    private long Delete(string key)
    {
        var at = ++revision;
        keys.Remove(key);
        Publish(new DcsWatchEvent(DcsWatchEventKind.Delete, key, string.Empty, at, 0));
        return at;
    }

    private void Expire(long id)
    {
        lock (gate)
        {
            if (!leases.Remove(id, out var lease))
            {
                return;
            }

            lease.Timer?.Dispose();
            foreach (var key in keys.Values.Where(k => k.Lease == id).Select(k => k.Key).ToList())
            {
                Delete(key);
            }
        }
    }

    private void Publish(DcsWatchEvent change)
    {
        history.Add(change);
        foreach (var (prefix, channel) in watchers)
        {
            if (change.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                channel.Writer.TryWrite(change);
            }
        }
    }

    private sealed class Lease(TimeSpan ttl)
    {
        public TimeSpan Ttl { get; } = ttl;

        public ITimer? Timer { get; set; }
    }
}
