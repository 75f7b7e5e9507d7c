using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Server;

namespace Workbench.Kernel.Tests.Jupyter;

public sealed class MessageFactoryTests
{
    [Fact]
    public void CreateHeader_HasTheSixRequiredKeys()
    {
        var factory = new MessageFactory("s1", "alice");

        var header = factory.CreateHeader("status");

        Assert.Equal(
            new[] { "date", "msg_id", "msg_type", "session", "username", "version" },
            header.Properties().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal("s1", (string?)header["session"]);
        Assert.Equal("alice", (string?)header["username"]);
        Assert.Equal("status", (string?)header["msg_type"]);
        Assert.Equal("5.3", (string?)header["version"]);
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"), (string)header["date"]!);
    }

    [Fact]
    public void CreateHeader_UsesAFreshMessageIdEachTime()
    {
        var factory = new MessageFactory();
        var ids = Enumerable.Range(0, 100).Select(_ => (string)factory.CreateHeader("x")["msg_id"]!).ToHashSet();

        Assert.Equal(100, ids.Count);
    }

    [Fact]
    public void Sessions_DifferPerFactory()
    {
        Assert.NotEqual(new MessageFactory().Session, new MessageFactory().Session);
    }

    [Fact]
    public void CreateReply_EchoesIdentitiesAndParentHeader()
    {
        var factory = new MessageFactory();
        var requestHeader = new JObject { ["msg_id"] = "req-1", ["msg_type"] = "kernel_info_request" };
        var identities = new[] { new byte[] { 7, 7 } };
        var request = new JupyterMessage(identities, requestHeader, new JObject(), new JObject(), new JObject());

        var reply = factory.CreateReply(request, "kernel_info_reply", new JObject { ["status"] = "ok" });

        Assert.Same(identities, reply.Identities);
        Assert.Equal("req-1", (string?)reply.ParentHeader["msg_id"]);
        Assert.Equal("kernel_info_reply", reply.MsgType);
    }

    [Fact]
    public void CreateBroadcast_WithoutParent_HasEmptyParentHeaderAndATopic()
    {
        var factory = new MessageFactory("abc");

        var message = factory.CreateBroadcast(null, "status", new JObject { ["execution_state"] = "starting" });

        Assert.Empty(message.ParentHeader.Properties());
        Assert.Equal("kernel.abc.status", System.Text.Encoding.UTF8.GetString(message.Identities.Single()));
    }

    [Fact]
    public void FormatDate_IsUtcWithMicroseconds()
    {
        var date = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234560);

        Assert.Equal("2026-01-02T03:04:05.123456Z", MessageFactory.FormatDate(date));
    }
}

public sealed class CodePointsTests
{
    private const string Emoji = "\U0001F600";

    [Theory]
    [InlineData("abc", 2, 2)]
    [InlineData("abc", 10, 3)]
    [InlineData("abc", -1, 0)]
    [InlineData("a" + Emoji + "b", 2, 3)]
    [InlineData(Emoji + Emoji + "x", 2, 4)]
    [InlineData(Emoji + Emoji + "x", 3, 5)]
    public void ToUtf16Index_SkipsSurrogatePairsAsOneCodePoint(string text, int codePoints, int expected)
    {
        Assert.Equal(expected, CodePoints.ToUtf16Index(text, codePoints));
    }

    [Theory]
    [InlineData("abc", 2, 2)]
    [InlineData("a" + Emoji + "b", 3, 2)]
    [InlineData("a" + Emoji + "b", 4, 3)]
    [InlineData(Emoji + Emoji + "x", 5, 3)]
    [InlineData("abc", 99, 3)]
    public void FromUtf16Index_CountsCodePoints(string text, int utf16, int expected)
    {
        Assert.Equal(expected, CodePoints.FromUtf16Index(text, utf16));
    }

    [Fact]
    public void RoundTrip_HoldsAtEveryCodePointBoundary()
    {
        var text = "x" + Emoji + "é" + Emoji + "yz";
        for (var i = 0; i <= CodePoints.Length(text); i++)
        {
            Assert.Equal(i, CodePoints.FromUtf16Index(text, CodePoints.ToUtf16Index(text, i)));
        }

        Assert.Equal(6, CodePoints.Length(text));
    }
}

public sealed class ConnectionInfoTests
{
    private const string Sample = """
        {"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005,
         "ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84", "transport": "tcp",
         "signature_scheme": "hmac-sha256", "kernel_name": "mmu-workbench"}
        """;

    [Fact]
    public void Parse_ReadsEveryField()
    {
        var info = ConnectionInfo.Parse(Sample);

        Assert.Equal(new ConnectionInfo("tcp", "127.0.0.1", 5001, 5002, 5003, 5004, 5005, "hmac-sha256", "a0436f6c-1916-498b-8eb9-e81ab9368e84"), info);
        Assert.Equal("tcp://127.0.0.1:5004", info.Endpoint(info.ControlPort));
    }

    [Fact]
    public void Endpoint_ForIpc_UsesJupyterClientNaming()
    {
        var info = ConnectionInfo.Parse(Sample.Replace("\"tcp\"", "\"ipc\"").Replace("127.0.0.1", "/tmp/kernel-1"));

        Assert.Equal("ipc:///tmp/kernel-1-5001", info.Endpoint(info.ShellPort));
    }

    [Fact]
    public void ToString_NeverContainsTheKey()
    {
        var text = ConnectionInfo.Parse(Sample).ToString();

        Assert.DoesNotContain("a0436f6c", text);
        Assert.Contains("signed=yes", text);
    }

