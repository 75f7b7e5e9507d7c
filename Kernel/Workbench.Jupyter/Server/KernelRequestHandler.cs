using Newtonsoft.Json.Linq;
using Workbench.Interactive;
using Workbench.Jupyter.Protocol;

namespace Workbench.Jupyter.Server;

/// <summary>Where a request handler sends its replies and iopub messages (the server: ZeroMQ; tests: a list).</summary>
public interface IKernelChannel
{
    /// <summary>Sends the reply to <paramref name="request"/> on the channel it came from.</summary>
    void Reply(JupyterMessage request, string msgType, JObject content);

    /// <summary>Broadcasts an iopub message whose parent is <paramref name="parent"/>.</summary>
    void Publish(JupyterMessage? parent, string msgType, JObject content);

    /// <summary>
    /// Takes the requests already waiting on this channel aside, to be answered after the current one (see
    /// <see cref="KernelRequestHandler.AbortQueuedExecutes"/>). Called before a failed cell's reply goes out, so that
    /// what is set aside was queued behind that cell, never a request the client sent after seeing the reply.
    /// </summary>
    void SetAsideQueuedRequests()
    {
    }
}

/// <summary>
/// The kernel's request handlers and execution coordination, free of any transport: <see cref="JupyterKernelServer"/>
/// receives and decodes messages over ZeroMQ and hands each request to <see cref="Handle"/> with an
/// <see cref="IKernelChannel"/> for the answers, so handlers are testable without sockets.
/// Shell and control call <see cref="Handle"/> from their own threads; a cell runs on the shell thread while
/// control may <see cref="Interrupt"/> it.
/// </summary>
public sealed class KernelRequestHandler
{
    private readonly IKernelEngine _engine;
    private readonly Task _ready;
    private readonly KernelLog _log;
    private readonly ExecutionHistory _history = new();
    private readonly object _executionGate = new();
    private int _executionCount;
    private CancellationTokenSource? _currentExecution;
    private volatile bool _readinessLogged;
    private bool _readinessReported;

    /// <param name="engine">The language engine.</param>
    /// <param name="ready">Completes when the engine is warmed up; engine calls wait for it, kernel_info does not.</param>
    /// <param name="log">Diagnostic log.</param>
    public KernelRequestHandler(IKernelEngine engine, Task? ready, KernelLog log)
    {
        _engine = engine;
        _ready = ready ?? Task.CompletedTask;
        _log = log;
    }

    /// <summary>Set when the client's shutdown_request asked for a restart.</summary>
    public bool RestartRequested { get; private set; }

    /// <summary>
    /// Set after a failed cell with <c>stop_on_error</c>: the shell answers the execute requests already queued
    /// behind it with "aborted" (see <see cref="JupyterKernelServer"/>), then clears it.
    /// </summary>
    public bool AbortQueuedExecutes { get; set; }

