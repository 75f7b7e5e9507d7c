namespace Workbench.Mmu.Experiments;

/// <summary>
/// Runs experiments from text, as <c>./workbench run</c> and other tools do: parse, run on a fresh VM, report.
/// Each experiment is its own error boundary: an invalid one yields an error result and the batch goes on.
/// </summary>
public static class ExperimentBatch
{
    /// <summary>Parses and runs one experiment document; a parse error becomes the result's <c>"error"</c>.</summary>
    /// <param name="json">One experiment object.</param>
    /// <param name="options">Run options.</param>
    /// <param name="firstLineNumber">Line of <paramref name="json"/>'s first line in its file, for syntax errors.</param>
    public static ExperimentResult RunText(string json, RunOptions? options = null, int firstLineNumber = 1)
    {
        return ExperimentParser.TryParse(json, out var experiment, out var error, firstLineNumber)
            ? ExperimentRunner.Run(experiment!, options)
            : ExperimentResult.Invalid(error!.ExperimentName, error.Message);
    }

    /// <summary>
    /// Runs a JSON-lines stream: each non-blank line is one experiment on a fresh VM; writes exactly one result
    /// line per experiment, in input order.
    /// </summary>
    /// <returns>How many experiments ran and how many were invalid.</returns>
    public static BatchSummary RunJsonLines(TextReader input, TextWriter output, RunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var lineNumber = 0;
        var total = 0;
        var invalid = 0;
        while (input.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var result = RunText(line, options, lineNumber);
            total++;
            if (!result.Succeeded)
            {
                invalid++;
            }

            output.Write(ExperimentResultWriter.ToJson(result));
            output.Write('\n');
        }

        return new BatchSummary(total, invalid);
    }
}

/// <summary>Counts of a <see cref="ExperimentBatch.RunJsonLines"/> run.</summary>
/// <param name="Experiments">Experiments read (non-blank lines).</param>
/// <param name="Invalid">Experiments that produced an <c>"error"</c> result.</param>
public readonly record struct BatchSummary(int Experiments, int Invalid);
