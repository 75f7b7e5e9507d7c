using System.Text;
using Newtonsoft.Json.Linq;
using Workbench.Interactive;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Server;

namespace Workbench.Kernel.Tests.Jupyter;

/// <summary>The server end to end over real sockets, with a scripted engine instead of the C# compiler.</summary>
public sealed class JupyterKernelServerTests : IDisposable
{
    private readonly ServerHarness _harness;
    private readonly ScriptedEngine _engine;
    private readonly ConnectionInfo _connection;
    private readonly JupyterKernelServer _server;
    private readonly Task<int> _running;
    private readonly KernelTestClient _client;
    private readonly StringWriter _logText;

    public JupyterKernelServerTests()
    {
        _harness = new ServerHarness(ready: null);
        _engine = _harness.Engine;
        _connection = _harness.Connection;
        _server = _harness.Server;
        _running = _harness.Running;
        _client = _harness.Client;
        _logText = _harness.LogText;
    }

    public void Dispose()
    {
        _harness.Dispose();
    }

    internal static JObject Execute(string code, bool silent = false, bool storeHistory = true, bool stopOnError = true)
    {
        return new JObject
        {
            ["code"] = code,
            ["silent"] = silent,
            ["store_history"] = storeHistory,
            ["user_expressions"] = new JObject(),
            ["allow_stdin"] = false,
            ["stop_on_error"] = stopOnError,
        };
    }

    [Fact]
    public void KernelInfo_RepliesWithLanguageInfo_BetweenBusyAndIdle()
    {
        var msgId = _client.Send(_client.Shell, "kernel_info_request", new JObject());
        var reply = _client.ReplyTo(_client.Shell, msgId);
        var iopub = _client.IopubUntilIdle(msgId);

        Assert.Equal("kernel_info_reply", reply.MsgType);
        Assert.Equal("5.3", (string?)reply.Content["protocol_version"]);
        Assert.Equal("mmu-workbench", (string?)reply.Content["implementation"]);
        Assert.Equal("C#", (string?)reply.Content["language_info"]!["name"]);
        Assert.Equal(".cs", (string?)reply.Content["language_info"]!["file_extension"]);
        Assert.Equal("scripted banner", (string?)reply.Content["banner"]);
        Assert.Equal(new[] { "busy", "idle" }, iopub.Select(m => (string?)m.Content["execution_state"]));
        Assert.Equal(_server.Session, (string?)reply.Header["session"]);
    }

    [Fact]
    public void Execute_MapsEveryEventToItsIopubMessage()
    {
        _engine.Script = (_, emit) =>
        {
            emit(new StandardOutputProduced("out\n"));
            emit(new StandardErrorProduced("err\n"));
            emit(new DisplayedValueProduced(new Dictionary<string, string> { ["text/plain"] = "1", ["application/json"] = "[1]" }, "disp-1"));
            emit(new DisplayedValueUpdated(new Dictionary<string, string> { ["text/plain"] = "2" }, "disp-1"));
            emit(new ClearOutputRequested(true));
            emit(new ReturnValueProduced(new Dictionary<string, string> { ["text/plain"] = "42" }));
            return true;
        };

        var msgId = _client.Send(_client.Shell, "execute_request", Execute("anything"));
        var reply = _client.ReplyTo(_client.Shell, msgId);
        var iopub = _client.IopubUntilIdle(msgId);

        Assert.Equal("ok", (string?)reply.Content["status"]);
        var count = (int)reply.Content["execution_count"]!;
        Assert.Equal(
            new[] { "status", "execute_input", "stream", "stream", "display_data", "update_display_data", "clear_output", "execute_result", "status" },
            iopub.Select(m => m.MsgType));
        Assert.Equal("anything", (string?)iopub[1].Content["code"]);
        Assert.Equal(count, (int)iopub[1].Content["execution_count"]!);
        Assert.Equal("stdout", (string?)iopub[2].Content["name"]);
        Assert.Equal("stderr", (string?)iopub[3].Content["name"]);
        Assert.Equal("disp-1", (string?)iopub[4].Content["transient"]!["display_id"]);
        Assert.Equal(JTokenType.Array, iopub[4].Content["data"]!["application/json"]!.Type);
        Assert.Equal("disp-1", (string?)iopub[5].Content["transient"]!["display_id"]);
        Assert.True((bool)iopub[6].Content["wait"]!);
        Assert.Equal(count, (int)iopub[7].Content["execution_count"]!);
        Assert.Equal(new JArray(), reply.Content["payload"]);
        Assert.Equal(new JObject(), reply.Content["user_expressions"]);
    }

