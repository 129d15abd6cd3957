using System.Reflection;
using CitusHa.Testing.PowerShell;
using CitusHa.Testing.Servers;

namespace CitusHa.Cmdlets.Tests;

/// <summary>
/// One etcd and one PowerShell session with the module imported, shared by the module tests. Before
/// anything imports the module, an older YamlDotNet is loaded into the host's default context (as
/// Az.Aks does in real sessions), so every test here runs in that collision.
/// </summary>
public sealed class ModuleFixture : IAsyncLifetime
{
    public static readonly Version HostYamlVersion = new(13, 0, 0, 0);

    private EtcdServer? etcd;
    private ModuleSession? session;

    public Assembly HostYamlDotNet { get; } = typeof(YamlDotNet.Serialization.Serializer).Assembly;

    public EtcdServer Etcd => etcd ?? throw new InvalidOperationException("etcd has not started.");

    public ModuleSession Session => session ?? throw new InvalidOperationException("The session is not open.");

    public async Task InitializeAsync()
    {
        etcd = await EtcdServer.StartAsync();
        session = ModuleSession.Open();
    }

    public async Task DisposeAsync()
    {
        session?.Dispose();
        if (etcd is not null)
        {
            await etcd.DisposeAsync();
        }
    }

    public static string UniqueNamespace() => $"/m{Guid.NewGuid():N}";

    /// <summary>Writes a small Citus formation (coordinator + one worker group) under <paramref name="ns"/>.</summary>
    public async Task WriteFormationAsync(string ns, string scope, CancellationToken ct)
    {
        using var client = Etcd.CreateClient();
        await client.PutAsync($"{ns}/{scope}/0/leader", "coord-a", cancellationToken: ct);
        await client.PutAsync($"{ns}/{scope}/0/status", """{"optime":8388608}""", cancellationToken: ct);
        await client.PutAsync($"{ns}/{scope}/0/members/coord-a", """{"conn_url":"postgres://coord-a.demo:5432/postgres","api_url":"http://coord-a.demo:8008/patroni","state":"running","role":"primary","timeline":2,"xlog_location":8388608,"version":"4.1.4"}""", cancellationToken: ct);
        await client.PutAsync($"{ns}/{scope}/0/members/coord-b", """{"conn_url":"postgres://coord-b.demo:5432/postgres","api_url":"http://coord-b.demo:8008/patroni","state":"running","role":"replica","replication_state":"streaming","timeline":2,"xlog_location":3145728,"tags":{"nofailover":true}}""", cancellationToken: ct);
        await client.PutAsync($"{ns}/{scope}/1/leader", "work1-a", cancellationToken: ct);
        await client.PutAsync($"{ns}/{scope}/1/members/work1-a", """{"conn_url":"postgres://work1-a.demo:5432/postgres","state":"running","role":"primary","timeline":1}""", cancellationToken: ct);
    }
}

[CollectionDefinition(Name)]
public sealed class ModuleCollectionDefinition : ICollectionFixture<ModuleFixture>
{
    public const string Name = "module";
}
