using System.Reflection;
using System.Runtime.InteropServices;
using Newtonsoft.Json.Linq;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Zmq;

namespace Workbench.Jupyter.Server;

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3) over libzmq that drives an <see cref="IKernelEngine"/>.
/// Threads: shell and control each own their ROUTER socket and handle requests one at a time (so interrupt and
/// shutdown on control are never stuck behind a running cell), iopub owns the PUB socket and sends what the
/// others queue, heartbeat echoes on its REP socket. The stdin socket is bound but unused: the kernel never
/// asks for input (<c>allow_stdin</c> is ignored).
/// This class is the transport only (sockets, threads, signatures, decoding, the stop_on_error abort sweep); what a
/// request means is <see cref="KernelRequestHandler"/>'s, and how events become iopub messages is <see cref="IopubMapping"/>'s.
/// </summary>
public sealed class JupyterKernelServer
{
    private const int PollMilliseconds = 100;

    private readonly ConnectionInfo _connection;
    private readonly IKernelEngine _engine;
    private readonly Task _ready;
    private readonly KernelLog _log;
    private readonly MessageSigner _signer;
    private readonly MessageFactory _factory;
    private readonly KernelRequestHandler _handler;

    // Shell requests queued behind a failed cell (stop_on_error), read before its reply went out; answered "aborted".
    private readonly List<List<byte[]>> _setAside = new();
    private readonly ManualResetEventSlim _stopRequested = new();

    private IopubPublisher? _iopub;
    private volatile bool _stopping;

    /// <summary>Creates the server; nothing is bound until <see cref="Run"/>.</summary>
    /// <param name="connection">Where to bind and how to sign.</param>
    /// <param name="engine">The language engine.</param>
    /// <param name="ready">
    /// Completes when the engine is warmed up and extensions are loaded; engine calls wait for it, while
    /// kernel_info and the heartbeat answer at once.
    /// </param>
    /// <param name="log">Diagnostic log (standard error by default).</param>
    public JupyterKernelServer(ConnectionInfo connection, IKernelEngine engine, Task? ready = null, KernelLog? log = null)
    {
        _connection = connection;
        _engine = engine;
        _ready = ready ?? Task.CompletedTask;
        _log = log ?? new KernelLog();
        _signer = new MessageSigner(connection.SignatureScheme, connection.Key);
        _factory = new MessageFactory();
        _handler = new KernelRequestHandler(engine, _ready, _log);
    }

    /// <summary>The session id of this kernel's messages.</summary>
    public string Session => _factory.Session;

    /// <summary>Set when the client's shutdown_request asked for a restart.</summary>
    public bool RestartRequested => _handler.RestartRequested;

    /// <summary>The implementation version reported in kernel_info_reply.</summary>
    public static string ImplementationVersion { get; } =
        typeof(JupyterKernelServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? "0.0.0";

    /// <summary>Binds the sockets and serves until a shutdown request (or <paramref name="cancellationToken"/>).</summary>
    /// <returns>The process exit code (0).</returns>
    public int Run(CancellationToken cancellationToken = default)
    {
        var context = new ZmqContext();
        var shell = context.CreateSocket(ZmqSocketType.Router);
        var control = context.CreateSocket(ZmqSocketType.Router);
        var stdin = context.CreateSocket(ZmqSocketType.Router);
        var iopubSocket = context.CreateSocket(ZmqSocketType.Pub);
        var heartbeat = context.CreateSocket(ZmqSocketType.Rep);
        try
        {
            // Bind only where the connection file says (loopback unless the user chose otherwise).
            shell.Bind(_connection.Endpoint(_connection.ShellPort));
            control.Bind(_connection.Endpoint(_connection.ControlPort));
            stdin.Bind(_connection.Endpoint(_connection.StdinPort));
            iopubSocket.Bind(_connection.Endpoint(_connection.IopubPort));
            heartbeat.Bind(_connection.Endpoint(_connection.HbPort));
        }
        catch
        {
            foreach (var socket in new[] { shell, control, stdin, iopubSocket, heartbeat })
            {
                socket.Dispose();
            }

            context.Dispose();
            throw;
        }

        _log.Write($"listening on {_connection} ({SinceProcessStart()} ms after process start)");

        // Sockets were created here; each is handed to exactly one thread (Thread.Start is a full barrier).
        _iopub = new IopubPublisher(iopubSocket, _signer, _log);
        _iopub.Start();
        var shellThread = StartThread("jupyter-shell", () => ServeLoop(shell, isShell: true));
        var controlThread = StartThread("jupyter-control", () => ServeLoop(control, isShell: false));
        var heartbeatThread = StartThread("jupyter-heartbeat", () => HeartbeatLoop(heartbeat));
        Publish(null, "status", new JObject { ["execution_state"] = "starting" });

        using var sigint = RegisterSigint();
        using (cancellationToken.Register(() => _stopRequested.Set()))
        {
            _stopRequested.Wait();
        }

        _stopping = true;
        _handler.Interrupt();
        var clean = controlThread.Join(TimeSpan.FromSeconds(2));
        clean &= shellThread.Join(TimeSpan.FromSeconds(2));
        clean &= heartbeatThread.Join(TimeSpan.FromSeconds(2));
        clean &= _iopub.Stop(TimeSpan.FromSeconds(2));
        stdin.Dispose();
        if (!clean)
        {
            // A thread still holds its socket (a cell ignoring the interrupt): terminating the context would
            // block on it forever, so leave the rest to process exit.
            _log.Write("shutdown: a cell is still running; exiting without waiting for it");
            return 0;
        }

        context.Dispose();
        return 0;
    }

    /// <summary>Milliseconds since the process started, for start-up diagnostics in the log.</summary>
    public static long SinceProcessStart()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return (long)(DateTime.Now - process.StartTime).TotalMilliseconds;
    }