    /// <summary>
    /// Answers one request (busy, the reply and its iopub messages, idle). Returns true for a shutdown request.
    /// <paramref name="abortExecutes"/> answers execute requests with "aborted" instead of running them.
    /// </summary>
    public bool Handle(IKernelChannel replies, string channel, JupyterMessage request, bool abortExecutes)
    {
        var msgType = request.MsgType;
        replies.Publish(request, "status", new JObject { ["execution_state"] = "busy" });
        var shutdown = false;
        try
        {
            switch (msgType)
            {
                case "kernel_info_request":
                    replies.Reply(request, "kernel_info_reply", KernelInfo());
                    break;
                case "execute_request" when abortExecutes:
                    replies.Reply(request, "execute_reply", new JObject
                    {
                        ["status"] = "aborted",
                        ["execution_count"] = _executionCount,
                    });
                    break;
                case "execute_request" when channel == "shell":
                    Execute(replies, request);
                    break;
                case "complete_request":
                    replies.Reply(request, "complete_reply", Complete(request.Content));
                    break;
                case "inspect_request":
                    replies.Reply(request, "inspect_reply", Inspect(request.Content));
                    break;
                case "is_complete_request":
                    replies.Reply(request, "is_complete_reply", IsComplete(request.Content));
                    break;
                case "history_request":
                    replies.Reply(request, "history_reply", History(request.Content));
                    break;
                case "comm_info_request":
                    replies.Reply(request, "comm_info_reply", new JObject { ["status"] = "ok", ["comms"] = new JObject() });
                    break;
                case "comm_open":
                    // No comm targets exist: closing at once tells the front end (widgets) it is unsupported.
                    replies.Publish(request, "comm_close", new JObject
                    {
                        ["comm_id"] = request.Content["comm_id"]?.DeepClone() ?? string.Empty,
                        ["data"] = new JObject(),
                    });
                    break;
                case "comm_msg":
                case "comm_close":
                    break;
                case "interrupt_request":
                    Interrupt();
                    replies.Reply(request, "interrupt_reply", new JObject { ["status"] = "ok" });
                    break;
                case "shutdown_request":
                    RestartRequested = request.Content["restart"] is JValue { Type: JTokenType.Boolean } restart && (bool)restart;
                    replies.Reply(request, "shutdown_reply", new JObject
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
            TryReplyWithError(replies, request, ex);
        }
        finally
        {
            replies.Publish(request, "status", new JObject { ["execution_state"] = "idle" });
        }

        if (shutdown)
        {
            _log.Write($"{channel}: shutdown requested (restart={RestartRequested})");
        }

        return shutdown;
    }

    private void TryReplyWithError(IKernelChannel replies, JupyterMessage request, Exception exception)
    {
        var msgType = request.MsgType;
        if (!msgType.EndsWith("_request", StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            var error = new ErrorProduced(exception.GetType().Name, exception.Message, new[] { $"{exception.GetType().Name}: {exception.Message}" });
            replies.Reply(request, msgType[..^"_request".Length] + "_reply", IopubMapping.ErrorReply(error, _executionCount));
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
            ["implementation_version"] = JupyterKernelServer.ImplementationVersion,
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

    private void Execute(IKernelChannel replies, JupyterMessage request)
    {
        var content = request.Content;
        if (content["code"] is not JValue { Type: JTokenType.String })
        {
            // A request a real front end never sends; answer it (so a waiting client moves on) without running it.
            var invalid = new ErrorProduced("InvalidRequest", "execute_request: 'code' must be a string.", new[] { "execute_request: 'code' must be a string." });
            PublishEvent(replies, request, invalid, _executionCount);
            replies.Reply(request, "execute_reply", IopubMapping.ErrorReply(invalid, _executionCount));
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
            replies.Publish(request, "execute_input", new JObject { ["code"] = code, ["execution_count"] = count });
        }

        var outcome = new ExecutionOutcome();
        void OnEvent(KernelEvent kernelEvent)
        {
            try
            {
                outcome.Observe(kernelEvent);
                if (!silent)
                {
                    PublishEvent(replies, request, kernelEvent, count);
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
                    PublishEvent(replies, request, new StandardErrorProduced($"kernel start-up problem: {startupProblem}\n"), count);
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
                PublishEvent(replies, request, error, count);
            }
        }

        if (storeHistory)
        {
            _history.Add(count, code, outcome.ResultText);
        }

        if (error is null)
        {
            replies.Reply(request, "execute_reply", new JObject
            {
                ["status"] = "ok",
                ["execution_count"] = count,
                ["payload"] = new JArray(),
                ["user_expressions"] = new JObject(),
            });
            return;
        }

        if (stopOnError)
        {
            // Before the reply: once a client has it (and the idle after it), its next cell is not one queued behind.
            replies.SetAsideQueuedRequests();
            AbortQueuedExecutes = true;
        }

        replies.Reply(request, "execute_reply", IopubMapping.ErrorReply(error, count));
    }


    private void PublishEvent(IKernelChannel replies, JupyterMessage request, KernelEvent kernelEvent, int count)
    {
        if (IopubMapping.ToIopub(kernelEvent, count) is { } message)
        {
            replies.Publish(request, message.MsgType, message.Content);
        }
        else
        {
            _log.Write($"execute: no iopub mapping for {kernelEvent.GetType().Name}");
        }
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

    /// <summary>Interrupts the running cell, if any (engine first, then a cell still waiting for start-up).</summary>
    public void Interrupt()
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