    [Theory]
    [InlineData("not json", "not a JSON object")]
    [InlineData("{\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", "shell_port")]
    [InlineData("{\"shell_port\":70000,\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", "shell_port")]
    [InlineData("{\"shell_port\":\"1\",\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", "shell_port")]
    [InlineData("{\"transport\":\"udp\",\"shell_port\":1,\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", "transport")]
    [InlineData("{\"key\":5,\"shell_port\":1,\"iopub_port\":1,\"stdin_port\":1,\"control_port\":1,\"hb_port\":1}", "key")]
    public void Parse_RejectsBadFiles_NamingTheField(string json, string expectedInMessage)
    {
        var ex = Assert.Throws<FormatException>(() => ConnectionInfo.Parse(json));

        Assert.Contains(expectedInMessage, ex.Message);
    }

    [Fact]
    public void Parse_DefaultsToLoopbackTcpWithoutKey()
    {
        var info = ConnectionInfo.Parse("{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5}");

        Assert.Equal("tcp://127.0.0.1:1", info.Endpoint(info.ShellPort));
        Assert.Equal(string.Empty, info.Key);
        Assert.Equal("hmac-sha256", info.SignatureScheme);
    }
}

public sealed class MimeBundleTests
{
    [Fact]
    public void JsonMimeTypes_BecomeJsonValues_OthersStayText()
    {
        var bundle = MimeBundle.From(new Dictionary<string, string>
        {
            ["text/plain"] = "{\"a\":1}",
            ["application/json"] = "{\"a\":1}",
            ["application/vnd.plotly.v1+json"] = "{\"data\":[],\"layout\":{}}",
            ["text/html"] = "<b>x</b>",
        });

        Assert.Equal(JTokenType.String, bundle["text/plain"]!.Type);
        Assert.Equal(1, (int)bundle["application/json"]!["a"]!);
        Assert.Equal(JTokenType.Array, bundle["application/vnd.plotly.v1+json"]!["data"]!.Type);
        Assert.Equal("<b>x</b>", (string?)bundle["text/html"]);
    }

    [Fact]
    public void InvalidJson_IsKeptAsText()
    {
        var bundle = MimeBundle.From(new Dictionary<string, string> { ["application/json"] = "{oops" });

        Assert.Equal("{oops", (string?)bundle["application/json"]);
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/geo+json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("text/plain", false)]
    [InlineData("application/javascript", false)]
    public void IsJson_RecognisesJsonMimeTypes(string mimeType, bool expected)
    {
        Assert.Equal(expected, MimeBundle.IsJson(mimeType));
    }
}

public sealed class ExecutionHistoryTests
{
    private static ExecutionHistory Sample()
    {
        var history = new ExecutionHistory();
        history.Add(1, "var x = 1;", null);
        history.Add(2, "x + 1", "2");
        history.Add(3, "6 * 7", "42");
        history.Add(4, "x + 1", "2");
        history.Add(5, "Console.WriteLine(x);", null);
        return history;
    }

    [Fact]
    public void Tail_ReturnsTheLastEntriesOldestFirst()
    {
        Assert.Equal(new[] { 4, 5 }, Sample().Tail(2).Select(e => e.Line));
        Assert.Equal(5, Sample().Tail(100).Count);
        Assert.Empty(Sample().Tail(0));
    }

    [Fact]
    public void Range_IsStartInclusiveStopExclusive_InTheCurrentSession()
    {
        Assert.Equal(new[] { 2, 3 }, Sample().Range(0, 2, 4).Select(e => e.Line));
        Assert.Equal(new[] { 3, 4, 5 }, Sample().Range(ExecutionHistory.CurrentSession, 3, null).Select(e => e.Line));
        Assert.Empty(Sample().Range(7, 1, null));
    }

    [Fact]
    public void Search_MatchesTheWholeInputAsAGlob()
    {
        Assert.Equal(new[] { 2, 4 }, Sample().Search("x + ?", null, unique: false).Select(e => e.Line));
        Assert.Equal(new[] { 3 }, Sample().Search("6*7", null, unique: false).Select(e => e.Line));
        Assert.Empty(Sample().Search("x", null, unique: false));
        Assert.Equal(5, Sample().Search("*", null, unique: false).Count);
    }

    [Fact]
    public void Search_UniqueKeepsTheLatestOfEachInput()
    {
        Assert.Equal(new[] { 1, 3, 4, 5 }, Sample().Search("*", null, unique: true).Select(e => e.Line));
    }

    [Fact]
    public void Search_NKeepsTheLatestMatches()
    {
        Assert.Equal(new[] { 4, 5 }, Sample().Search("*", 2, unique: false).Select(e => e.Line));
    }

    [Fact]
    public void Search_CharacterClassesAndLiteralRegexCharacters()
    {
        var history = new ExecutionHistory();
        history.Add(1, "a.b(c)", null);
        history.Add(2, "axb(c)", null);
        history.Add(3, "v1", null);
        history.Add(4, "v7", null);

        Assert.Equal(new[] { 1 }, history.Search("a.b(c)", null, false).Select(e => e.Line));
        Assert.Equal(new[] { 3 }, history.Search("v[0-5]", null, false).Select(e => e.Line));
        Assert.Equal(new[] { 4 }, history.Search("v[!0-5]", null, false).Select(e => e.Line));
    }

    [Fact]
    public void Capacity_DropsTheOldestEntries()
    {
        var history = new ExecutionHistory(capacity: 3);
        for (var i = 1; i <= 10; i++)
        {
            history.Add(i, $"cell {i}", null);
        }

        Assert.Equal(new[] { 8, 9, 10 }, history.Tail(10).Select(e => e.Line));
    }
}
