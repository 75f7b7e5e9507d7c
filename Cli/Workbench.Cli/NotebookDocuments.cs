using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Newtonsoft.Json.Linq;

namespace Workbench.Cli;

/// <summary>
/// Polyglot Notebooks' <c>.dib</c> format and Jupyter's <c>.ipynb</c>, read and written with .NET Interactive's own
/// document library (Microsoft.DotNet.Interactive.Documents), so cells, kernel names and markdown survive as that host
/// writes them.
/// </summary>
internal static class NotebookDocuments
{
    /// <summary>The kernel a cell without a <c>#!name</c> line (or without language metadata) belongs to.</summary>
    public const string DefaultKernelName = "csharp";

    /// <summary>True for the file extensions <see cref="Convert"/> and the notebooks verb understand.</summary>
    public static bool IsNotebook(string path) =>
        path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".dib", StringComparison.OrdinalIgnoreCase);

    /// <summary>A <c>.dib</c> text as <c>.ipynb</c> JSON, with the kernelspec <paramref name="kernelSpec"/> (display name <paramref name="displayName"/>).</summary>
    public static string DibToIpynb(string dib, string kernelSpec, string displayName)
    {
        InteractiveDocument document = CodeSubmission.Parse(dib, Kernels());
        // A .dib's "#!meta" block is read as JSON elements, but ToJupyterJson casts "kernelspec", "language_info" and
        // "polyglot_notebook" to its own types: InvalidCastException in 1.0.0-beta.26120.1. It writes
        // "polyglot_notebook" again from the cells' kernels, and the other two are set below.
        foreach (string key in document.Metadata.Where(m => m.Value is System.Text.Json.JsonElement).Select(m => m.Key).ToList())
        {
            document.Metadata.Remove(key);
        }
        var notebook = JObject.Parse(document.ToJupyterJson(DefaultKernelName));
        // The library names .NET Interactive's kernelspec; the notebook should open on the kernel it is meant for.
        notebook["metadata"] ??= new JObject();
        notebook["metadata"]!["kernelspec"] = new JObject { ["name"] = kernelSpec, ["display_name"] = displayName, ["language"] = "C#" };
        notebook["metadata"]!["language_info"] = new JObject { ["name"] = "C#" };
        return notebook.ToString(Newtonsoft.Json.Formatting.Indented) + "\n";
    }

    /// <summary>An <c>.ipynb</c> JSON text as <c>.dib</c> text (outputs are dropped: a .dib holds none).</summary>
    public static string IpynbToDib(string ipynb) =>
        CodeSubmission.ToCodeSubmissionContent(Notebook.Parse(ipynb, Kernels()), "\n");

    private static KernelInfoCollection Kernels() => new()
    {
        new KernelInfo("csharp", "C#", new[] { "c#", "C#", "cs" }),
        new KernelInfo("fsharp", "F#", new[] { "f#", "F#", "fs" }),
        new KernelInfo("pwsh", "PowerShell", new[] { "powershell" }),
        new KernelInfo("markdown", "Markdown", new[] { "md" }),
        new KernelInfo("html", "HTML", Array.Empty<string>()),
        new KernelInfo("javascript", "JavaScript", new[] { "js" }),
    };
}