    [Fact]
    public void Execute_Error_ReplyCarriesTheErrorAndIopubHasExactlyOne()
    {
        _engine.Script = (_, emit) =>
        {
            emit(new ErrorProduced("CompilationError", "CS1002: ; expected", new[] { "(1,2): error CS1002: ; expected" }));
            return false;
        };

        var msgId = _client.Send(_client.Shell, "execute_request", Execute("bad"));
        var reply = _client.ReplyTo(_client.Shell, msgId);
        var iopub = _client.IopubUntilIdle(msgId);

        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Equal("CompilationError", (string?)reply.Content["ename"]);
        Assert.Single(reply.Content["traceback"]!);
        Assert.Single(iopub, m => m.MsgType == "error");
    }

    [Fact]
    public void Execute_FailureWithoutErrorEvent_StillShowsOneError()
    {
        _engine.Script = (_, _) => false;

        var msgId = _client.Send(_client.Shell, "execute_request", Execute("x"));
        Assert.Equal("error", (string?)_client.ReplyTo(_client.Shell, msgId).Content["status"]);
        Assert.Single(_client.IopubUntilIdle(msgId), m => m.MsgType == "error");
    }

    [Fact]
    public void Execute_EngineException_BecomesAnErrorNotACrash()
    {
        _engine.Script = (_, _) => throw new InvalidOperationException("engine bug");

        var msgId = _client.Send(_client.Shell, "execute_request", Execute("x"));
        var reply = _client.ReplyTo(_client.Shell, msgId);

        Assert.Equal("InvalidOperationException", (string?)reply.Content["ename"]);
        _client.IopubUntilIdle(msgId);
        _engine.Script = (_, _) => true;
        var next = _client.Send(_client.Shell, "execute_request", Execute("y"));
        Assert.Equal("ok", (string?)_client.ReplyTo(_client.Shell, next).Content["status"]);
    }

    [Fact]
    public void Execute_EngineThrowsAfterReportingAnError_StillExactlyOneError()
    {
        _engine.Script = (_, emit) =>
        {
            emit(new ErrorProduced("E", "reported", Array.Empty<string>()));
            throw new OperationCanceledException();
        };

        var msgId = _client.Send(_client.Shell, "execute_request", Execute("x"));
        Assert.Equal("E", (string?)_client.ReplyTo(_client.Shell, msgId).Content["ename"]);
        Assert.Single(_client.IopubUntilIdle(msgId), m => m.MsgType == "error");
    }

    [Fact]
    public void ExecutionCount_CountsOnlyStoredNonSilentCells()
    {
        int CountOf(JObject request)
        {
            var id = _client.Send(_client.Shell, "execute_request", request);
            var count = (int)_client.ReplyTo(_client.Shell, id).Content["execution_count"]!;
            _client.IopubUntilIdle(id);
            return count;
        }

        var first = CountOf(Execute("a"));
        Assert.Equal(first, CountOf(Execute("b", storeHistory: false)));
        Assert.Equal(first, CountOf(Execute("c", silent: true)));
        Assert.Equal(first + 1, CountOf(Execute("d")));
    }

    [Fact]
    public void Silent_PublishesNothingButStatus()
    {
        _engine.Script = (_, emit) =>
        {
            emit(new StandardOutputProduced("hidden"));
            return true;
        };

        var msgId = _client.Send(_client.Shell, "execute_request", Execute("quiet", silent: true));
        _client.ReplyTo(_client.Shell, msgId);

        Assert.Equal(new[] { "status", "status" }, _client.IopubUntilIdle(msgId).Select(m => m.MsgType));
    }

