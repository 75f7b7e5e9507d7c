using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Workbench.Jupyter.Protocol;

/// <summary>
/// The connection file Jupyter writes for a kernel: where to bind the five sockets and how to sign messages.
/// </summary>
public sealed record ConnectionInfo(
    string Transport,
    string Ip,
    int ShellPort,
    int IopubPort,
    int StdinPort,
    int ControlPort,
    int HbPort,
    string SignatureScheme,
    string Key)
{
    /// <summary>Reads and validates a connection file.</summary>
    /// <exception cref="FormatException">The file is not a usable connection file (the message names the field).</exception>
    public static ConnectionInfo Load(string path)
    {
        return Parse(File.ReadAllText(path));
    }

    /// <summary>Parses connection-file JSON.</summary>
    /// <exception cref="FormatException">The text is not a usable connection file (the message names the field).</exception>
    public static ConnectionInfo Parse(string json)
    {
        JObject root;
        try
        {
            root = JObject.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"connection file: not a JSON object ({ex.Message})", ex);
        }

        var transport = OptionalString(root, "transport") ?? "tcp";
        if (transport is not ("tcp" or "ipc"))
        {
            throw new FormatException($"connection file: transport '{transport}' is not supported (tcp or ipc)");
        }

        return new ConnectionInfo(
            transport,
            OptionalString(root, "ip") ?? "127.0.0.1",
            Port(root, "shell_port"),
            Port(root, "iopub_port"),
            Port(root, "stdin_port"),
            Port(root, "control_port"),
            Port(root, "hb_port"),
            OptionalString(root, "signature_scheme") ?? "hmac-sha256",
            OptionalString(root, "key") ?? string.Empty);
    }

    /// <summary>The libzmq endpoint for one of the ports, as jupyter_client builds it.</summary>
    public string Endpoint(int port)
    {
        // jupyter_client names ipc endpoints "<ip>-<port>" (a file path prefix), tcp ones "<ip>:<port>".
        return Transport == "ipc" ? $"ipc://{Ip}-{port}" : $"tcp://{Ip}:{port}";
    }

    /// <summary>The connection without its key, safe to print.</summary>
    public override string ToString()
    {
        return $"{Transport}://{Ip} shell={ShellPort} iopub={IopubPort} stdin={StdinPort} control={ControlPort} hb={HbPort} " +
            $"scheme={SignatureScheme} signed={(Key.Length > 0 ? "yes" : "no")}";
    }

    private static string? OptionalString(JObject root, string name)
    {
        var token = root[name];
        if (token is null || token.Type == JTokenType.Null)
        {
            return null;
        }

        if (token.Type != JTokenType.String)
        {
            throw new FormatException($"connection file: {name}: expected a string");
        }

        return (string)token!;
    }

    private static int Port(JObject root, string name)
    {
        var token = root[name];
        if (token is null || token.Type != JTokenType.Integer)
        {
            throw new FormatException($"connection file: {name}: expected an integer port");
        }

        var port = (long)token;
        if (port is < 1 or > 65535)
        {
            throw new FormatException($"connection file: {name}: {port} is not a TCP port");
        }

        return (int)port;
    }
}
