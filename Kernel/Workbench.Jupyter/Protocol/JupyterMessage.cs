using Newtonsoft.Json.Linq;

namespace Workbench.Jupyter.Protocol;

/// <summary>
/// One Jupyter message: routing identities (ROUTER) or topic (PUB), the four JSON parts and any binary buffers.
/// </summary>
public sealed class JupyterMessage
{
    /// <summary>Creates a message from its parts.</summary>
    public JupyterMessage(
        IReadOnlyList<byte[]> identities,
        JObject header,
        JObject parentHeader,
        JObject metadata,
        JObject content,
        IReadOnlyList<byte[]>? buffers = null)
    {
        Identities = identities;
        Header = header;
        ParentHeader = parentHeader;
        Metadata = metadata;
        Content = content;
        Buffers = buffers ?? Array.Empty<byte[]>();
    }

    /// <summary>The frames before <c>&lt;IDS|MSG&gt;</c>: ROUTER peer identities, echoed on replies, or a PUB topic.</summary>
    public IReadOnlyList<byte[]> Identities { get; }

    /// <summary>The header (<c>msg_id</c>, <c>session</c>, <c>username</c>, <c>date</c>, <c>msg_type</c>, <c>version</c>).</summary>
    public JObject Header { get; }

    /// <summary>The header of the request this message answers, or an empty object.</summary>
    public JObject ParentHeader { get; }

    /// <summary>The metadata dictionary.</summary>
    public JObject Metadata { get; }

    /// <summary>The type-specific content.</summary>
    public JObject Content { get; }

    /// <summary>Extra binary frames after the content.</summary>
    public IReadOnlyList<byte[]> Buffers { get; }

    /// <summary>The header's <c>msg_type</c> (empty when missing or not a string).</summary>
    public string MsgType => StringField(Header, "msg_type");

    /// <summary>The header's <c>msg_id</c> (empty when missing or not a string).</summary>
    public string MsgId => StringField(Header, "msg_id");

    /// <summary>A string field of a JSON object, or empty when absent or of another type.</summary>
    internal static string StringField(JObject obj, string name)
    {
        return obj[name] is JValue { Type: JTokenType.String } value ? (string)value! : string.Empty;
    }
}
