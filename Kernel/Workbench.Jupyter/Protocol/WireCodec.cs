using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Workbench.Jupyter.Protocol;

/// <summary>Outcome of decoding received frames.</summary>
public enum DecodeStatus
{
    /// <summary>A well-formed message with a valid signature.</summary>
    Ok,

    /// <summary>No delimiter, too few frames, or a JSON part that is not an object.</summary>
    Malformed,

    /// <summary>The signature is missing or does not match: the message must be dropped unread.</summary>
    BadSignature,
}

/// <summary>
/// Wire format 5.x: <c>[identities..., "&lt;IDS|MSG&gt;", signature, header, parent_header, metadata, content, buffers...]</c>.
/// </summary>
public static class WireCodec
{
    /// <summary>The delimiter frame between routing identities and the message.</summary>
    public static ReadOnlySpan<byte> Delimiter => "<IDS|MSG>"u8;

    private static readonly byte[] DelimiterFrame = Delimiter.ToArray();

    /// <summary>
    /// Decodes received frames. The signature is checked over the exact received bytes before any JSON is
    /// parsed, so a forged message is never interpreted.
    /// </summary>
    public static DecodeStatus TryDecode(
        IReadOnlyList<byte[]> frames,
        MessageSigner signer,
        out JupyterMessage? message,
        out string? problem)
    {
        message = null;
        var delimiterIndex = -1;
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i].AsSpan().SequenceEqual(Delimiter))
            {
                delimiterIndex = i;
                break;
            }
        }

        if (delimiterIndex < 0)
        {
            problem = "no <IDS|MSG> delimiter";
            return DecodeStatus.Malformed;
        }

        if (frames.Count - delimiterIndex - 1 < 5)
        {
            problem = $"expected signature and four JSON frames after the delimiter, got {frames.Count - delimiterIndex - 1} frames";
            return signer.IsEnabled ? DecodeStatus.BadSignature : DecodeStatus.Malformed;
        }

        var signature = frames[delimiterIndex + 1];
        var headerBytes = frames[delimiterIndex + 2];
        var parentBytes = frames[delimiterIndex + 3];
        var metadataBytes = frames[delimiterIndex + 4];
        var contentBytes = frames[delimiterIndex + 5];
        if (!signer.Verify(signature, headerBytes, parentBytes, metadataBytes, contentBytes))
        {
            problem = signature.Length == 0 ? "missing signature" : "signature does not match";
            return DecodeStatus.BadSignature;
        }

        if (!TryParseObject(headerBytes, out var header, out problem, "header") ||
            !TryParseObject(parentBytes, out var parent, out problem, "parent_header") ||
            !TryParseObject(metadataBytes, out var metadata, out problem, "metadata") ||
            !TryParseObject(contentBytes, out var content, out problem, "content"))
        {
            return DecodeStatus.Malformed;
        }

        var identities = new List<byte[]>(delimiterIndex);
        for (var i = 0; i < delimiterIndex; i++)
        {
            identities.Add(frames[i]);
        }

        var buffers = new List<byte[]>();
        for (var i = delimiterIndex + 6; i < frames.Count; i++)
        {
            buffers.Add(frames[i]);
        }

        message = new JupyterMessage(identities, header!, parent!, metadata!, content!, buffers);
        problem = null;
        return DecodeStatus.Ok;
    }

    /// <summary>Encodes a message into frames, signing the serialized JSON parts.</summary>
    public static List<byte[]> Encode(JupyterMessage message, MessageSigner signer)
    {
        var header = Serialize(message.Header);
        var parent = Serialize(message.ParentHeader);
        var metadata = Serialize(message.Metadata);
        var content = Serialize(message.Content);
        var frames = new List<byte[]>(message.Identities.Count + 6 + message.Buffers.Count);
        frames.AddRange(message.Identities);
        frames.Add(DelimiterFrame);
        frames.Add(Encoding.ASCII.GetBytes(signer.Sign(header, parent, metadata, content)));
        frames.Add(header);
        frames.Add(parent);
        frames.Add(metadata);
        frames.Add(content);
        frames.AddRange(message.Buffers);
        return frames;
    }

    /// <summary>Compact UTF-8 JSON (no BOM), the bytes that get signed.</summary>
    public static byte[] Serialize(JObject value)
    {
        return Encoding.UTF8.GetBytes(value.ToString(Formatting.None));
    }

    /// <summary>Parses a UTF-8 JSON object, keeping date-like strings as strings.</summary>
    public static bool TryParseObject(byte[] bytes, out JObject? value, out string? problem, string part = "json")
    {
        value = null;
        try
        {
            using var reader = new JsonTextReader(new StringReader(Encoding.UTF8.GetString(bytes)))
            {
                // Header dates must round-trip as the exact strings the client sent (parent_header echo).
                DateParseHandling = DateParseHandling.None,
                MaxDepth = 256,
            };
            var token = JToken.ReadFrom(reader);
            if (reader.Read())
            {
                problem = $"{part}: trailing content after the JSON value";
                return false;
            }

            if (token is not JObject obj)
            {
                problem = $"{part}: expected a JSON object, got {token.Type}";
                return false;
            }

            value = obj;
            problem = null;
            return true;
        }
        catch (JsonException ex)
        {
            problem = $"{part}: {ex.Message}";
            return false;
        }
    }
}
