using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace Workbench.Cli;

/// <summary>Rewrites of a notebook's code cells that one kernel needs and the other does not.</summary>
internal static partial class NotebookSources
{
    /// <summary>
    /// The notebook (.ipynb JSON) with every relative local folder in a <c>#i "nuget: FOLDER"</c> line replaced by its
    /// absolute path against <paramref name="notebookDirectory"/>; URLs and absolute folders stay as written.
    /// </summary>
    public static string WithAbsoluteNugetSources(string ipynb, string notebookDirectory)
    {
        var notebook = JObject.Parse(ipynb);
        foreach (var cell in notebook["cells"]?.OfType<JObject>() ?? Enumerable.Empty<JObject>())
        {
            if ((string?)cell["cell_type"] != "code" || cell["source"] is not { } source)
            {
                continue;
            }

            // nbformat allows a string or a list of lines for "source".
            var text = source.Type == JTokenType.Array ? string.Concat(source.Values<string>()) : (string?)source ?? string.Empty;
            var rewritten = RelativeNugetSource().Replace(text, match =>
            {
                var folder = match.Groups["folder"].Value.Trim();
                if (Uri.TryCreate(folder, UriKind.Absolute, out _) || Path.IsPathRooted(folder))
                {
                    return match.Value;
                }

                return match.Groups["head"].Value + Path.GetFullPath(folder, notebookDirectory) + match.Groups["tail"].Value;
            });
            if (rewritten != text)
            {
                cell["source"] = rewritten;
            }
        }

        return notebook.ToString(Newtonsoft.Json.Formatting.Indented);
    }

    [GeneratedRegex("""^(?<head>[ \t]*#i[ \t]+"[ \t]*nuget:[ \t]*)(?<folder>[^"\r\n]+?)(?<tail>[ \t]*"[ \t]*\r?)$""", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RelativeNugetSource();
}
