namespace Workbench.Mmu.Experiments;

/// <summary>How <see cref="ExperimentRunner"/> runs an experiment.</summary>
/// <param name="Trace">Record every page-table read and write of each access (<c>"trace"</c> in the JSON result).</param>
public sealed record RunOptions(bool Trace = false)
{
    /// <summary>No tracing.</summary>
    public static RunOptions Default { get; } = new();
}
