using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace Workbench.Cli;

/// <summary>What an executed notebook says about its run: how many code cells, and which failed.</summary>
internal sealed partial class NotebooksReport
{
    private NotebooksReport(int codeCells, IReadOnlyList<CellFailure> failures)
    {
        CodeCells = codeCells;
        Failures = failures;
    }

    /// <summary>Number of code cells.</summary>
    public int CodeCells { get; }

    /// <summary>Cells with an <c>error</c> output, except those tagged <c>raises-exception</c> (errors on purpose).</summary>
    public IReadOnlyList<CellFailure> Failures { get; }

    /// <summary>One failed cell: its position among all cells, its source, and the kernel's error.</summary>
    internal sealed record CellFailure(int CellNumber, string Source, string Name, string Value, IReadOnlyList<string> Traceback);

    /// <summary>Reads a notebook written by nbconvert/nbclient.</summary>
    public static NotebooksReport Read(string path)
    {
        var notebook = JObject.Parse(File.ReadAllText(path));
        var cells = notebook["cells"] as JArray ?? new JArray();
        var codeCells = 0;
        var failures = new List<CellFailure>();
        for (var index = 0; index < cells.Count; index++)
        {
            if (cells[index] is not JObject cell || (string?)cell["cell_type"] != "code")
            {
                continue;
            }

            codeCells++;
            var tags = cell["metadata"]?["tags"] as JArray;
            if (tags?.Any(t => (string?)t == "raises-exception") == true)
            {
                continue;
            }

            foreach (var output in cell["outputs"] as JArray ?? new JArray())
            {
                if ((string?)output["output_type"] != "error")
                {
                    continue;
                }

                var traceback = (output["traceback"] as JArray ?? new JArray())
                    .Select(line => StripAnsi((string?)line ?? string.Empty))
                    .ToList();
                failures.Add(new CellFailure(
                    index + 1,
                    JoinSource(cell["source"]),
                    (string?)output["ename"] ?? "Error",
                    StripAnsi((string?)output["evalue"] ?? string.Empty),
                    traceback));
                break;
            }
        }

        return new NotebooksReport(codeCells, failures);
    }

    /// <summary>Counts code cells of a notebook that has not run (when the run itself failed).</summary>
    public static int CountCodeCells(string path)
    {
        try
        {
            var cells = JObject.Parse(File.ReadAllText(path))["cells"] as JArray;
            return cells?.Count(c => (string?)c["cell_type"] == "code") ?? 0;
        }
        catch (Exception exception) when (exception is IOException or Newtonsoft.Json.JsonException)
        {
            return 0;
        }
    }

    // nbformat stores source either as one string or as a list of lines that keep their newlines.
    private static string JoinSource(JToken? source)
    {
        return source switch
        {
            JArray lines => string.Concat(lines.Select(l => (string?)l)),
            JValue value => (string?)value ?? string.Empty,
            _ => string.Empty,
        };
    }

    private static string StripAnsi(string text)
    {
        return AnsiEscape().Replace(text, string.Empty);
    }

    [GeneratedRegex("\u001b\\[[0-9;]*[A-Za-z]")]
    private static partial Regex AnsiEscape();
}