    private static Thread StartThread(string name, ThreadStart body)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    private PosixSignalRegistration? RegisterSigint()
    {
        try
        {
            // A terminal's Ctrl-C reaches the whole process group: interrupt the cell instead of dying.
            return PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                _handler.Interrupt();
            });
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }

    private void RequestStop()
    {
        _stopping = true;
        _stopRequested.Set();
    }

    private void HeartbeatLoop(ZmqSocket socket)
    {
        try
        {
            while (!_stopping)
            {
                var frames = socket.TryReceiveMultipart(PollMilliseconds);
                if (frames is not null)
                {
                    socket.SendMultipart(frames);
                }
            }
        }
        catch (Exception ex)
        {
            _log.Write($"heartbeat stopped: {ex.Message}");
        }
        finally
        {
            socket.Dispose();
        }
    }

    private void ServeLoop(ZmqSocket socket, bool isShell)
    {
        var channel = isShell ? "shell" : "control";
        try
        {
            while (!_stopping)
            {
                var frames = socket.TryReceiveMultipart(PollMilliseconds);
                if (frames is null)
                {
                    continue;
                }

                Dispatch(socket, channel, frames);
                if (isShell && _handler.AbortQueuedExecutes)
                {
                    AbortQueuedExecutes(socket);
                }
            }
        }
        catch (Exception ex)
        {
            _log.Write($"{channel}: fatal: {ex}");
            RequestStop();
        }
        finally
        {
            socket.Dispose();
        }
    }

    private void Dispatch(ZmqSocket socket, string channel, List<byte[]> frames, bool abortExecutes = false)
    {
        var status = WireCodec.TryDecode(frames, _signer, out var request, out var problem);
        if (status == DecodeStatus.BadSignature)
        {
            // Never executed, never answered: an unauthenticated peer learns nothing.
            _log.Write($"{channel}: dropped a message with an invalid signature ({problem})");
            return;
        }

        if (status != DecodeStatus.Ok)
        {
            _log.Write($"{channel}: dropped a malformed message ({problem})");
            return;
        }

        if (_handler.Handle(new SocketChannel(this, socket), channel, request!, abortExecutes))
        {
            RequestStop();
        }
    }

    /// <summary>
    /// After a failed cell with <c>stop_on_error</c>, the cells the client had already queued behind it are not
    /// run: each gets an "aborted" execute_reply (with busy/idle so clients waiting for idle move on). Only the
    /// requests set aside before the failed cell's reply went out are affected (<see cref="SetAsideQueued"/>): read
    /// after it, a fast client's next cell, sent on seeing that reply, was sometimes aborted too. Other request types
    /// are served normally.
    /// </summary>
    private void AbortQueuedExecutes(ZmqSocket socket)
    {
        try
        {
            foreach (var frames in _setAside)
            {
                Dispatch(socket, "shell", frames, abortExecutes: true);
            }
        }
        finally
        {
            _setAside.Clear();
            _handler.AbortQueuedExecutes = false;
        }
    }

    /// <summary>Reads every request already waiting on <paramref name="socket"/> into the set-aside list (shell thread only).</summary>
    private void SetAsideQueued(ZmqSocket socket)
    {
        while (socket.TryReceiveMultipart(0) is { } frames)
        {
            _setAside.Add(frames);
        }
    }

    private void Reply(ZmqSocket socket, JupyterMessage request, string msgType, JObject content)
    {
        socket.SendMultipart(WireCodec.Encode(_factory.CreateReply(request, msgType, content), _signer));
    }

    private void Publish(JupyterMessage? parent, string msgType, JObject content)
    {
        _iopub?.Publish(_factory.CreateBroadcast(parent, msgType, content));
    }

    /// <summary>Replies on the socket a request came in on; publishes through the iopub thread.</summary>
    private sealed class SocketChannel(JupyterKernelServer server, ZmqSocket socket) : IKernelChannel
    {
        public void Reply(JupyterMessage request, string msgType, JObject content) => server.Reply(socket, request, msgType, content);

        public void Publish(JupyterMessage? parent, string msgType, JObject content) => server.Publish(parent, msgType, content);

        public void SetAsideQueuedRequests() => server.SetAsideQueued(socket);
    }
}
