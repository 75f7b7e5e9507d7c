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
    public const string Usage =
        "usage: ./workbench run [--json] [--trace] FILE      run one experiment (readable report, or its JSON result line)\n"
        + "       ./workbench run --jsonl [--trace] FILE     one experiment per line, one JSON result line each (FILE - = stdin)\n"
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
        string? path = null;
        foreach (var arg in args)
        {
            switch (arg)
            {
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

        var options = new RunOptions(Trace: trace);
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
