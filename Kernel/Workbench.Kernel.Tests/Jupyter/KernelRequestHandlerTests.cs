using Newtonsoft.Json.Linq;
using Workbench.Interactive;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Server;

namespace Workbench.Kernel.Tests.Jupyter;

/// <summary>The request handlers without ZeroMQ: requests in, replies and iopub messages recorded in order.</summary>
public sealed class KernelRequestHandlerTests
{
    private readonly JupyterKernelServerTests.ScriptedEngine _engine = new();
    private readonly KernelRequestHandler _handler;
    private readonly RecordingChannel _channel = new();
    private readonly MessageFactory _client = new();

    public KernelRequestHandlerTests()
    {
        _handler = new KernelRequestHandler(_engine, Task.CompletedTask, new KernelLog(TextWriter.Null));
    }

    [Fact]
    public void Kernel_info_is_busy_reply_idle()
    {
        JupyterMessage request = Request("kernel_info_request", new JObject());
        Assert.False(_handler.Handle(_channel, "shell", request, abortExecutes: false));

        Assert.Equal(new[] { "status:busy", "reply:kernel_info_reply", "status:idle" }, _channel.Kinds);
        JObject reply = _channel.Replies.Single().Content;
        Assert.Equal("C#", (string?)reply["language_info"]!["name"]);
        Assert.Equal("scripted banner", (string?)reply["banner"]);
    }

    [Fact]
    public void Execute_publishes_input_events_and_result_then_replies_with_the_count()
    {
        _engine.Script = (_, emit) =>
        {
            emit(new StandardOutputProduced("hi\n"));
            emit(new ReturnValueProduced(new Dictionary<string, string> { ["text/plain"] = "2" }));
            return true;
        };

        _handler.Handle(_channel, "shell", Request("execute_request", Execute("1 + 1")), abortExecutes: false);

        Assert.Equal(new[] { "status:busy", "iopub:execute_input", "iopub:stream", "iopub:execute_result", "reply:execute_reply", "status:idle" }, _channel.Kinds);
        Assert.Equal("ok", (string?)_channel.Replies.Single().Content["status"]);
        Assert.Equal(1, (int)_channel.Replies.Single().Content["execution_count"]!);
        Assert.Equal(new[] { "1 + 1" }, _engine.Submitted);
    }

    [Fact]
    public void A_failed_cell_with_stop_on_error_aborts_the_queued_executes()
    {
        _engine.Script = (_, emit) =>
        {
            emit(new ErrorProduced("Boom", "failed", new[] { "Boom: failed" }));
            return false;
        };

        _handler.Handle(_channel, "shell", Request("execute_request", Execute("fail()")), abortExecutes: false);
        Assert.True(_handler.AbortQueuedExecutes);
        Assert.Equal("Boom", (string?)_channel.Replies.Single().Content["ename"]);

        // The queue is set aside before the error reply goes out: once a client has that reply, the next cell it sends
        // is not one queued behind the failed cell (read after the reply, such a cell was sometimes aborted in CI).
        Assert.Equal(new[] { "set-aside", "reply:execute_reply", "status:idle" }, _channel.Kinds.TakeLast(3));

        _channel.Clear();
        _handler.Handle(_channel, "shell", Request("execute_request", Execute("queued()")), abortExecutes: true);
        Assert.Equal("aborted", (string?)_channel.Replies.Single().Content["status"]);
        Assert.Equal(new[] { "fail()" }, _engine.Submitted);
    }

    [Fact]
    public void Interrupt_on_control_reaches_the_running_cell()
    {
        _engine.Script = (_, emit) =>
        {
            bool interrupted = _engine.InterruptRequested.Wait(TimeSpan.FromSeconds(10));
            emit(new ErrorProduced(interrupted ? "OperationCanceledException" : "NeverInterrupted", "stopped", Array.Empty<string>()));
            return false;
        };

        var shell = new RecordingChannel();
        Task running = Task.Run(() => _handler.Handle(shell, "shell", Request("execute_request", Execute("while (true) { }")), abortExecutes: false));
        Thread.Sleep(100);
        _handler.Handle(_channel, "control", Request("interrupt_request", new JObject()), abortExecutes: false);

        Assert.True(running.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal("ok", (string?)_channel.Replies.Single().Content["status"]);
        Assert.Equal("OperationCanceledException", (string?)shell.Replies.Single().Content["ename"]);
    }

    [Fact]
    public void Shutdown_returns_true_and_remembers_restart()
    {
        Assert.True(_handler.Handle(_channel, "control", Request("shutdown_request", new JObject { ["restart"] = true }), abortExecutes: false));
        Assert.True(_handler.RestartRequested);
        Assert.Equal("shutdown_reply", _channel.Replies.Single().MsgType);
    }

    [Fact]
    public void A_request_whose_handler_throws_still_gets_an_error_reply_and_idle()
    {
        _engine.FailCompletions = true;
        _handler.Handle(_channel, "shell", Request("complete_request", new JObject { ["code"] = "Console.", ["cursor_pos"] = 8 }), abortExecutes: false);

        Assert.Equal(new[] { "status:busy", "reply:complete_reply", "status:idle" }, _channel.Kinds);
        Assert.Equal("error", (string?)_channel.Replies.Single().Content["status"]);
    }

    private JupyterMessage Request(string msgType, JObject content) =>
        new(Array.Empty<byte[]>(), _client.CreateHeader(msgType), new JObject(), new JObject(), content, Array.Empty<byte[]>());

    private static JObject Execute(string code) => new() { ["code"] = code, ["silent"] = false, ["store_history"] = true, ["stop_on_error"] = true };

    private sealed class RecordingChannel : IKernelChannel
    {
        private readonly List<(string Kind, string MsgType, JObject Content)> _messages = new();

        public IReadOnlyList<string> Kinds
        {
            get
            {
                lock (_messages)
                {
                    return _messages.Select(m => m.Kind == "iopub" && m.MsgType == "status" ? "status:" + m.Content["execution_state"]
                        : m.Kind == "set-aside" ? m.Kind : m.Kind + ":" + m.MsgType).ToList();
                }
            }
        }

        public IReadOnlyList<(string MsgType, JObject Content)> Replies
        {
            get
            {
                lock (_messages)
                {
                    return _messages.Where(m => m.Kind == "reply").Select(m => (m.MsgType, m.Content)).ToList();
                }
            }
        }

        public void Clear()
        {
            lock (_messages)
            {
                _messages.Clear();
            }
        }

        public void Reply(JupyterMessage request, string msgType, JObject content)
        {
            lock (_messages)
            {
                _messages.Add(("reply", msgType, content));
            }
        }

        public void Publish(JupyterMessage? parent, string msgType, JObject content)
        {
            lock (_messages)
            {
                _messages.Add(("iopub", msgType, content));
            }
        }

        public void SetAsideQueuedRequests()
        {
            lock (_messages)
            {
                _messages.Add(("set-aside", "", new JObject()));
            }
        }
    }
}
