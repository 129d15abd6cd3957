using System.Runtime.CompilerServices;
using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using CitusHa.Core.Errors;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace CitusHa.Core.Adapters.Etcd;

/// <summary>
/// <see cref="IDcsStore"/> on etcd v3 over gRPC. Every call carries a deadline from
/// <see cref="DcsSettings.Timeout"/> and the caller's token; failures become <see cref="CitusHaException"/>s.
/// </summary>
internal sealed class EtcdDcsStore : IDcsStore
{
    private readonly EtcdConnection connection;
    private readonly DcsSettings settings;
    private readonly string description;

    private EtcdDcsStore(EtcdConnection connection, DcsSettings settings)
    {
        this.connection = connection;
        this.settings = settings;
        description = string.Join(",", settings.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)));
    }

    /// <summary>Creates the channel; no network traffic happens until the first call.</summary>
    public static EtcdDcsStore Open(DcsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new EtcdDcsStore(new EtcdConnection(settings), settings);
    }

    public string Describe() => description;

    public async Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var request = new RangeRequest { Key = Bytes(prefix), RangeEnd = PrefixEnd(prefix) };
        var response = await CallAsync((headers, deadline, ct) => connection.Kv.RangeAsync(request, headers, deadline, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        var items = response.Kvs.Select(ToKeyValue).ToList();
        return new DcsSnapshot(response.Header.Revision, items);
    }

    public async Task<long> PutAsync(string key, string value, long lease, CancellationToken cancellationToken)
    {
        var request = Put(key, value, lease);
        var response = await CallAsync((headers, deadline, ct) => connection.Kv.PutAsync(request, headers, deadline, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return response.Header.Revision;
    }

    public Task<DcsWriteResult> CreateAsync(string key, string value, long lease, CancellationToken cancellationToken) =>
        TxnAsync(new TxnRequest
        {
            Compare = { CreateRevisionIs(key, 0) },
            Success = { new RequestOp { RequestPut = Put(key, value, lease) } },
        }, cancellationToken);

    public Task<DcsWriteResult> PutIfModRevisionAsync(string key, string value, long expectedModRevision, long lease, CancellationToken cancellationToken) =>
        TxnAsync(new TxnRequest
        {
            Compare = { expectedModRevision == 0 ? CreateRevisionIs(key, 0) : ModRevisionIs(key, expectedModRevision) },
            Success = { new RequestOp { RequestPut = Put(key, value, lease) } },
        }, cancellationToken);

    public async Task<DcsWriteResult> PutIfValueOrAbsentAsync(string key, string expectedValue, string value, long lease, CancellationToken cancellationToken)
    {
        // Patroni's renewal shape: IF value == mine THEN put ELSE (IF absent THEN put), one round trip.
        var request = new TxnRequest
        {
            Compare = { ValueIs(key, expectedValue) },
            Success = { new RequestOp { RequestPut = Put(key, value, lease) } },
            Failure =
            {
                new RequestOp
                {
                    RequestTxn = new TxnRequest
                    {
                        Compare = { CreateRevisionIs(key, 0) },
                        Success = { new RequestOp { RequestPut = Put(key, value, lease) } },
                    },
                },
            },
        };
        var response = await CallAsync((headers, deadline, ct) => connection.Kv.TxnAsync(request, headers, deadline, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        var succeeded = response.Succeeded || response.Responses.FirstOrDefault()?.ResponseTxn?.Succeeded == true;
        return new DcsWriteResult(succeeded, response.Header.Revision);
    }

    public Task<DcsWriteResult> DeleteIfValueAsync(string key, string expectedValue, CancellationToken cancellationToken) =>
        TxnAsync(new TxnRequest
        {
            Compare = { ValueIs(key, expectedValue) },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key) } } },
        }, cancellationToken);

    public Task<DcsWriteResult> DeleteIfModRevisionAsync(string key, long expectedModRevision, CancellationToken cancellationToken) =>
        TxnAsync(new TxnRequest
        {
            Compare = { ModRevisionIs(key, expectedModRevision) },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key) } } },
        }, cancellationToken);

    public async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        if (seconds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A lease lives at least one second.");
        }

        var response = await CallAsync((headers, deadline, ct) => connection.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = seconds }, headers, deadline, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(response.Error))
        {
            throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.EtcdRequestFailed, $"etcd at {description} refused a lease: {response.Error}", description);
        }

        return response.ID;
    }

    public Task<TimeSpan?> KeepAliveAsync(long lease, CancellationToken cancellationToken) =>
        CallAsync<TimeSpan?>(async (headers, deadline, ct) =>
        {
            // One request on its own stream: the HA loop decides when to renew, not a background pump.
            using var call = connection.Lease.LeaseKeepAlive(headers, deadline, ct);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, ct).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "etcd closed the keepalive stream without an answer"));
            }

            var ttl = call.ResponseStream.Current.TTL;
            return ttl > 0 ? TimeSpan.FromSeconds(ttl) : null;
        }, cancellationToken);

    public async Task RevokeLeaseAsync(long lease, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync((headers, deadline, ct) => connection.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, headers, deadline, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (CitusHaException e) when (e.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            // Already expired or revoked: the goal (no lease) holds.
        }
    }

    public async IAsyncEnumerable<DcsWatchEvent> WatchPrefixAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var headers = await CallAsync((h, _, _) => Task.FromResult(h), cancellationToken).ConfigureAwait(false);
        using var call = connection.Watch.Watch(headers, deadline: null, cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest
            {
                Key = Bytes(prefix),
                RangeEnd = PrefixEnd(prefix),
                StartRevision = afterRevision + 1,
                ProgressNotify = true,
            },
        }, cancellationToken).ConfigureAwait(false);

        while (true)
        {
            WatchResponse response;
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    throw new CitusHaException(CitusErrorKind.Unavailable, ErrorIds.EtcdUnavailable, $"etcd at {description} closed the watch on {prefix}.", description);
                }

                response = call.ResponseStream.Current;
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw EtcdErrors.Translate(e, description, settings.Timeout);
            }

            if (response.CompactRevision > 0 || response.Canceled)
            {
                throw new CitusHaException(CitusErrorKind.Conflict, ErrorIds.WatchCompacted,
                    $"The watch on {prefix} from revision {afterRevision + 1} was cancelled by etcd (compacted at {response.CompactRevision}): read again and watch from the new revision.", prefix);
            }

            foreach (var e in response.Events)
            {
                yield return new DcsWatchEvent(
                    e.Type == Mvccpb.Event.Types.EventType.Delete ? DcsWatchEventKind.Delete : DcsWatchEventKind.Put,
                    e.Kv.Key.ToStringUtf8(), e.Kv.Value.ToStringUtf8(), e.Kv.ModRevision, e.Kv.Lease);
            }
        }
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    private async Task<DcsWriteResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken)
    {
        var response = await CallAsync((headers, deadline, ct) => connection.Kv.TxnAsync(request, headers, deadline, ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return new DcsWriteResult(response.Succeeded, response.Header.Revision);
    }

    /// <summary>Runs one call with auth headers and a deadline; a rejected token is refreshed once.</summary>
    private Task<T> CallAsync<T>(Func<Metadata?, DateTime, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        EtcdErrors.TranslateAsync(async ct =>
        {
            var deadline = DateTime.UtcNow + settings.Timeout;
            var headers = await connection.HeadersAsync(deadline, ct).ConfigureAwait(false);
            try
            {
                return await call(headers, deadline, ct).ConfigureAwait(false);
            }
            catch (RpcException e) when (headers is not null && EtcdErrors.IsInvalidToken(e))
            {
                connection.InvalidateToken(headers);
                headers = await connection.HeadersAsync(deadline, ct).ConfigureAwait(false);
                return await call(headers, deadline, ct).ConfigureAwait(false);
            }
        }, description, settings.Timeout, cancellationToken);

    private static DcsKeyValue ToKeyValue(Mvccpb.KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Lease);

    private static PutRequest Put(string key, string value, long lease)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return new PutRequest { Key = Bytes(key), Value = Bytes(value), Lease = lease };
    }

    private static Compare CreateRevisionIs(string key, long revision) =>
        new() { Key = Bytes(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = revision };

    private static Compare ModRevisionIs(string key, long revision) =>
        new() { Key = Bytes(key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision };

    private static Compare ValueIs(string key, string value) =>
        new() { Key = Bytes(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = Bytes(value) };

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefix"/>.</summary>
    internal static ByteString PrefixEnd(string prefix)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xFF)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0); // every key from prefix on
    }
}
