using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// One experiment as run in a notebook: where it came from, what it was (null when it did not parse) and what it
/// produced. Displays as a step table; <c>#!mmu-run</c> shows one per experiment of a file.
/// </summary>
/// <param name="Source">File (and line, for JSON lines) the experiment came from, e.g. <c>batch.jsonl:3</c>.</param>
/// <param name="Experiment">The parsed experiment, or null when it is invalid JSON or violates the format.</param>
/// <param name="Result">The result; <see cref="ExperimentResult.Error"/> names the offending field when invalid.</param>
public sealed record ExperimentRun(string Source, Experiment? Experiment, ExperimentResult Result)
{
    /// <summary>The experiment's name, or its source when it has none.</summary>
    public string Title => Result.Name ?? Experiment?.Name ?? Source;

    /// <summary>True when the experiment ran (its steps may still fault: faults are results).</summary>
    public bool Succeeded => Result.Succeeded;

    /// <summary>Runs an experiment built in C# (e.g. from a <see cref="PageTableBuilder"/>).</summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="trace">Record every page-table read and A/D write of each access.</param>
    public static ExperimentRun Of(Experiment experiment, bool trace = false)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return new ExperimentRun("(C#)", experiment, ExperimentRunner.Run(experiment, new RunOptions(Trace: trace)));
    }
}
