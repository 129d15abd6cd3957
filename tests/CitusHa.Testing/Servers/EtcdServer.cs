using System.Net.Http;
using dotnet_etcd;

namespace CitusHa.Testing.Servers;

/// <summary>
/// A real, single-member etcd (Debian's etcd-server) on free loopback ports with its own data
/// directory. <see cref="DisposeAsync"/> kills it by PID and deletes the directory.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ServerProcess process;
    private readonly string dataDirectory;

    private EtcdServer(ServerProcess process, string dataDirectory, int clientPort, int peerPort)
    {
        this.process = process;
        this.dataDirectory = dataDirectory;
        ClientPort = clientPort;
        PeerPort = peerPort;
    }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public int Pid => process.Pid;

    public string DataDirectory => dataDirectory;

    /// <summary>The client URL, e.g. http://127.0.0.1:23790.</summary>
    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    public bool IsRunning => !process.HasExited;

    public static async Task<EtcdServer> StartAsync(EtcdServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EtcdServerOptions();
        var binary = ToolLocator.Etcd(options.BinaryPath);
        var clientPort = options.ClientPort ?? LoopbackPorts.Next();
        var peerPort = options.PeerPort ?? LoopbackPorts.Next();
        LoopbackPorts.EnsureFree(clientPort, "etcd's client listener");
        LoopbackPorts.EnsureFree(peerPort, "etcd's peer listener");

        var dataDirectory = Path.Combine(Path.GetTempPath(), "citusha-tests", $"etcd-{clientPort}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDirectory);
        var process = ServerProcess.Start(binary,
        [
            "--name", "test",
            "--data-dir", dataDirectory,
            "--listen-client-urls", $"http://127.0.0.1:{clientPort}",
            "--advertise-client-urls", $"http://127.0.0.1:{clientPort}",
            "--listen-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-cluster", $"test=http://127.0.0.1:{peerPort}",
            "--initial-cluster-state", "new",
            "--log-level", "warn",
        ], $"etcd on 127.0.0.1:{clientPort}", dataDirectory);

        var server = new EtcdServer(process, dataDirectory, clientPort, peerPort);
        try
        {
            await server.WaitHealthyAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A raw etcd client (not CitusHa's adapter), for tests to write and read keys independently.</summary>
    public EtcdClient CreateClient() => new(Endpoint);

    public Task KillAsync() => process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await TestTimeouts.WaitUntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new SetupException($"etcd exited with code {process.ExitCode} while starting:\n{process.OutputTail()}");
                }

                var body = await Http.GetStringAsync(new Uri($"{Endpoint}/health"), cancellationToken).ConfigureAwait(false);
                return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
            }, timeout, $"etcd on {Endpoint} to report healthy", cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new SetupException($"{e.Message}\n{process.OutputTail()}", e);
        }
    }
}
