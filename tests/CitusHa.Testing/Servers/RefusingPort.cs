using System.Net;
using System.Net.Sockets;

namespace CitusHa.Testing.Servers;

/// <summary>A loopback port held bound but not listening: connecting to it is refused.</summary>
public sealed class RefusingPort : IDisposable
{
    private readonly Socket socket;

    internal RefusingPort(Socket socket)
    {
        this.socket = socket;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public void Dispose() => socket.Dispose();
}
