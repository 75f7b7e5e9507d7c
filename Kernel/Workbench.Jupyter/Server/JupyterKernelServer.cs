using System.Reflection;
using System.Runtime.InteropServices;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Workbench.Interactive;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Zmq;

namespace Workbench.Jupyter.Server;

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3) over libzmq that drives an <see cref="IKernelEngine"/>.
/// Threads: shell and control each own their ROUTER socket and handle requests one at a time (so interrupt and
/// shutdown on control are never stuck behind a running cell), iopub owns the PUB socket and sends what the
/// others queue, heartbeat echoes on its REP socket. The stdin socket is bound but unused: the kernel never
/// asks for input (<c>allow_stdin</c> is ignored).
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
    private readonly ExecutionHistory _history = new();
    private readonly ManualResetEventSlim _stopRequested = new();
    private readonly object _executionGate = new();

    private IopubPublisher? _iopub;
    private volatile bool _stopping;
    private int _executionCount;
    private bool _abortQueuedExecutes;
    private CancellationTokenSource? _currentExecution;
    private volatile bool _readinessLogged;
    private bool _readinessReported;

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
    }

    /// <summary>The session id of this kernel's messages.</summary>
    public string Session => _factory.Session;

    /// <summary>Set when the client's shutdown_request asked for a restart.</summary>
    public bool RestartRequested { get; private set; }

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
        InterruptExecution();
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
                InterruptExecution();
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
                if (isShell && _abortQueuedExecutes)
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

        HandleRequest(socket, channel, request!, abortExecutes);
    }

    /// <summary>
    /// After a failed cell with <c>stop_on_error</c>, the cells the client had already queued behind it are not
    /// run: each gets an "aborted" execute_reply (with busy/idle so clients waiting for idle move on). Only
    /// requests that arrived before this point are affected; other request types are served normally.
    /// </summary>
    private void AbortQueuedExecutes(ZmqSocket socket)
    {
        try
        {
            // Read everything already queued before answering any of it: a client reacting to one of these
            // replies must not have its next request swept up as well.
            var queued = new List<List<byte[]>>();
            while (socket.TryReceiveMultipart(0) is { } frames)
            {
                queued.Add(frames);
            }

            foreach (var frames in queued)
            {
                Dispatch(socket, "shell", frames, abortExecutes: true);
            }
        }
        finally
        {
            _abortQueuedExecutes = false;
        }
    }

    private void HandleRequest(ZmqSocket socket, string channel, JupyterMessage request, bool abortExecutes)
    {
        var msgType = request.MsgType;
        PublishStatus(request, "busy");
        var shutdown = false;
        try
        {
            switch (msgType)
            {
                case "kernel_info_request":
                    Reply(socket, request, "kernel_info_reply", KernelInfo());
                    break;
                case "execute_request" when abortExecutes:
                    Reply(socket, request, "execute_reply", new JObject
                    {
                        ["status"] = "aborted",
                        ["execution_count"] = _executionCount,
                    });
                    break;
                case "execute_request" when channel == "shell":
                    Execute(socket, request);
                    break;
                case "complete_request":
                    Reply(socket, request, "complete_reply", Complete(request.Content));
                    break;
                case "inspect_request":
                    Reply(socket, request, "inspect_reply", Inspect(request.Content));
                    break;
                case "is_complete_request":
                    Reply(socket, request, "is_complete_reply", IsComplete(request.Content));
                    break;
                case "history_request":
                    Reply(socket, request, "history_reply", History(request.Content));
                    break;
                case "comm_info_request":
                    Reply(socket, request, "comm_info_reply", new JObject { ["status"] = "ok", ["comms"] = new JObject() });
                    break;
                case "comm_open":
                    // No comm targets exist: closing at once tells the front end (widgets) it is unsupported.
                    Publish(request, "comm_close", new JObject
                    {
                        ["comm_id"] = request.Content["comm_id"]?.DeepClone() ?? string.Empty,
                        ["data"] = new JObject(),
                    });
                    break;
                case "comm_msg":
                case "comm_close":
                    break;
                case "interrupt_request":
                    InterruptExecution();
                    Reply(socket, request, "interrupt_reply", new JObject { ["status"] = "ok" });
                    break;
                case "shutdown_request":
                    RestartRequested = request.Content["restart"] is JValue { Type: JTokenType.Boolean } restart && (bool)restart;
                    Reply(socket, request, "shutdown_reply", new JObject
                    {
                        ["status"] = "ok",
                        ["restart"] = RestartRequested,
                    });
                    shutdown = true;
                    break;
                default:
                    _log.Write($"{channel}: ignoring unsupported message type '{Truncate(msgType)}'");
                    break;
            }
        }
        catch (Exception ex)
        {
            // A handler bug or hostile content must not take the kernel down; the client still gets an error
            // reply (so it does not wait forever) and its idle.
            _log.Write($"{channel}: error handling {Truncate(msgType)}: {ex}");
            TryReplyWithError(socket, request, ex);
        }
        finally
        {
            PublishStatus(request, "idle");
        }

        if (shutdown)
        {
            _log.Write($"{channel}: shutdown requested (restart={RestartRequested})");
            RequestStop();
        }
    }

    private void TryReplyWithError(ZmqSocket socket, JupyterMessage request, Exception exception)
    {
        var msgType = request.MsgType;
        if (!msgType.EndsWith("_request", StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            var error = new ErrorProduced(exception.GetType().Name, exception.Message, new[] { $"{exception.GetType().Name}: {exception.Message}" });
            Reply(socket, request, msgType[..^"_request".Length] + "_reply", ErrorReply(error, _executionCount));
        }
        catch (Exception ex)
        {
            _log.Write($"could not send the error reply to {Truncate(msgType)}: {ex.Message}");
        }
    }

    private JObject KernelInfo()
    {
        var language = _engine.LanguageInfo;
        return new JObject
        {
            ["status"] = "ok",
            ["protocol_version"] = MessageFactory.ProtocolVersion,
            ["implementation"] = "mmu-workbench",
            ["implementation_version"] = ImplementationVersion,
            ["language_info"] = new JObject
            {
                ["name"] = language.Name,
                ["version"] = language.Version,
                ["mimetype"] = language.MimeType,
                ["file_extension"] = language.FileExtension,
                ["pygments_lexer"] = language.PygmentsLexer,
                ["codemirror_mode"] = language.CodeMirrorMode,
                ["nbconvert_exporter"] = language.NbConvertExporter,
            },
            ["banner"] = _engine.Banner,
            ["help_links"] = new JArray
            {
                new JObject { ["text"] = "C# language reference", ["url"] = "https://learn.microsoft.com/dotnet/csharp/" },
                new JObject { ["text"] = ".NET API browser", ["url"] = "https://learn.microsoft.com/dotnet/api/" },
            },
            ["debugger"] = false,
        };
    }

    private void Execute(ZmqSocket socket, JupyterMessage request)
    {
        var content = request.Content;
        if (content["code"] is not JValue { Type: JTokenType.String })
        {
            // A request a real front end never sends; answer it (so a waiting client moves on) without running it.
            var invalid = new ErrorProduced("InvalidRequest", "execute_request: 'code' must be a string.", new[] { "execute_request: 'code' must be a string." });
            PublishEvent(request, invalid, _executionCount);
            Reply(socket, request, "execute_reply", ErrorReply(invalid, _executionCount));
            return;
        }

        var code = StringOr(content, "code", string.Empty);
        var silent = BoolOr(content, "silent", false);
        var storeHistory = !silent && BoolOr(content, "store_history", true);
        var stopOnError = BoolOr(content, "stop_on_error", true);

        if (storeHistory)
        {
            _executionCount++;
        }

        var count = _executionCount;
        if (!silent)
        {
            Publish(request, "execute_input", new JObject { ["code"] = code, ["execution_count"] = count });
        }

        var outcome = new ExecutionOutcome();
        void OnEvent(KernelEvent kernelEvent)
        {
            try
            {
                outcome.Observe(kernelEvent);
                if (!silent)
                {
                    PublishEvent(request, kernelEvent, count);
                }
            }
            catch (Exception ex)
            {
                // Called on the engine's threads: never let a mapping problem surface inside user code.
                _log.Write($"execute: could not publish {kernelEvent.GetType().Name}: {ex.Message}");
            }
        }

        var succeeded = false;
        using (var cancellation = new CancellationTokenSource())
        {
            lock (_executionGate)
            {
                _currentExecution = cancellation;
            }

            try
            {
                var startupProblem = WaitUntilReady(cancellation.Token, forCell: true);
                if (startupProblem is not null && !silent)
                {
                    PublishEvent(request, new StandardErrorProduced($"kernel start-up problem: {startupProblem}\n"), count);
                }

                succeeded = _engine.SubmitCodeAsync(code, OnEvent, cancellation.Token).GetAwaiter().GetResult().Succeeded;
            }
            catch (OperationCanceledException) when (outcome.Error is null)
            {
                OnEvent(new ErrorProduced("OperationCanceledException", "The cell was interrupted.", new[] { "The cell was interrupted." }));
            }
            catch (Exception ex) when (outcome.Error is null)
            {
                OnEvent(new ErrorProduced(ex.GetType().Name, ex.Message, ex.ToString().Split('\n')));
            }
            catch (Exception ex)
            {
                // The engine already reported the failure; one error per cell is the contract.
                _log.Write($"execute: engine threw after reporting an error: {ex.Message}");
            }
            finally
            {
                lock (_executionGate)
                {
                    _currentExecution = null;
                }
            }
        }

        var error = outcome.Error;
        if (!succeeded && error is null)
        {
            // The engine promises an ErrorProduced per failure; if one is missing, still show exactly one.
            error = new ErrorProduced("Error", "The cell failed.", new[] { "The cell failed." });
            outcome.Observe(error);
            if (!silent)
            {
                PublishEvent(request, error, count);
            }
        }

        if (storeHistory)
        {
            _history.Add(count, code, outcome.ResultText);
        }

        if (error is null)
        {
            Reply(socket, request, "execute_reply", new JObject
            {
                ["status"] = "ok",
                ["execution_count"] = count,
                ["payload"] = new JArray(),
                ["user_expressions"] = new JObject(),
            });
            return;
        }

        Reply(socket, request, "execute_reply", ErrorReply(error, count));
        if (stopOnError)
        {
            _abortQueuedExecutes = true;
        }
    }

    private static JObject ErrorReply(ErrorProduced error, int count)
    {
        return new JObject
        {
            ["status"] = "error",
            ["execution_count"] = count,
            ["ename"] = error.Name,
            ["evalue"] = error.Message,
            ["traceback"] = new JArray(error.Traceback.Cast<object>().ToArray()),
        };
    }

    private void PublishEvent(JupyterMessage request, KernelEvent kernelEvent, int count)
    {
        switch (kernelEvent)
        {
            case StandardOutputProduced output:
                Publish(request, "stream", new JObject { ["name"] = "stdout", ["text"] = output.Text });
                break;
            case StandardErrorProduced error:
                Publish(request, "stream", new JObject { ["name"] = "stderr", ["text"] = error.Text });
                break;
            case DisplayedValueProduced displayed:
                Publish(request, "display_data", new JObject
                {
                    ["data"] = MimeBundle.From(displayed.FormattedValues),
                    ["metadata"] = new JObject(),
                    ["transient"] = Transient(displayed.DisplayId),
                });
                break;
            case DisplayedValueUpdated updated:
                Publish(request, "update_display_data", new JObject
                {
                    ["data"] = MimeBundle.From(updated.FormattedValues),
                    ["metadata"] = new JObject(),
                    ["transient"] = Transient(updated.DisplayId),
                });
                break;
            case ReturnValueProduced returned:
                Publish(request, "execute_result", new JObject
                {
                    ["execution_count"] = count,
                    ["data"] = MimeBundle.From(returned.FormattedValues),
                    ["metadata"] = new JObject(),
                });
                break;
            case ClearOutputRequested clear:
                Publish(request, "clear_output", new JObject { ["wait"] = clear.Wait });
                break;
            case ErrorProduced failure:
                Publish(request, "error", new JObject
                {
                    ["ename"] = failure.Name,
                    ["evalue"] = failure.Message,
                    ["traceback"] = new JArray(failure.Traceback.Cast<object>().ToArray()),
                });
                break;
            default:
                _log.Write($"execute: no iopub mapping for {kernelEvent.GetType().Name}");
                break;
        }
    }

    private static JObject Transient(string? displayId)
    {
        return string.IsNullOrEmpty(displayId) ? new JObject() : new JObject { ["display_id"] = displayId };
    }

    private JObject Complete(JObject content)
    {
        var code = StringOr(content, "code", string.Empty);
        var cursor = CodePoints.ToUtf16Index(code, IntOr(content, "cursor_pos", CodePoints.Length(code)));
        WaitUntilReady();
        var result = _engine.GetCompletionsAsync(code, cursor).GetAwaiter().GetResult();
        return new JObject
        {
            ["status"] = "ok",
            ["matches"] = new JArray(result.Matches.Cast<object>().ToArray()),
            ["cursor_start"] = CodePoints.FromUtf16Index(code, result.CursorStart),
            ["cursor_end"] = CodePoints.FromUtf16Index(code, result.CursorEnd),
            ["metadata"] = new JObject(),
        };
    }

    private JObject Inspect(JObject content)
    {
        var code = StringOr(content, "code", string.Empty);
        var cursor = CodePoints.ToUtf16Index(code, IntOr(content, "cursor_pos", CodePoints.Length(code)));
        var detail = IntOr(content, "detail_level", 0);
        WaitUntilReady();
        var result = _engine.InspectAsync(code, cursor, detail).GetAwaiter().GetResult();
        return new JObject
        {
            ["status"] = "ok",
            ["found"] = result.Found,
            ["data"] = result.Found ? MimeBundle.From(result.Data) : new JObject(),
            ["metadata"] = new JObject(),
        };
    }

    private JObject IsComplete(JObject content)
    {
        var code = StringOr(content, "code", string.Empty);
        IsCompleteResult result;
        try
        {
            WaitUntilReady();
            result = _engine.IsComplete(code);
        }
        catch (Exception ex)
        {
            _log.Write($"is_complete: {ex.Message}");
            return new JObject { ["status"] = "unknown" };
        }

        var reply = new JObject { ["status"] = result.Status };
        if (result.Status == "incomplete")
        {
            reply["indent"] = result.Indent ?? string.Empty;
        }

        return reply;
    }

    private JObject History(JObject content)
    {
        var output = BoolOr(content, "output", false);
        var accessType = StringOr(content, "hist_access_type", "tail");
        IReadOnlyList<HistoryEntry> entries = accessType switch
        {
            "tail" => _history.Tail(IntOr(content, "n", 10)),
            "range" => _history.Range(IntOr(content, "session", 0), IntOr(content, "start", 1), NullableInt(content, "stop")),
            "search" => _history.Search(StringOr(content, "pattern", "*"), NullableInt(content, "n"), BoolOr(content, "unique", false)),
            _ => Array.Empty<HistoryEntry>(),
        };

        var rows = new JArray();
        foreach (var entry in entries)
        {
            JToken cell = output ? new JArray(entry.Input, (object?)entry.Output ?? JValue.CreateNull()) : entry.Input;
            rows.Add(new JArray(ExecutionHistory.CurrentSession, entry.Line, cell));
        }

        return new JObject { ["status"] = "ok", ["history"] = rows };
    }

    private void InterruptExecution()
    {
        try
        {
            _engine.Interrupt();
        }
        catch (Exception ex)
        {
            _log.Write($"interrupt: {ex.Message}");
        }

        lock (_executionGate)
        {
            _currentExecution?.Cancel();
        }
    }

    /// <summary>
    /// Waits for start-up (warm-up, extensions). A start-up problem is logged once and, for the first cell
    /// (<paramref name="forCell"/>), returned so the user sees it once; null otherwise. The kernel keeps serving.
    /// </summary>
    private string? WaitUntilReady(CancellationToken cancellationToken = default, bool forCell = false)
    {
        try
        {
            // An interrupt while the engine is still warming up cancels the waiting cell.
            _ready.Wait(cancellationToken);
            return null;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            var message = (ex is AggregateException aggregate ? aggregate.GetBaseException() : ex).Message;
            if (!_readinessLogged)
            {
                _readinessLogged = true;
                _log.Write($"start-up did not complete: {message}");
            }

            if (!forCell || _readinessReported)
            {
                return null;
            }

            _readinessReported = true;
            return message;
        }
    }

    private void Reply(ZmqSocket socket, JupyterMessage request, string msgType, JObject content)
    {
        socket.SendMultipart(WireCodec.Encode(_factory.CreateReply(request, msgType, content), _signer));
    }

    private void PublishStatus(JupyterMessage request, string state)
    {
        Publish(request, "status", new JObject { ["execution_state"] = state });
    }

    private void Publish(JupyterMessage? parent, string msgType, JObject content)
    {
        _iopub?.Publish(_factory.CreateBroadcast(parent, msgType, content));
    }

    private static string StringOr(JObject content, string name, string fallback)
    {
        return content[name] is JValue { Type: JTokenType.String } value ? (string)value! : fallback;
    }

    private static bool BoolOr(JObject content, string name, bool fallback)
    {
        return content[name] is JValue { Type: JTokenType.Boolean } value ? (bool)value : fallback;
    }

    private static int IntOr(JObject content, string name, int fallback)
    {
        return NullableInt(content, name) ?? fallback;
    }

    private static int? NullableInt(JObject content, string name)
    {
        if (content[name] is JValue { Type: JTokenType.Integer } value)
        {
            var number = (long)value;
            return (int)Math.Clamp(number, int.MinValue, int.MaxValue);
        }

        return null;
    }

    private static string Truncate(string text)
    {
        return text.Length <= 80 ? text : text[..80] + "...";
    }

    /// <summary>What a cell produced that the reply and the history need; filled from any thread.</summary>
    private sealed class ExecutionOutcome
    {
        private readonly object _gate = new();
        private ErrorProduced? _error;
        private string? _resultText;

        public ErrorProduced? Error
        {
            get
            {
                lock (_gate)
                {
                    return _error;
                }
            }
        }

        public string? ResultText
        {
            get
            {
                lock (_gate)
                {
                    return _resultText;
                }
            }
        }

        public void Observe(KernelEvent kernelEvent)
        {
            lock (_gate)
            {
                switch (kernelEvent)
                {
                    case ErrorProduced error:
                        _error ??= error;
                        break;
                    case ReturnValueProduced result when result.FormattedValues.TryGetValue("text/plain", out var text):
                        _resultText = text;
                        break;
                }
            }
        }
    }
}

/// <summary>Turns the engine's MIME → text dictionaries into Jupyter MIME bundles.</summary>
public static class MimeBundle
{
    /// <summary>
    /// JSON MIME types (<c>application/json</c>, <c>*+json</c>) must be JSON values in a bundle, not strings,
    /// so their text is parsed; everything else stays text. Unparseable JSON is sent as text rather than lost.
    /// </summary>
    public static JObject From(IReadOnlyDictionary<string, string> formattedValues)
    {
        var bundle = new JObject();
        foreach (var (mimeType, text) in formattedValues)
        {
            bundle[mimeType] = IsJson(mimeType) ? ParseOrText(text) : text;
        }

        return bundle;
    }

    /// <summary>True for MIME types whose bundle value is JSON.</summary>
    public static bool IsJson(string mimeType)
    {
        var semicolon = mimeType.IndexOf(';');
        var bare = (semicolon >= 0 ? mimeType[..semicolon] : mimeType).Trim();
        return bare.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || bare.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static JToken ParseOrText(string text)
    {
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { DateParseHandling = DateParseHandling.None };
            var token = JToken.ReadFrom(reader);
            return reader.Read() ? text : token;
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
