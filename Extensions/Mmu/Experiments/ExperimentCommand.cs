namespace Workbench.Mmu.Experiments;

/// <summary>
/// The <c>./workbench run</c> command over explicit streams, so the CLI verb is a one-line shell around it and tests
/// drive the same code in-process.
/// <code>
/// run [--json] [--trace] FILE         one experiment: a readable report, or (--json) its one-line JSON result
/// run --jsonl [--trace] FILE          one experiment per line (also chosen by a .jsonl file name); FILE "-" = stdin
/// </code>
/// Exit code: 0 when every experiment ran (faults are results), 1 when one was invalid, 2 for a usage error.
/// </summary>
public static class ExperimentCommand
{
    /// <summary>The usage text.</summary>
    public static string Usage { get; } =
        "usage: ./workbench run [--json] [--trace] [--variant NAME] FILE   run one experiment (readable report, or its JSON result line)\n"
        + "       ./workbench run --jsonl [--trace] [--variant NAME] FILE  one experiment per line, one JSON result line each (FILE - = stdin)\n"
        + "  --variant NAME   the MMU organization to run under (default 6.12; registered: " + string.Join(", ", Contexts.ContextLayouts.Names) + ")\n"
        + "Format: docs/experiment-format.md; examples: datasets/experiments/.";

    /// <summary>Runs the command.</summary>
    /// <param name="args">Arguments after <c>run</c>.</param>
    /// <param name="stdin">Read when FILE is <c>-</c>.</param>
    /// <param name="stdout">Results.</param>
    /// <param name="stderr">Usage and I/O errors.</param>
    /// <returns>The process exit code.</returns>
    public static int Run(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        var json = false;
        var jsonLines = false;
        var trace = false;
        var variant = Contexts.ContextLayouts.Default;
        string? path = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--variant":
                    if (i + 1 >= args.Count || !Contexts.ContextLayouts.Exists(args[i + 1]))
                    {
                        stderr.WriteLine($"workbench run: --variant needs one of {string.Join(", ", Contexts.ContextLayouts.Names)}"
                            + (i + 1 < args.Count ? $" (got '{args[i + 1]}')" : ""));
                        return 2;
                    }

                    variant = args[++i];
                    break;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    return 0;
                case "--json":
                    json = true;
                    break;
                case "--jsonl":
                    jsonLines = true;
                    break;
                case "--trace":
                    trace = true;
                    break;
                default:
                    if ((arg.StartsWith('-') && arg != "-") || path is not null)
                    {
                        stderr.WriteLine($"workbench run: unexpected argument '{arg}'");
                        stderr.WriteLine(Usage);
                        return 2;
                    }

                    path = arg;
                    break;
            }
        }

        if (path is null)
        {
            stderr.WriteLine("workbench run: no experiment file given");
            stderr.WriteLine(Usage);
            return 2;
        }

        string text;
        try
        {
            text = path == "-" ? stdin.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"workbench run: cannot read {path}: {failure.Message}");
            return 2;
        }

        var options = new RunOptions(Trace: trace, Layout: variant);
        if (jsonLines || path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var summary = ExperimentBatch.RunJsonLines(new StringReader(text), stdout, options);
            return summary.Invalid == 0 ? 0 : 1;
        }

        ExperimentResult result;
        Experiment? experiment = null;
        if (ExperimentParser.TryParse(text, out var parsed, out var error))
        {
            experiment = parsed;
            result = ExperimentRunner.Run(parsed!, options);
        }
        else
        {
            result = ExperimentResult.Invalid(error!.ExperimentName, error.Message);
        }

        stdout.Write(json ? ExperimentResultWriter.ToJson(result) + "\n" : ExperimentReport.ToText(experiment, result));
        return result.Succeeded ? 0 : 1;
    }
}
