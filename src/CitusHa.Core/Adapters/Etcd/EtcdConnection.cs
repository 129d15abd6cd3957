using CitusHa.Core.Configuration;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CitusHa.Core.Adapters.Etcd;

/// <summary>
/// One gRPC channel to an etcd cluster and the generated v3 clients on it (dotnet-etcd ships the
/// protocol types). We own the channel rather than using <c>dotnet_etcd.EtcdClient</c> because that
/// client never disposes its channel, retries behind the caller's back, and offers no single
/// lease keepalive or watch stream with a caller-controlled lifetime, which leader election needs.
/// </summary>
internal sealed class EtcdConnection : IAsyncDisposable
{
    private const string TokenHeader = "token";
    private readonly GrpcChannel channel;
    private readonly ServiceProvider services;
    private readonly DcsCredentials? credentials;
    private readonly SemaphoreSlim tokenGate = new(1, 1);
    private string? token;

    public EtcdConnection(DcsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        credentials = settings.Credentials;
        var addresses = settings.Endpoints.Select(e => new BalancerAddress(e.Host, e.Port)).ToArray();
        var collection = new ServiceCollection();
        collection.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));
        services = collection.BuildServiceProvider();
        var secure = settings.Endpoints.Any(e => e.Scheme == Uri.UriSchemeHttps);
        channel = GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            ServiceProvider = services,
            Credentials = secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            // No retry policy: the caller owns retries and deadlines. Round robin so that one dead
            // endpoint does not take the whole client with it.
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
            MaxRetryAttempts = 0,
            ThrowOperationCanceledOnCancellation = true,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(5),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                ConnectTimeout = settings.Timeout,
            },
            DisposeHttpClient = true,
        });
        Kv = new KV.KVClient(channel);
        Lease = new Lease.LeaseClient(channel);
        Watch = new Watch.WatchClient(channel);
        Auth = new Auth.AuthClient(channel);
    }

    public KV.KVClient Kv { get; }

    public Lease.LeaseClient Lease { get; }

    public Watch.WatchClient Watch { get; }

    public Auth.AuthClient Auth { get; }

    /// <summary>Headers for the next call: the auth token when etcd needs credentials, otherwise none.</summary>
    public async Task<Metadata?> HeadersAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        if (credentials is null)
        {
            return null;
        }

        var current = token;
        if (current is null)
        {
            await tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (token is null)
                {
                    var response = await Auth.AuthenticateAsync(
                        new AuthenticateRequest { Name = credentials.Username, Password = credentials.Password },
                        deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
                    token = response.Token;
                }

                current = token;
            }
            finally
            {
                tokenGate.Release();
            }
        }

        return new Metadata { { TokenHeader, current } };
    }

    /// <summary>Forgets a token etcd rejected (expired, or auth re-enabled) so the next call authenticates again.</summary>
    public void InvalidateToken(Metadata? used)
    {
        var usedToken = used?.GetValue(TokenHeader);
        if (usedToken is not null)
        {
            Interlocked.CompareExchange(ref token, null, usedToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        channel.Dispose();
        await services.DisposeAsync().ConfigureAwait(false);
        tokenGate.Dispose();
    }
}
