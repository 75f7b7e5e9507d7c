using System.Text;
using Newtonsoft.Json.Linq;
using Workbench.Jupyter.Protocol;

namespace Workbench.Kernel.Tests.Jupyter;

public sealed class WireCodecTests
{
    private static readonly MessageSigner s_signer = new("hmac-sha256", "test-key");

    private static List<byte[]> Frames(params string[] parts)
    {
        return parts.Select(p => Encoding.UTF8.GetBytes(p)).ToList();
    }

    private static List<byte[]> SignedFrames(string[] identities, string header, string parent, string metadata, string content)
    {
        var frames = Frames(identities);
        var json = Frames(header, parent, metadata, content);
        frames.Add(WireCodec.Delimiter.ToArray());
        frames.Add(Encoding.ASCII.GetBytes(s_signer.Sign(json[0], json[1], json[2], json[3])));
        frames.AddRange(json);
        return frames;
    }

    [Fact]
    public void Encode_ThenDecode_RoundTripsEveryPart()
    {
        var factory = new MessageFactory("session-1", "tester");
        var message = new JupyterMessage(
            new[] { new byte[] { 1, 2, 3 }, new byte[] { 0 } },
            factory.CreateHeader("execute_request"),
            new JObject { ["msg_id"] = "parent" },
            new JObject { ["m"] = 1 },
            new JObject { ["code"] = "Console.WriteLine(\"é😀\");" },
            new[] { new byte[] { 9, 9 } });

        var frames = WireCodec.Encode(message, s_signer);
        var status = WireCodec.TryDecode(frames, s_signer, out var decoded, out var problem);

        Assert.Equal(DecodeStatus.Ok, status);
        Assert.Null(problem);
        Assert.Equal(message.Identities, decoded!.Identities);
        Assert.Equal(message.Header.ToString(), decoded.Header.ToString());
        Assert.Equal("parent", (string?)decoded.ParentHeader["msg_id"]);
        Assert.Equal(1, (int)decoded.Metadata["m"]!);
        Assert.Equal("Console.WriteLine(\"é😀\");", (string?)decoded.Content["code"]);
        Assert.Equal(new[] { new byte[] { 9, 9 } }, decoded.Buffers);
        Assert.Equal("execute_request", decoded.MsgType);
    }

    [Fact]
    public void Encode_LaysOutFramesInWireOrder()
    {
        var message = new JupyterMessage(
            new[] { Encoding.UTF8.GetBytes("peer") },
            new JObject { ["msg_type"] = "x" },
            new JObject(),
            new JObject(),
            new JObject { ["a"] = 1 });

        var frames = WireCodec.Encode(message, s_signer);

        Assert.Equal(7, frames.Count);
        Assert.Equal("peer", Encoding.UTF8.GetString(frames[0]));
        Assert.Equal("<IDS|MSG>", Encoding.UTF8.GetString(frames[1]));
        Assert.Equal(s_signer.Sign(frames[3], frames[4], frames[5], frames[6]), Encoding.ASCII.GetString(frames[2]));
        Assert.Equal("{\"msg_type\":\"x\"}", Encoding.UTF8.GetString(frames[3]));
        Assert.Equal("{}", Encoding.UTF8.GetString(frames[4]));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(frames[6]));
    }

    [Fact]
    public void Decode_VerifiesTheReceivedBytes_NotAReserialization()
    {
        // Whitespace and key order that Newtonsoft would not reproduce: only a check over the raw bytes passes.
        var frames = SignedFrames(new[] { "id" }, "{ \"msg_type\" : \"kernel_info_request\", \"msg_id\":\"m1\" }", "{}", "{}", "{ }");

        Assert.Equal(DecodeStatus.Ok, WireCodec.TryDecode(frames, s_signer, out var decoded, out _));
        Assert.Equal("m1", decoded!.MsgId);
    }

    [Fact]
    public void Decode_KeepsDatesAsTheOriginalStrings()
    {
        const string date = "2026-01-01T12:00:00.123456Z";
        var frames = SignedFrames(Array.Empty<string>(), $"{{\"date\":\"{date}\"}}", "{}", "{}", "{}");

        Assert.Equal(DecodeStatus.Ok, WireCodec.TryDecode(frames, s_signer, out var decoded, out _));
        Assert.Equal(JTokenType.String, decoded!.Header["date"]!.Type);
        Assert.Contains(date, Encoding.UTF8.GetString(WireCodec.Serialize(decoded.Header)));
    }

    [Fact]
    public void Decode_TamperedContent_IsBadSignature()
    {
        var frames = SignedFrames(new[] { "id" }, "{\"msg_type\":\"execute_request\"}", "{}", "{}", "{\"code\":\"1\"}");
        frames[^1] = Encoding.UTF8.GetBytes("{\"code\":\"2\"}");

        Assert.Equal(DecodeStatus.BadSignature, WireCodec.TryDecode(frames, s_signer, out var decoded, out var problem));
        Assert.Null(decoded);
        Assert.NotNull(problem);
    }

    [Fact]
    public void Decode_MissingSignature_IsBadSignature()
    {
        var frames = SignedFrames(new[] { "id" }, "{}", "{}", "{}", "{}");
        frames[2] = Array.Empty<byte>();

        Assert.Equal(DecodeStatus.BadSignature, WireCodec.TryDecode(frames, s_signer, out _, out var problem));
        Assert.Equal("missing signature", problem);
    }

    [Fact]
    public void Decode_WithoutKey_AcceptsUnsignedMessages()
    {
        var unsigned = new MessageSigner("hmac-sha256", string.Empty);
        var frames = Frames("<IDS|MSG>", string.Empty, "{\"msg_type\":\"a\"}", "{}", "{}", "{}");

        Assert.Equal(DecodeStatus.Ok, WireCodec.TryDecode(frames, unsigned, out var decoded, out _));
        Assert.Empty(decoded!.Identities);
    }

    [Fact]
    public void Decode_NoDelimiter_IsMalformed()
    {
        Assert.Equal(DecodeStatus.Malformed, WireCodec.TryDecode(Frames("a", "b", "c", "d", "e", "f"), s_signer, out _, out _));
    }

    [Fact]
    public void Decode_TooFewFrames_IsRejected()
    {
        Assert.NotEqual(DecodeStatus.Ok, WireCodec.TryDecode(Frames("<IDS|MSG>", "sig", "{}"), s_signer, out _, out _));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{not json")]
    [InlineData("{} {}")]
    [InlineData("42")]
    [InlineData("")]
    public void Decode_NonObjectJson_IsMalformed(string content)
    {
        var frames = SignedFrames(new[] { "id" }, "{}", "{}", "{}", content);

        Assert.Equal(DecodeStatus.Malformed, WireCodec.TryDecode(frames, s_signer, out var decoded, out var problem));
        Assert.Null(decoded);
        Assert.StartsWith("content", problem);
    }

    [Fact]
    public void Decode_CollectsBuffersAfterContent()
    {
        var frames = SignedFrames(Array.Empty<string>(), "{}", "{}", "{}", "{}");
        frames.Add(new byte[] { 1 });
        frames.Add(new byte[] { 2, 3 });

        Assert.Equal(DecodeStatus.Ok, WireCodec.TryDecode(frames, s_signer, out var decoded, out _));
        Assert.Equal(2, decoded!.Buffers.Count);
    }
}