    [Fact]
    public void StopOnError_AbortsExecutesQueuedBehindTheFailure()
    {
        _engine.Script = (code, emit) =>
        {
            if (code == "fail")
            {
                Thread.Sleep(300);
                emit(new ErrorProduced("E", "failed", Array.Empty<string>()));
                return false;
            }

            return true;
        };

        var failing = _client.Send(_client.Shell, "execute_request", Execute("fail"));
        var queued = _client.Send(_client.Shell, "execute_request", Execute("queued"));
        var info = _client.Send(_client.Shell, "kernel_info_request", new JObject());

        Assert.Equal("error", (string?)_client.ReplyTo(_client.Shell, failing).Content["status"]);
        Assert.Equal("aborted", (string?)_client.ReplyTo(_client.Shell, queued).Content["status"]);
        Assert.Equal("ok", (string?)_client.ReplyTo(_client.Shell, info).Content["status"]);
        Assert.DoesNotContain("queued", _engine.Submitted);

        var after = _client.Send(_client.Shell, "execute_request", Execute("after"));
        Assert.Equal("ok", (string?)_client.ReplyTo(_client.Shell, after).Content["status"]);
    }

    [Fact]
    public void ForgedSignature_IsNeitherAnsweredNorExecuted()
    {
        using var forger = new KernelTestClient(_connection, key: "wrong-key");
        forger.Send(forger.Shell, "execute_request", Execute("forged"));

        Assert.Null(forger.Shell.TryReceiveMultipart(700));
        Assert.DoesNotContain("forged", _engine.Submitted);
        Assert.Contains("invalid signature", _logText.ToString());
        Assert.DoesNotContain(_connection.Key, _logText.ToString());
    }

    [Fact]
    public void Interrupt_OnControl_StopsARunningCell()
    {
        // The fake only reports an interrupt it received: if interrupt_request never reached the engine, the cell
        // ends after the wait with a different error, and the assertions below fail.
        _engine.Script = (_, emit) =>
        {
            bool interrupted = _engine.InterruptRequested.Wait(TimeSpan.FromSeconds(10));
            emit(interrupted
                ? new ErrorProduced("OperationCanceledException", "interrupted", Array.Empty<string>())
                : new ErrorProduced("NeverInterrupted", "the engine's Interrupt was not called within 10 s", Array.Empty<string>()));
            return false;
        };

        var running = _client.Send(_client.Shell, "execute_request", Execute("while (true) { }"));
        Thread.Sleep(200);
        var interrupt = _client.Send(_client.Control, "interrupt_request", new JObject());

        Assert.Equal("ok", (string?)_client.ReplyTo(_client.Control, interrupt).Content["status"]);
        var reply = _client.ReplyTo(_client.Shell, running);
        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Equal("OperationCanceledException", (string?)reply.Content["ename"]);
        Assert.True(_engine.InterruptRequested.IsSet, "interrupt_request on control must call the engine's Interrupt");
    }

    [Fact]
    public void Complete_ConvertsCursorPositionsBetweenCodePointsAndUtf16()
    {
        const string code = "\"\U0001F600\".Len";
        var msgId = _client.Send(_client.Shell, "complete_request", new JObject { ["code"] = code, ["cursor_pos"] = 7 });
        var reply = _client.ReplyTo(_client.Shell, msgId);

        // 7 code points = 8 UTF-16 units (the emoji is a surrogate pair); the engine's 5..8 is 4..7 back.
        Assert.Equal(8, _engine.LastCursor);
        Assert.Equal(4, (int)reply.Content["cursor_start"]!);
        Assert.Equal(7, (int)reply.Content["cursor_end"]!);
        Assert.Equal(new JArray("Length"), reply.Content["matches"]);
    }

    [Fact]
    public void EngineFailureOutsideExecute_GivesAnErrorReplyAndIdle()
    {
        _engine.FailCompletions = true;

        var msgId = _client.Send(_client.Shell, "complete_request", new JObject { ["code"] = "x", ["cursor_pos"] = 1 });
        var reply = _client.ReplyTo(_client.Shell, msgId);

        Assert.Equal("complete_reply", reply.MsgType);
        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Equal("completion service broke", (string?)reply.Content["evalue"]);
        Assert.Equal("idle", (string?)_client.IopubUntilIdle(msgId)[^1].Content["execution_state"]);
    }

