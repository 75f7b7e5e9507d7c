using System.Globalization;

namespace Workbench.Cli;

/// <summary>Executes one notebook with nbconvert/nbclient on the <c>mmu-workbench</c> kernel and renders its HTML report.</summary>
internal sealed class NotebooksRunner
{
    private readonly string _python;
    private readonly NotebooksJupyter _jupyter;
    private readonly string _outDirectory;
    private readonly TimeSpan _cellTimeout;
    private readonly string _kernelSpec;
    private readonly bool _absoluteNugetSources;

    /// <param name="python">Python with nbconvert.</param>
    /// <param name="jupyter">The private Jupyter setup.</param>
    /// <param name="outDirectory">Where executed notebooks and reports go.</param>
    /// <param name="cellTimeout">Time limit of one cell.</param>
    /// <param name="kernelSpec">The kernelspec to execute on.</param>
    /// <param name="absoluteNugetSources">
    /// Execute a copy whose relative <c>#i "nuget: FOLDER"</c> sources are made absolute against the notebook's
    /// folder: .NET Interactive refuses relative ones ("Invalid URI: The format of the URI could not be determined",
    /// measured with 1.0.712001), while our kernel resolves them against the notebook's folder itself, so one .ipynb
    /// serves both.
    /// </param>
    public NotebooksRunner(string python, NotebooksJupyter jupyter, string outDirectory, TimeSpan cellTimeout, string kernelSpec, bool absoluteNugetSources)
    {
        _python = python;
        _jupyter = jupyter;
        _outDirectory = outDirectory;
        _cellTimeout = cellTimeout;
        _kernelSpec = kernelSpec;
        _absoluteNugetSources = absoluteNugetSources;
    }

    /// <summary>Runs <paramref name="notebook"/>; outputs keep its path relative to <c>notebooks/</c>.</summary>
    public NotebooksOutcome Run(string notebook, string relativePath)
    {
        var stem = Path.GetFileNameWithoutExtension(relativePath);
        var targetDirectory = Path.Combine(_outDirectory, Path.GetDirectoryName(relativePath) ?? string.Empty);
        Directory.CreateDirectory(targetDirectory);
        var executedPath = Path.Combine(targetDirectory, stem + ".ipynb");
        var htmlPath = Path.Combine(targetDirectory, stem + ".html");

        // A report left over from an earlier run must never pass for this one.
        File.Delete(executedPath);
        File.Delete(htmlPath);

        var seconds = ((int)_cellTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);

        // A .dib is executed as the .ipynb .NET Interactive's document library makes of it; .NET Interactive needs
        // absolute #i folders. The prepared copy sits next to the notebook (dot file, ignored by SelectNotebooks), so
        // the kernel's working directory and every relative path in the notebook stay what they are for the original.
        var source = notebook;
        var isDib = notebook.EndsWith(".dib", StringComparison.OrdinalIgnoreCase);
        if (isDib || _absoluteNugetSources)
        {
            var directory = Path.GetDirectoryName(notebook)!;
            string json;
            try
            {
                json = isDib
                    ? NotebookDocuments.DibToIpynb(File.ReadAllText(notebook), _kernelSpec, _kernelSpec)
                    : File.ReadAllText(notebook);
            }
            catch (Exception problem) when (problem is not OutOfMemoryException)
            {
                return NotebooksOutcome.Broken(0, TimeSpan.Zero, $"cannot read {Path.GetFileName(notebook)}", "    " + problem.Message + "\n");
            }

            source = Path.Combine(directory, "." + stem + "." + _kernelSpec + ".ipynb");
            File.WriteAllText(source, _absoluteNugetSources ? NotebookSources.WithAbsoluteNugetSources(json, directory) : json);
        }

        try
        {
            return Execute(source, stem, targetDirectory, executedPath, htmlPath, NotebooksReport.CountCodeCells(source), seconds);
        }
        finally
        {
            if (source != notebook)
            {
                File.Delete(source);
            }
        }
    }

