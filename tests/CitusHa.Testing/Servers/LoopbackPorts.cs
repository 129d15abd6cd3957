using System.Net;
using System.Net.Sockets;

namespace CitusHa.Testing.Servers;

/// <summary>Free TCP ports on 127.0.0.1, and a clear error when a wanted port is taken.</summary>
public static class LoopbackPorts
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A port the OS just reported free, never handed out twice by this process (two fixtures
    /// starting at once must not race for the same port).
    /// </summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }

            throw new SetupException("Could not find a free TCP port on 127.0.0.1 after 100 tries.");
        }
    }

    /// <summary>The first of <paramref name="count"/> consecutive ports that are all free now (for a local formation).</summary>
    public static int FreeRange(int count)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                // Below Linux's ephemeral range (32768-60999): outgoing connections (Citus opens many)
                // can never take a port of a member that has not started yet.
                var start = Random.Shared.Next(10000, 32700 - count);
                var ports = Enumerable.Range(start, count).ToList();
                if (ports.Any(Handed.Contains) || !ports.All(IsFree))
                {
                    continue;
                }

                Handed.UnionWith(ports);
                return start;
            }

            throw new SetupException($"Could not find {count} consecutive free TCP ports on 127.0.0.1.");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// A port on which connections are refused for as long as the result lives: bound, never
    /// listening, so no other process (a parallel test run) can take it meanwhile.
    /// </summary>
    public static RefusingPort Refusing()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return new RefusingPort(socket);
    }

    /// <summary>Throws <see cref="SetupException"/> naming the port when something already listens on it.</summary>
    public static void EnsureFree(int port, string forWhat)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new SetupException(
                $"Port {port} on 127.0.0.1 is already in use, so {forWhat} cannot listen there. Stop the process that holds it (ss -ltnp 'sport = :{port}') or let the fixture choose a free port.", e);
        }
    }
}
