using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Zmq;

namespace Workbench.Kernel.Tests.Jupyter;

/// <summary>
/// A minimal Jupyter client over our own libzmq binding, for in-process server tests: DEALER sockets for shell
/// and control, SUB for iopub, REQ for heartbeat. Used from the test thread only.
/// </summary>
internal sealed class KernelTestClient : IDisposable
{
    private readonly ZmqContext _context = new();
    private readonly MessageFactory _factory = new(username: "test-client");

    public KernelTestClient(ConnectionInfo connection, string? key = null)
    {
        Signer = new MessageSigner(connection.SignatureScheme, key ?? connection.Key);
        Shell = Connect(ZmqSocketType.Dealer, connection.Endpoint(connection.ShellPort));
        Control = Connect(ZmqSocketType.Dealer, connection.Endpoint(connection.ControlPort));
        Iopub = Connect(ZmqSocketType.Sub, connection.Endpoint(connection.IopubPort), subscribe: true);
        Heartbeat = Connect(ZmqSocketType.Req, connection.Endpoint(connection.HbPort));
    }

    public MessageSigner Signer { get; }

    public ZmqSocket Shell { get; }

    public ZmqSocket Control { get; }

    public ZmqSocket Iopub { get; }

    public ZmqSocket Heartbeat { get; }

    /// <summary>A connection file for loopback ports that were free a moment ago.</summary>
    public static ConnectionInfo FreshConnection(string key = "unit-test-key")
    {
        var ports = new List<int>();
        var listeners = new List<TcpListener>();
        for (var i = 0; i < 5; i++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            listeners.Add(listener);
            ports.Add(((IPEndPoint)listener.LocalEndpoint).Port);
        }

        listeners.ForEach(l => l.Stop());
        return new ConnectionInfo("tcp", "127.0.0.1", ports[0], ports[1], ports[2], ports[3], ports[4], "hmac-sha256", key);
    }

    public string Send(ZmqSocket socket, string msgType, JObject content)
    {
        var message = new JupyterMessage(Array.Empty<byte[]>(), _factory.CreateHeader(msgType), new JObject(), new JObject(), content);
        socket.SendMultipart(WireCodec.Encode(message, Signer));
        return message.MsgId;
    }

    public JupyterMessage? Receive(ZmqSocket socket, int timeoutMilliseconds = 10_000)
    {
        var frames = socket.TryReceiveMultipart(timeoutMilliseconds);
        if (frames is null)
        {
            return null;
        }

        Assert.Equal(DecodeStatus.Ok, WireCodec.TryDecode(frames, Signer, out var message, out var problem));
        Assert.Null(problem);
        return message;
    }

    public JupyterMessage ReplyTo(ZmqSocket socket, string msgId, int timeoutMilliseconds = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var message = Receive(socket, remaining) ?? throw new TimeoutException($"no reply to {msgId}");
            if (JupyterMessage.StringField(message.ParentHeader, "msg_id") == msgId)
            {
                return message;
            }
        }
    }

    /// <summary>iopub messages of one request from busy to idle inclusive.</summary>
    public List<JupyterMessage> IopubUntilIdle(string msgId, int timeoutMilliseconds = 10_000)
    {
        var messages = new List<JupyterMessage>();
        var deadline = Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var message = Receive(Iopub, remaining) ?? throw new TimeoutException($"no idle for {msgId}");
            if (JupyterMessage.StringField(message.ParentHeader, "msg_id") != msgId)
            {
                continue;
            }

            messages.Add(message);
            if (message.MsgType == "status" && (string?)message.Content["execution_state"] == "idle")
            {
                return messages;
            }
        }
    }

    /// <summary>Sends kernel_info until iopub delivers its status (the PUB/SUB "slow joiner" handshake).</summary>
    public void WaitForReady()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var msgId = Send(Shell, "kernel_info_request", new JObject());
            ReplyTo(Shell, msgId);
            while (Receive(Iopub, 200) is { } message)
            {
                if (JupyterMessage.StringField(message.ParentHeader, "msg_id") == msgId)
                {
                    while (Receive(Iopub, 50) is not null)
                    {
                    }

                    return;
                }
            }
        }

        throw new TimeoutException("iopub never delivered a status message");
    }

    public void Dispose()
    {
        Shell.Dispose();
        Control.Dispose();
        Iopub.Dispose();
        Heartbeat.Dispose();
        _context.Dispose();
    }

    private ZmqSocket Connect(ZmqSocketType type, string endpoint, bool subscribe = false)
    {
        var socket = _context.CreateSocket(type);
        socket.SetOption(ZmqNative.Linger, 0);
        if (subscribe)
        {
            socket.SubscribeAll();
        }

        socket.Connect(endpoint);
        return socket;
    }
}