    [Fact]
    public void IsCompleteInspectHistoryAndComms_AreAnswered()
    {
        var isComplete = _client.Send(_client.Shell, "is_complete_request", new JObject { ["code"] = "if (x) {" });
        var isCompleteReply = _client.ReplyTo(_client.Shell, isComplete);
        Assert.Equal("incomplete", (string?)isCompleteReply.Content["status"]);
        Assert.Equal("    ", (string?)isCompleteReply.Content["indent"]);

        var inspect = _client.Send(_client.Shell, "inspect_request", new JObject { ["code"] = "Console", ["cursor_pos"] = 3, ["detail_level"] = 0 });
        var inspectReply = _client.ReplyTo(_client.Shell, inspect);
        Assert.True((bool)inspectReply.Content["found"]!);
        Assert.Equal("class System.Console", (string?)inspectReply.Content["data"]!["text/plain"]);

        var run = _client.Send(_client.Shell, "execute_request", Execute("6 * 7"));
        _client.ReplyTo(_client.Shell, run);
        var history = _client.Send(_client.Shell, "history_request", new JObject { ["hist_access_type"] = "tail", ["n"] = 1, ["output"] = true, ["raw"] = true });
        var row = (JArray)_client.ReplyTo(_client.Shell, history).Content["history"]![0]!;
        Assert.Equal("6 * 7", (string?)row[2]![0]);

        var comms = _client.Send(_client.Shell, "comm_info_request", new JObject());
        Assert.Equal(new JObject(), _client.ReplyTo(_client.Shell, comms).Content["comms"]);
    }

    [Fact]
    public void UnknownAndMalformedMessages_LeaveTheKernelServing()
    {
        _client.Send(_client.Shell, "bogus_request", new JObject());
        _client.Shell.SendMultipart(new List<byte[]> { Encoding.UTF8.GetBytes("garbage") });
        var json = new[] { "{}", "{}", "{}", "[]" }.Select(Encoding.UTF8.GetBytes).ToArray();
        var signature = Encoding.ASCII.GetBytes(_client.Signer.Sign(json[0], json[1], json[2], json[3]));
        _client.Shell.SendMultipart(new List<byte[]> { WireCodec.Delimiter.ToArray(), signature, json[0], json[1], json[2], json[3] });

        var info = _client.Send(_client.Shell, "kernel_info_request", new JObject());
        Assert.Equal("kernel_info_reply", _client.ReplyTo(_client.Shell, info).MsgType);
        Assert.Contains("malformed", _logText.ToString());
        Assert.Contains("bogus_request", _logText.ToString());
    }

    [Fact]
    public void Heartbeat_EchoesBytes()
    {
        _client.Heartbeat.SendMultipart(new List<byte[]> { Encoding.ASCII.GetBytes("ping") });

        Assert.Equal("ping", Encoding.ASCII.GetString(_client.Heartbeat.TryReceiveMultipart(5000)!.Single()));
    }

    [Fact]
    public async Task Shutdown_RepliesEchoingRestart_ThenRunReturns()
    {
        var msgId = _client.Send(_client.Control, "shutdown_request", new JObject { ["restart"] = true });
        var reply = _client.ReplyTo(_client.Control, msgId);

        Assert.Equal("ok", (string?)reply.Content["status"]);
        Assert.True((bool)reply.Content["restart"]!);
        Assert.Equal(0, await _running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(_server.RestartRequested);
    }

    internal sealed class ScriptedEngine : IKernelEngine
    {
        private readonly List<string> _submitted = new();

        public Func<string, Action<KernelEvent>, bool> Script { get; set; } = (_, _) => true;

        public ManualResetEventSlim InterruptRequested { get; } = new();

        public int LastCursor { get; private set; } = -1;

        public IReadOnlyList<string> Submitted
        {
            get
            {
                lock (_submitted)
                {
                    return _submitted.ToList();
                }
            }
        }

        public KernelLanguageInfo LanguageInfo { get; } = new("C#", "14.0", "text/x-csharp", ".cs", "csharp", "text/x-csharp", "csharp");

        public string Banner => "scripted banner";

        public Task<SubmissionResult> SubmitCodeAsync(string code, Action<KernelEvent> onEvent, CancellationToken cancellationToken)
        {
            lock (_submitted)
            {
                _submitted.Add(code);
            }

            return Task.FromResult(new SubmissionResult(Script(code, onEvent)));
        }

        public bool FailCompletions { get; set; }

        public Task<CompletionResult> GetCompletionsAsync(string code, int cursor)
        {
            if (FailCompletions)
            {
                throw new InvalidOperationException("completion service broke");
            }

            LastCursor = cursor;
            return Task.FromResult(new CompletionResult(new[] { "Length" }, cursor - 3, cursor));
        }

        public Task<InspectionResult> InspectAsync(string code, int cursor, int detailLevel)
        {
            return Task.FromResult(new InspectionResult(true, new Dictionary<string, string> { ["text/plain"] = "class System.Console" }));
        }

        public IsCompleteResult IsComplete(string code)
        {
            return code.TrimEnd().EndsWith('{') ? new IsCompleteResult("incomplete", "    ") : new IsCompleteResult("complete", null);
        }

        public void Interrupt()
        {
            InterruptRequested.Set();
        }
    }
}

/// <summary>A server on fresh loopback ports with a scripted engine, and a connected client.</summary>
internal sealed class ServerHarness : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public ServerHarness(Task? ready)
    {
        Server = new JupyterKernelServer(Connection, Engine, ready, new KernelLog(TextWriter.Synchronized(LogText)));
        Running = Task.Factory.StartNew(() => Server.Run(_stop.Token), TaskCreationOptions.LongRunning);
        Client = new KernelTestClient(Connection);
        Client.WaitForReady();
    }

