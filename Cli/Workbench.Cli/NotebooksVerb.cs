using System.CommandLine;
using System.Diagnostics;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench notebooks</c>: executes every notebook under <c>notebooks/</c> on our own kernel (or, with
/// <c>--kernel dotnet-interactive</c>, on .NET Interactive's) with Debian's nbclient (through
/// <c>python3 -m nbconvert</c>) and writes the executed notebooks and HTML reports. The kernelspec is installed into
/// a private Jupyter path under <c>out/</c>, so the user's own Jupyter setup is neither needed nor touched. The
/// notebooks load the MMU extension from the local feed (<c>#i "nuget: ../out/nuget"</c>), which is packed first
/// when missing or older than the sources.
/// </summary>
public sealed class NotebooksVerb : ICliVerb
{
    /// <summary>The kernelspec name the notebooks ask for.</summary>
    public const string KernelName = "mmu-workbench";

    /// <summary>The <c>--kernel</c> value for .NET Interactive.</summary>
    public const string DotNetInteractiveKernel = "dotnet-interactive";

    /// <inheritdoc/>
    public string Name => "notebooks";

    /// <inheritdoc/>
    public string Summary => "execute every notebook on the real kernel and write HTML reports (out/reports)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var kernelOption = new Option<string>("--kernel")
        {
            Description = "mmu-workbench (ours) or dotnet-interactive (.NET Interactive " + DotNetInteractiveHost.ToolVersion
                + ", installed into out/dotnet-interactive if missing; HTTP on loopback only).",
            DefaultValueFactory = _ => KernelName,
        };
        kernelOption.AcceptOnlyFromAmong(KernelName, DotNetInteractiveKernel);
        var onlyOption = new Option<string[]>("--only") { Description = "Run only this notebook (file name, with or without .ipynb/.dib); repeatable." };
        var outOption = new Option<string?>("--out") { Description = "Where executed notebooks and reports go (default out/reports, or out/reports/dotnet-interactive)." };
        var timeoutOption = CliCommand.PositiveInt("--timeout", "Per-cell time limit in seconds.", 120);
        var checkOption = new Option<bool>("--check") { Description = "Afterwards, open each report in headless Chromium and check every chart is drawn." };
        var embedOption = new Option<string>("--embed-plotly")
        {
            Description = "plotly.js (4.8 MB) in every chart output (each draws on its own) or only in a notebook's first chart "
                + "(reports draw in page order, files stay small).",
            // Reports are read top to bottom, so one embedded copy of plotly.js serves every chart of a notebook.
            DefaultValueFactory = _ => "first",
        };
        embedOption.AcceptOnlyFromAmong("every", "first");
        var command = new Command(Name,
            "Executes every notebooks/**/*.ipynb and *.dib (Polyglot Notebooks, converted with .NET Interactive's document "
            + "library) on a kernel (Debian's nbclient) and writes NAME.ipynb (executed) and NAME.html (report). "
            + "Environment: WORKBENCH_PYTHON (default /usr/bin/python3: the python3 on PATH may lack Jupyter).")
        {
            kernelOption, onlyOption, outOption, timeoutOption, checkOption, embedOption,
        };
        command.SetAction(parsed => Execute(
            parsed.GetValue(kernelOption)!,
            (parsed.GetValue(onlyOption) ?? Array.Empty<string>()).ToList(),
            parsed.GetValue(outOption),
            parsed.GetValue(timeoutOption),
            parsed.GetValue(checkOption),
            parsed.GetValue(embedOption)!));
        return CliCommand.Invoke(command, args);
    }

    private static int Execute(string kernel, List<string> only, string? outArgument, int cellTimeout, bool check, string embed)
    {
        var root = FindRepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("notebooks: cannot find the repository (a folder with the 'workbench' script and notebooks/).");
            return 2;
        }

        var notebooksDirectory = Path.Combine(root, "notebooks");
        var selected = SelectNotebooks(notebooksDirectory, only, out var unknown);
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"notebooks: no notebook named {string.Join(", ", unknown.Select(u => $"'{u}'"))} under {notebooksDirectory}.");
            return 2;
        }

        if (selected.Count == 0)
        {
            Console.Error.WriteLine($"notebooks: no .ipynb or .dib files under {notebooksDirectory}.");
            return 2;
        }

        var onDotNetInteractive = kernel == DotNetInteractiveKernel;
        var outDirectory = Path.GetFullPath(outArgument ?? (onDotNetInteractive
            ? Path.Combine(root, "out", "reports", DotNetInteractiveKernel)
            : Path.Combine(root, "out", "reports")));
        Directory.CreateDirectory(outDirectory);
        var python = Environment.GetEnvironmentVariable("WORKBENCH_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

        if (!EnsureExtensionPackage(root))
        {
            return 1;
        }

        var kernelSpec = onDotNetInteractive ? DotNetInteractiveHost.KernelName : KernelName;
        var jupyter = PrepareJupyter(root, python, embed, kernel, kernelSpec);
        if (jupyter is null)
        {
            return 1;
        }

        var runner = new NotebooksRunner(python, jupyter, outDirectory, TimeSpan.FromSeconds(cellTimeout), kernelSpec, absoluteNugetSources: onDotNetInteractive);
        var failed = 0;
        var reports = new List<string>();
        var width = selected.Max(n => Path.GetRelativePath(notebooksDirectory, n).Length) + 2;
        foreach (var notebook in selected)
        {
            var relative = Path.GetRelativePath(notebooksDirectory, notebook);
            Console.Write(relative.PadRight(width, '.') + " ");
            var outcome = runner.Run(notebook, relative);
            outcome.Print(Console.Out);
            if (!outcome.Ok)
            {
                failed++;
            }

            if (outcome.HtmlPath is not null)
            {
                reports.Add(outcome.HtmlPath);
            }
        }

        var shownOut = Path.GetRelativePath(Directory.GetCurrentDirectory(), outDirectory);
        shownOut = shownOut.StartsWith("..", StringComparison.Ordinal) ? outDirectory : shownOut;
        Console.WriteLine($"notebooks: {selected.Count - failed} of {selected.Count} notebooks OK; reports in {shownOut}");
        var exitCode = failed == 0 ? 0 : 1;
        if (check && reports.Count > 0)
        {
            var checkExit = CheckReports(root, python, reports);
            exitCode = exitCode == 0 ? checkExit : exitCode;
        }

        return exitCode;
    }

    internal static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "workbench"))
                    && Directory.Exists(Path.Combine(directory.FullName, "notebooks")))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }

    private static List<string> SelectNotebooks(string directory, List<string> only, out List<string> unknown)
    {
        unknown = new List<string>();
        if (!Directory.Exists(directory))
        {
            return new List<string>();
        }

        var all = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(NotebookDocuments.IsNotebook)
            .Where(path => !path.Contains(Path.DirectorySeparatorChar + ".ipynb_checkpoints" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            // Dot files are the runner's own prepared copies (see NotebooksRunner), never notebooks of their own.
            .Where(path => !Path.GetFileName(path).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (only.Count == 0)
        {
            return all;
        }

        var selected = new List<string>();
        foreach (var name in only)
        {
            var matches = all.Where(path => Path.GetFileName(path) == Path.GetFileName(name)
                || Path.GetFileNameWithoutExtension(path) == Path.GetFileName(name)
                || Path.GetRelativePath(directory, path) == name
                || Path.ChangeExtension(Path.GetRelativePath(directory, path), null) == name).ToList();
            if (matches.Count == 0)
            {
                unknown.Add(name);
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }

    /// <summary>
    /// Checks that Python has the Jupyter tools, and installs our kernelspec into <c>out/jupyter</c> by running
    /// this program's own <c>kernel install</c> verb (so the spec points at this very build).
    /// </summary>
    /// <summary>
    /// Packs the MMU extension's NuGet package into <c>out/nuget</c> when there is none or a source file of the
    /// extension, the model or the charts is newer than it: the notebooks load it from there, on both kernels.
    /// </summary>
    private static bool EnsureExtensionPackage(string root)
    {
        var feed = Path.Combine(root, "out", "nuget");
        var package = Directory.Exists(feed)
            ? Directory.EnumerateFiles(feed, PackVerb.PackageId + ".*.nupkg").Select(f => new FileInfo(f)).MaxBy(f => f.LastWriteTimeUtc)
            : null;
        if (package is not null)
        {
            var sources = new[] { Path.Combine(root, "Extensions"), Path.Combine(root, "Kernel", "Workbench.Charts") }
                .SelectMany(d => Directory.EnumerateFiles(d, "*.*", SearchOption.AllDirectories))
                .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
                    && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
            if (!sources.Any(f => File.GetLastWriteTimeUtc(f) > package.LastWriteTimeUtc))
            {
                return true;
            }
        }

        return PackVerb.Pack(root, feed, Console.Out, Console.Error) is not null;
    }

    private static NotebooksJupyter? PrepareJupyter(string root, string python, string embed, string kernel, string kernelSpec)
    {
        var jupyterDirectory = Path.Combine(root, "out", "jupyter");
        var environment = NotebooksJupyter.Environment(jupyterDirectory);
        var probe = NotebooksProcess.Run(python, new[] { "-c", "import nbclient, nbconvert, jupyter_client" }, root, environment, TimeSpan.FromMinutes(1));
        if (probe.ExitCode != 0)
        {
            Console.Error.WriteLine($"notebooks: {python} cannot import nbclient/nbconvert/jupyter_client; run ./workbench setup "
                + "(Debian packages python3-nbclient python3-nbconvert jupyter-client) or set WORKBENCH_PYTHON.");
            Console.Error.Write(Tail(probe.StandardError, 5));
            return null;
        }

        var self = Environment.ProcessPath;
        if (string.IsNullOrEmpty(self))
        {
            Console.Error.WriteLine("notebooks: cannot tell where this program is, so cannot install its kernelspec.");
            return null;
        }

        var install = NotebooksProcess.Run(self, new[] { "kernel", "install", "--kernel", kernel, "--jupyter-path", jupyterDirectory }, root, environment, TimeSpan.FromMinutes(10));
        var kernelJson = Directory.Exists(jupyterDirectory)
            ? Directory.EnumerateFiles(jupyterDirectory, "kernel.json", SearchOption.AllDirectories)
                .FirstOrDefault(path => Path.GetFileName(Path.GetDirectoryName(path)) == kernelSpec)
            : null;
        if (install.ExitCode != 0 || kernelJson is null)
        {
            Console.Error.WriteLine($"notebooks: 'kernel install --kernel {kernel} --jupyter-path {jupyterDirectory}' failed (exit {install.ExitCode}"
                + (kernelJson is null ? $", no {kernelSpec}/kernel.json written" : string.Empty) + ").");
            Console.Error.Write(Tail(install.StandardOutput + install.StandardError, 20));
            return null;
        }

        // JUPYTER_PATH entries hold a kernels/ folder: <entry>/kernels/mmu-workbench/kernel.json.
        var kernelsDirectory = Path.GetDirectoryName(Path.GetDirectoryName(kernelJson)!)!;
        var jupyterPath = Path.GetDirectoryName(kernelsDirectory)!;
        if (Path.GetFileName(kernelsDirectory) != "kernels")
        {
            Console.Error.WriteLine($"notebooks: kernelspec written to {kernelJson}, not under a 'kernels' folder, so Jupyter cannot find it.");
            return null;
        }

        Console.WriteLine($"notebooks: kernel '{kernelSpec}' installed in {Path.GetRelativePath(root, jupyterPath)}; python {python}");
        var processEnvironment = new Dictionary<string, string?>(NotebooksJupyter.Environment(jupyterDirectory, jupyterPath), StringComparer.Ordinal)
        {
            // Inherited by the kernel through nbclient; read by Workbench.Charts' PlotlyLibrary.
            ["WORKBENCH_PLOTLY_EMBED"] = embed,
        };
        return new NotebooksJupyter(jupyterDirectory, processEnvironment);
    }

    private static int CheckReports(string root, string python, List<string> reports)
    {
        var script = Path.Combine(root, "scripts", "check_report.py");
        if (!File.Exists(script))
        {
            Console.Error.WriteLine($"notebooks: --check needs {script}, which is missing.");
            return 1;
        }

        var arguments = new List<string> { script, "--min-charts", "0" };
        arguments.AddRange(reports);
        var stopwatch = Stopwatch.StartNew();
        var result = NotebooksProcess.Run(python, arguments, root, new Dictionary<string, string?>(), TimeSpan.FromMinutes(10));
        Console.Write(result.StandardOutput);
        Console.Error.Write(result.StandardError);
        if (result.TimedOut)
        {
            Console.WriteLine($"notebooks: the Chromium check did not finish in {stopwatch.Elapsed.TotalSeconds:F0} s.");
        }

        return result.ExitCode == 0 ? 0 : 1;
    }

    /// <summary>The last <paramref name="lines"/> lines of a process output, indented.</summary>
    internal static string Tail(string text, int lines)
    {
        var all = text.TrimEnd().Split('\n');
        return string.Concat(all.Skip(Math.Max(0, all.Length - lines)).Select(l => "    " + l.TrimEnd() + "\n"));
    }
}
