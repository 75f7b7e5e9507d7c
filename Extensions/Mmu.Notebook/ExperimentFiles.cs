using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// Finds and runs experiment files for notebooks: the C# equivalent of <c>#!mmu-run</c>
/// (<c>ExperimentFiles.Run("../datasets/experiments/first-walk-4level.json", trace: true)</c>).
/// </summary>
public static class ExperimentFiles
{
    /// <summary>The folder of example experiments, relative to the repository root.</summary>
    public const string DatasetFolder = "datasets/experiments";

    /// <summary>Largest file read (16 MiB): far above any experiment, and it keeps a device or a log from filling memory.</summary>
    public const int MaxFileBytes = 16 << 20;

    /// <summary>
    /// The full path of <paramref name="path"/>: as given (absolute, or relative to the current directory, which
    /// is the notebook's folder under Jupyter), else relative to the nearest <c>datasets/experiments</c> folder
    /// above the current directory, so <c>#!mmu-run first-walk-4level.json</c> works from anywhere in the repository.
    /// </summary>
    /// <exception cref="FileNotFoundException">Not found in either place; the message says where it looked.</exception>
    public static string Resolve(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new FileNotFoundException("no experiment file was given.");
        }

        string direct = Path.GetFullPath(path);
        if (File.Exists(direct))
        {
            return direct;
        }

        string? datasets = FindDatasetFolder();
        if (datasets is not null && !Path.IsPathRooted(path))
        {
            string inDatasets = Path.GetFullPath(Path.Combine(datasets, path));
            if (File.Exists(inDatasets))
            {
                return inDatasets;
            }
        }

        string where = datasets is null ? direct : $"{direct} nor in {datasets}";
        throw new FileNotFoundException($"no such file: '{path}' (not found at {where}).", path);
    }

    /// <summary>
    /// Reads, parses and runs every experiment in a file: one for <c>.json</c>, one per non-blank line for
    /// <c>.jsonl</c>. An invalid experiment yields a run whose <see cref="ExperimentResult.Error"/> names the field;
    /// the others still run.
    /// </summary>
    /// <param name="path">The file (see <see cref="Resolve"/>).</param>
    /// <param name="trace">Record every page-table read and A/D write of each access.</param>
    /// <param name="name">Run only the experiments with this <c>"name"</c> (case-insensitive); null runs all.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be read, or is larger than <see cref="MaxFileBytes"/>.</exception>
    /// <exception cref="ArgumentException">No experiment of the file has the given <paramref name="name"/>.</exception>
    /// <param name="variant">The context organization to run under.</param>
    public static IReadOnlyList<ExperimentRun> Run(string path, bool trace = false, string? name = null, string variant = Contexts.ContextLayouts.Default)
    {
        string fullPath = Resolve(path);
        string text = ReadLimited(fullPath);
        string fileName = Path.GetFileName(fullPath);
        var options = new RunOptions(Trace: trace, Layout: variant);
        var parsed = new List<(string Source, Experiment? Experiment, ExperimentFormatException? Error)>();
        if (fullPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            string[] lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (!string.IsNullOrWhiteSpace(lines[i]))
                {
                    parsed.Add(Parse($"{fileName}:{i + 1}", lines[i], i + 1));
                }
            }
        }
        else
        {
            parsed.Add(Parse(fileName, text, 1));
        }

        if (name is not null)
        {
            var selected = parsed.Where(p => string.Equals(p.Experiment?.Name ?? p.Error?.ExperimentName, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (selected.Count == 0)
            {
                string names = string.Join("; ", parsed.Select(p => p.Experiment?.Name ?? p.Error?.ExperimentName ?? "(unnamed)").Distinct().Select(n => $"'{n}'"));
                // No parameter name: the message is shown to notebook users as is, without " (Parameter 'name')".
                throw new ArgumentException($"--name: no experiment named '{name}' in {fileName} (it has: {names}).");
            }

            parsed = selected;
        }

        return parsed
            .Select(p => p.Experiment is null
                ? new ExperimentRun(p.Source, null, ExperimentResult.Invalid(p.Error!.ExperimentName, p.Error.Message))
                : new ExperimentRun(p.Source, p.Experiment, ExperimentRunner.Run(p.Experiment, options)))
            .ToList();
    }

    /// <summary>
    /// The example experiment files, as paths relative to the current directory (what <c>#!mmu-run</c> completes);
    /// empty when no <c>datasets/experiments</c> folder is above the current directory.
    /// </summary>
    public static IReadOnlyList<string> Candidates()
    {
        string? datasets = FindDatasetFolder();
        if (datasets is null)
        {
            return Array.Empty<string>();
        }

        string current = Environment.CurrentDirectory;
        return Directory.EnumerateFiles(datasets)
            .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(current, f).Replace('\\', '/'))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The nearest <c>datasets/experiments</c> folder in the current directory or above it.</summary>
    public static string? FindDatasetFolder()
    {
        for (DirectoryInfo? directory = new(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "datasets", "experiments");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string ReadLimited(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxFileBytes)
            {
                throw new IOException($"the file is larger than {MaxFileBytes >> 20} MiB; experiment files are small JSON documents.");
            }

            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        using var reader = new StreamReader(buffer, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static (string Source, Experiment? Experiment, ExperimentFormatException? Error) Parse(string source, string json, int line)
    {
        return ExperimentParser.TryParse(json, out Experiment? experiment, out ExperimentFormatException? error, line)
            ? (source, experiment, null)
            : (source, null, error);
    }
}
