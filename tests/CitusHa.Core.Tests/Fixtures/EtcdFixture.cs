using CitusHa.Testing.Servers;

namespace CitusHa.Core.Tests.Fixtures;

/// <summary>One real etcd for a test collection; tests keep apart by using their own key namespace.</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdServer? server;

    public EtcdServer Server => server ?? throw new InvalidOperationException("etcd has not started.");

    public async Task InitializeAsync() => server = await EtcdServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>A namespace no other test uses.</summary>
    public static string UniqueNamespace() => $"/t{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class EtcdCollectionDefinition : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}