    public JupyterKernelServerTests.ScriptedEngine Engine { get; } = new();

    public ConnectionInfo Connection { get; } = KernelTestClient.FreshConnection();

    public StringWriter LogText { get; } = new();

    public JupyterKernelServer Server { get; }

    public Task<int> Running { get; }

    public KernelTestClient Client { get; }

    public void Dispose()
    {
        _stop.Cancel();
        Running.Wait(TimeSpan.FromSeconds(10));
        Client.Dispose();
    }
}

/// <summary>The server when start-up (an extension) failed: it keeps serving and tells the first cell once.</summary>
public sealed class JupyterKernelServerFailedStartUpTests : IDisposable
{
    private readonly ServerHarness _harness = new(Task.FromException(new InvalidOperationException("extension X.dll did not load")));

    public void Dispose()
    {
        _harness.Dispose();
    }

    [Fact]
    public void FirstCell_ShowsTheStartUpProblemOnStderr_LaterCellsDoNot()
    {
        var client = _harness.Client;
        var first = client.Send(client.Shell, "execute_request", JupyterKernelServerTests.Execute("1"));
        Assert.Equal("ok", (string?)client.ReplyTo(client.Shell, first).Content["status"]);
        var streams = client.IopubUntilIdle(first).Where(m => m.MsgType == "stream").ToList();
        Assert.Single(streams);
        Assert.Equal("stderr", (string?)streams[0].Content["name"]);
        Assert.Contains("extension X.dll did not load", (string?)streams[0].Content["text"]);

        var second = client.Send(client.Shell, "execute_request", JupyterKernelServerTests.Execute("2"));
        client.ReplyTo(client.Shell, second);
        Assert.DoesNotContain(client.IopubUntilIdle(second), m => m.MsgType == "stream");
        Assert.Equal(new[] { "1", "2" }, _harness.Engine.Submitted);
    }
}

/// <summary>The server while the engine is still warming up (its readiness task never completes here).</summary>
public sealed class JupyterKernelServerWarmUpTests : IDisposable
{
    private readonly TaskCompletionSource _neverReady = new();
    private readonly ServerHarness _harness;

    public JupyterKernelServerWarmUpTests()
    {
        _harness = new ServerHarness(_neverReady.Task);
    }

    public void Dispose()
    {
        _harness.Dispose();
    }

    [Fact]
    public void KernelInfo_IsAnsweredBeforeTheEngineIsReady()
    {
        var client = _harness.Client;
        var msgId = client.Send(client.Shell, "kernel_info_request", new JObject());

        Assert.Equal("ok", (string?)client.ReplyTo(client.Shell, msgId, 2000).Content["status"]);
    }

    [Fact]
    public void InterruptWhileWaitingForWarmUp_CancelsTheCell()
    {
        var client = _harness.Client;
        var waiting = client.Send(client.Shell, "execute_request", JupyterKernelServerTests.Execute("1"));
        Thread.Sleep(200);
        var interrupt = client.Send(client.Control, "interrupt_request", new JObject());

        Assert.Equal("ok", (string?)client.ReplyTo(client.Control, interrupt).Content["status"]);
        var reply = client.ReplyTo(client.Shell, waiting);
        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Equal("OperationCanceledException", (string?)reply.Content["ename"]);
        Assert.Empty(_harness.Engine.Submitted);
    }
}