    private NotebooksOutcome Execute(string notebook, string stem, string targetDirectory, string executedPath, string htmlPath, int cells, string seconds)
    {
        // --allow-errors: a failing cell still yields the whole executed notebook and its report, and the
        // failures are read back from the error outputs (cells tagged raises-exception are exempt).
        var execute = NotebooksProcess.Run(
            _python,
            new[]
            {
                "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                "--ExecutePreprocessor.kernel_name=" + _kernelSpec,
                "--ExecutePreprocessor.timeout=" + seconds,
                "--ExecutePreprocessor.startup_timeout=120",
                "--output-dir", targetDirectory, "--output", stem, notebook,
            },
            Path.GetDirectoryName(notebook)!,
            _jupyter.ProcessEnvironment,
            _cellTimeout * (cells + 1) + TimeSpan.FromMinutes(3));

        if (execute.TimedOut || execute.ExitCode != 0 || !File.Exists(executedPath))
        {
            var why = execute.TimedOut
                ? $"nbconvert did not finish in {execute.Elapsed.TotalSeconds:F0} s and was stopped"
                : $"nbconvert --execute exited with {execute.ExitCode}";
            return NotebooksOutcome.Broken(cells, execute.Elapsed, why, SummarizeError(execute.StandardError));
        }

        var report = NotebooksReport.Read(executedPath);
        var html = NotebooksProcess.Run(
            _python,
            new[] { "-m", "nbconvert", "--to", "html", "--output-dir", targetDirectory, "--output", stem, executedPath },
            targetDirectory,
            _jupyter.ProcessEnvironment,
            TimeSpan.FromMinutes(5));
        if (html.ExitCode != 0 || !File.Exists(htmlPath))
        {
            return NotebooksOutcome.Broken(
                report.CodeCells,
                execute.Elapsed,
                $"nbconvert --to html exited with {html.ExitCode}",
                SummarizeError(html.StandardError)) with { NotebookPath = executedPath };
        }

        return new NotebooksOutcome(report.Failures.Count == 0, report.CodeCells, execute.Elapsed, report.Failures, null, null)
        {
            NotebookPath = executedPath,
            HtmlPath = htmlPath,
        };
    }

    /// <summary>
    /// What to show of a failed nbconvert: the lines before Python's traceback (the kernel's own stderr and
    /// nbconvert's log, which usually say why) and the exception line at the end; the frames in between
    /// are nbclient internals.
    /// </summary>
    internal static string SummarizeError(string standardError)
    {
        var lines = standardError.TrimEnd().Split('\n');
        var traceback = Array.FindIndex(lines, l => l.StartsWith("Traceback (most recent call last)", StringComparison.Ordinal));
        if (traceback < 0)
        {
            return NotebooksVerb.Tail(standardError, 25);
        }

        var before = lines.Take(traceback).Where(l => l.Trim().Length > 0).ToList();
        var kept = before.Skip(Math.Max(0, before.Count - 15)).Append("...").Concat(lines.Skip(Math.Max(traceback, lines.Length - 2)));
        return string.Concat(kept.Select(l => "    " + l.TrimEnd() + "\n"));
    }
}

/// <summary>The result of one notebook: what to print, and where its files are.</summary>
internal sealed record NotebooksOutcome(
    bool Ok,
    int CodeCells,
    TimeSpan Elapsed,
    IReadOnlyList<NotebooksReport.CellFailure> Failures,
    string? RunError,
    string? RunErrorDetail)
{
    /// <summary>The executed notebook, if written.</summary>
    public string? NotebookPath { get; init; }

    /// <summary>The HTML report, if written.</summary>
    public string? HtmlPath { get; init; }

    public static NotebooksOutcome Broken(int cells, TimeSpan elapsed, string error, string detail)
    {
        return new NotebooksOutcome(false, cells, elapsed, Array.Empty<NotebooksReport.CellFailure>(), error, detail);
    }

    /// <summary>One status line, then the details of any failure.</summary>
    public void Print(TextWriter writer)
    {
        var cells = CodeCells == 1 ? "1 cell" : $"{CodeCells} cells";
        writer.WriteLine($"{cells,-9} {Elapsed.TotalSeconds,6:F1} s  {(Ok ? "OK" : "FAILED")}");
        if (RunError is not null)
        {
            writer.WriteLine($"    {RunError}:");
            writer.Write(RunErrorDetail);
        }

        foreach (var failure in Failures)
        {
            writer.WriteLine($"    cell {failure.CellNumber}: {failure.Name}: {failure.Value}");
            foreach (var line in failure.Source.TrimEnd().Split('\n').Take(8))
            {
                writer.WriteLine($"      | {line.TrimEnd()}");
            }

            foreach (var line in failure.Traceback.SelectMany(t => t.Split('\n')).Where(l => l.Trim().Length > 0).Take(12))
            {
                writer.WriteLine($"      {line.TrimEnd()}");
            }
        }

        if (Failures.Count > 0 && HtmlPath is not null)
        {
            writer.WriteLine($"    report with the error: {HtmlPath}");
        }
    }
}
