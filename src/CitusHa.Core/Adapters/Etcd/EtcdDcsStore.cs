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
            ? new EtcdClient(connectionString, credentials.Username, credentials.Password, configureChannelOptions: WithoutRetries)
            : new EtcdClient(connectionString, configureChannelOptions: WithoutRetries);
        return new EtcdDcsStore(client, settings);
    }

    public string Describe() => description;

    /// <summary>
    /// dotnet-etcd configures gRPC to retry unavailable endpoints with back-off. Retry policy belongs
    /// to the caller (the HA loop has its own deadlines), and a refused connection must be reported
    /// as such at once rather than turning into a timeout: so the channel does not retry.
    /// </summary>
    private static void WithoutRetries(Grpc.Net.Client.GrpcChannelOptions options)
    {
        options.ServiceConfig = null;
        options.MaxRetryAttempts = 0;
    }

    public async Task<DcsSnapshot> ReadPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var response = await EtcdErrors.TranslateAsync(
            ct => client.GetRangeAsync(prefix, headers: null, deadline: Deadline(), ct),
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
            ct => client.PutAsync(request, headers: null, deadline: Deadline(), ct),
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
