using System.Text;
using Workbench.Jupyter.Protocol;

namespace Workbench.Kernel.Tests.Jupyter;

public sealed class MessageSignerTests
{
    private static readonly byte[] s_header = Encoding.UTF8.GetBytes("{\"msg_id\":\"1\"}");
    private static readonly byte[] s_parent = Encoding.UTF8.GetBytes("{}");
    private static readonly byte[] s_metadata = Encoding.UTF8.GetBytes("{}");
    private static readonly byte[] s_content = Encoding.UTF8.GetBytes("{\"code\":\"1+1\"}");

    // Computed independently with Python: hmac.new(b"secret-key", header+parent+metadata+content, sha256).
    private const string KnownSignature = "f29edc2ae347e99e996cf426a9068abd72bbac08f131d7b7d863f0430600434a";

    [Fact]
    public void Sign_MatchesPythonHmac()
    {
        var signer = new MessageSigner("hmac-sha256", "secret-key");

        Assert.Equal(KnownSignature, signer.Sign(s_header, s_parent, s_metadata, s_content));
    }

    [Fact]
    public void Verify_AcceptsTheKnownSignature_InEitherCase()
    {
        var signer = new MessageSigner("hmac-sha256", "secret-key");

        Assert.True(signer.Verify(Encoding.ASCII.GetBytes(KnownSignature), s_header, s_parent, s_metadata, s_content));
        Assert.True(signer.Verify(Encoding.ASCII.GetBytes(KnownSignature.ToUpperInvariant()), s_header, s_parent, s_metadata, s_content));
    }

    [Fact]
    public void Verify_RejectsAWrongKey()
    {
        var signer = new MessageSigner("hmac-sha256", "another-key");

        Assert.False(signer.Verify(Encoding.ASCII.GetBytes(KnownSignature), s_header, s_parent, s_metadata, s_content));
    }

    [Fact]
    public void Verify_RejectsAnyChangedFrame()
    {
        var signer = new MessageSigner("hmac-sha256", "secret-key");
        var signature = Encoding.ASCII.GetBytes(KnownSignature);
        var changed = Encoding.UTF8.GetBytes("{\"code\":\"1+2\"}");

        Assert.False(signer.Verify(signature, changed, s_parent, s_metadata, s_content));
        Assert.False(signer.Verify(signature, s_header, changed, s_metadata, s_content));
        Assert.False(signer.Verify(signature, s_header, s_parent, changed, s_content));
        Assert.False(signer.Verify(signature, s_header, s_parent, s_metadata, changed));
    }

    [Fact]
    public void FramesSplitDifferently_PassTheMacButFailParsing()
    {
        // Same concatenated bytes, different split: the MAC is over the concatenation, so this is the one
        // rearrangement it cannot see; the JSON parser then rejects the parts. Document the behaviour.
        var signer = new MessageSigner("hmac-sha256", "secret-key");
        var signature = Encoding.ASCII.GetBytes(KnownSignature);
        var header = Encoding.UTF8.GetBytes("{\"msg_id\":\"1\"}{");
        var parent = Encoding.UTF8.GetBytes("}");

        Assert.True(signer.Verify(signature, header, parent, s_metadata, s_content));
        var frames = new List<byte[]> { WireCodec.Delimiter.ToArray(), signature, header, parent, s_metadata, s_content };
        Assert.Equal(DecodeStatus.Malformed, WireCodec.TryDecode(frames, signer, out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("f29edc2a")]
    [InlineData("zz9edc2ae347e99e996cf426a9068abd72bbac08f131d7b7d863f0430600434a")]
    [InlineData("f29edc2ae347e99e996cf426a9068abd72bbac08f131d7b7d863f0430600434a00")]
    public void Verify_RejectsMalformedSignatures(string signature)
    {
        var signer = new MessageSigner("hmac-sha256", "secret-key");

        Assert.False(signer.Verify(Encoding.ASCII.GetBytes(signature), s_header, s_parent, s_metadata, s_content));
    }

    [Fact]
    public void EmptyKey_DisablesSigningAndChecking()
    {
        var signer = new MessageSigner("hmac-sha256", string.Empty);

        Assert.False(signer.IsEnabled);
        Assert.Equal(string.Empty, signer.Sign(s_header, s_parent, s_metadata, s_content));
        Assert.True(signer.Verify(ReadOnlySpan<byte>.Empty, s_header, s_parent, s_metadata, s_content));
    }

    [Fact]
    public void UnknownScheme_IsRejected()
    {
        Assert.Throws<FormatException>(() => new MessageSigner("hmac-md5", "k"));
    }

    [Fact]
    public void Sha512Scheme_ProducesA128CharacterSignature()
    {
        var signer = new MessageSigner("hmac-sha512", "k");

        var signature = signer.Sign(s_header, s_parent, s_metadata, s_content);

        Assert.Equal(128, signature.Length);
        Assert.True(signer.Verify(Encoding.ASCII.GetBytes(signature), s_header, s_parent, s_metadata, s_content));
    }
}
