using Newtonsoft.Json.Linq;
using Workbench.Interactive;

namespace Workbench.Jupyter.Server;

/// <summary>How the engine's events become Jupyter iopub messages and error replies (messaging protocol 5.3).</summary>
public static class IopubMapping
{
    /// <summary>The iopub message for <paramref name="kernelEvent"/> of the cell numbered <paramref name="count"/>, or null for an event with no mapping.</summary>
    public static (string MsgType, JObject Content)? ToIopub(KernelEvent kernelEvent, int count)
    {
        return kernelEvent switch
        {
            StandardOutputProduced output => ("stream", new JObject { ["name"] = "stdout", ["text"] = output.Text }),
            StandardErrorProduced error => ("stream", new JObject { ["name"] = "stderr", ["text"] = error.Text }),
            DisplayedValueProduced displayed => ("display_data", new JObject
            {
                ["data"] = MimeBundle.From(displayed.FormattedValues),
                ["metadata"] = new JObject(),
                ["transient"] = Transient(displayed.DisplayId),
            }),
            DisplayedValueUpdated updated => ("update_display_data", new JObject
            {
                ["data"] = MimeBundle.From(updated.FormattedValues),
                ["metadata"] = new JObject(),
                ["transient"] = Transient(updated.DisplayId),
            }),
            ReturnValueProduced returned => ("execute_result", new JObject
            {
                ["execution_count"] = count,
                ["data"] = MimeBundle.From(returned.FormattedValues),
                ["metadata"] = new JObject(),
            }),
            ClearOutputRequested clear => ("clear_output", new JObject { ["wait"] = clear.Wait }),
            ErrorProduced failure => ("error", new JObject
            {
                ["ename"] = failure.Name,
                ["evalue"] = failure.Message,
                ["traceback"] = new JArray(failure.Traceback.Cast<object>().ToArray()),
            }),
            _ => null,
        };
    }

    /// <summary>The content of an error reply (execute_reply and the replies to requests that failed).</summary>
    public static JObject ErrorReply(ErrorProduced error, int count)
    {
        return new JObject
        {
            ["status"] = "error",
            ["execution_count"] = count,
            ["ename"] = error.Name,
            ["evalue"] = error.Message,
            ["traceback"] = new JArray(error.Traceback.Cast<object>().ToArray()),
        };
    }

    private static JObject Transient(string? displayId)
    {
        return string.IsNullOrEmpty(displayId) ? new JObject() : new JObject { ["display_id"] = displayId };
    }
}
