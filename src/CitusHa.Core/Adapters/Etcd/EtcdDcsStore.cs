using CitusHa.Core.Configuration;
using CitusHa.Core.Dcs;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace CitusHa.Core.Adapters.Etcd;

/// <summary>
/// <see cref="IDcsStore"/> on etcd v3 through dotnet-etcd (gRPC). Every call carries a deadline from
/// <see cref="DcsSettings.Timeout"/> and the caller's token; SDK failures become <see cref="Errors.CitusHaException"/>s.
/// </summary>
public sealed class EtcdDcsStore : IDcsStore
{
    private readonly EtcdClient client;
    private readonly DcsSettings settings;
    private readonly string description;

    private EtcdDcsStore(EtcdClient client, DcsSettings settings)
    {
        this.client = client;
        this.settings = settings;
        description = string.Join(",", settings.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)));
    }

    /// <summary>Creates the client; no network traffic happens until the first call.</summary>
    public static EtcdDcsStore Open(DcsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var connectionString = string.Join(",", settings.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)));
        var client = settings.Credentials is { } credentials
            ? new EtcdClient(connectionString, credentials.Username, credentials.Password)
            : new EtcdClient(connectionString);
        return new EtcdDcsStore(client, settings);
    }

    public string Describe() => description;

    public async Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var response = await EtcdErrors.TranslateAsync(
            () => client.GetRangeAsync(prefix, headers: null, deadline: Deadline(), cancellationToken),
            description, settings.Timeout, cancellationToken).ConfigureAwait(false);
        var items = response.Kvs
            .Select(kv => new DcsKeyValue(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.CreateRevision, kv.ModRevision, kv.Lease))
            .ToList();
        return new DcsSnapshot(response.Header.Revision, items);
    }

    public async Task<long> PutAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var request = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };
        var response = await EtcdErrors.TranslateAsync(
            () => client.PutAsync(request, headers: null, deadline: Deadline(), cancellationToken),
            description, settings.Timeout, cancellationToken).ConfigureAwait(false);
        return response.Header.Revision;
    }

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        return ValueTask.CompletedTask;
    }

    private DateTime Deadline() => DateTime.UtcNow + settings.Timeout;
}
