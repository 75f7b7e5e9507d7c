using System.Globalization;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Workbench.Jupyter.Protocol;

/// <summary>Builds headers and messages for one kernel session (one process).</summary>
public sealed class MessageFactory
{
    /// <summary>The protocol version the kernel speaks.</summary>
    public const string ProtocolVersion = "5.3";

    /// <summary>Creates a factory with a fresh session id unless one is given.</summary>
    public MessageFactory(string? session = null, string? username = null)
    {
        Session = session ?? Guid.NewGuid().ToString();
        Username = string.IsNullOrEmpty(username) ? SafeUserName() : username;
    }

    /// <summary>The session id stamped on every header.</summary>
    public string Session { get; }

    /// <summary>The username stamped on every header.</summary>
    public string Username { get; }

    /// <summary>A new header: fresh msg_id, this session, the current UTC time with microseconds.</summary>
    public JObject CreateHeader(string msgType)
    {
        return new JObject
        {
            ["msg_id"] = Guid.NewGuid().ToString("N"),
            ["session"] = Session,
            ["username"] = Username,
            ["date"] = FormatDate(DateTime.UtcNow),
            ["msg_type"] = msgType,
            ["version"] = ProtocolVersion,
        };
    }

    /// <summary>A reply on the socket the request came from: same identities, parent = request header.</summary>
    public JupyterMessage CreateReply(JupyterMessage request, string msgType, JObject content)
    {
        return new JupyterMessage(request.Identities, CreateHeader(msgType), request.Header, new JObject(), content);
    }

    /// <summary>An iopub broadcast, with a topic frame and the parent request (if any).</summary>
    public JupyterMessage CreateBroadcast(JupyterMessage? parent, string msgType, JObject content)
    {
        var topic = Encoding.UTF8.GetBytes($"kernel.{Session}.{msgType}");
        return new JupyterMessage(new[] { topic }, CreateHeader(msgType), parent?.Header ?? new JObject(), new JObject(), content);
    }

    /// <summary>ISO-8601 UTC with microseconds and 'Z', as jupyter_client writes it.</summary>
    public static string FormatDate(DateTime utc)
    {
        return utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    private static string SafeUserName()
    {
        try
        {
            var name = Environment.UserName;
            return string.IsNullOrEmpty(name) ? "kernel" : name;
        }
        catch (InvalidOperationException)
        {
            return "kernel";
        }
    }
}
