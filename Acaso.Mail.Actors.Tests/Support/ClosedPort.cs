using System.Net;
using System.Net.Sockets;

namespace Acaso.Mail.Actors.Tests.Support;

/// <summary>
/// A loopback port bound but not listening: connecting to it is refused, and no other spec running in parallel can
/// start a server on it meanwhile (a port merely closed can be handed to the next server that asks for one).
/// </summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    private ClosedPort(int port)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>Holds a fresh port.</summary>
    public static ClosedPort Any() => new(0);

    /// <summary>Holds <paramref name="port"/> (just released by a server of this spec).</summary>
    public static ClosedPort Hold(int port) => new(port);

    public void Dispose() => _socket.Dispose();
}
