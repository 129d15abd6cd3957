using CitusHa.Testing.Servers;

namespace CitusHa.IntegrationTests;

/// <summary>One TCP proxy in front of etcd per member, so a test can cut one member, or all, off etcd.</summary>
internal sealed class EtcdProxies : IAsyncDisposable
{
    private readonly Dictionary<string, TcpProxy> proxies = [];

    /// <summary>For <see cref="FormationHarness.StartAsync"/>: the endpoint a member uses.</summary>
    public string EndpointFor(int etcdPort, string member)
    {
        var proxy = new TcpProxy(etcdPort);
        proxies[member] = proxy;
        return proxy.Endpoint;
    }

    public TcpProxy this[string member] => proxies[member];

    public void CutAll()
    {
        foreach (var proxy in proxies.Values)
        {
            proxy.Cut();
        }
    }

    public void RestoreAll()
    {
        foreach (var proxy in proxies.Values)
        {
            proxy.Restore();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in proxies.Values)
        {
            await proxy.DisposeAsync();
        }
    }
}
