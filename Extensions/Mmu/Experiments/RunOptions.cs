using Workbench.Mmu.Contexts;

namespace Workbench.Mmu.Experiments;

/// <summary>How <see cref="ExperimentRunner"/> runs an experiment.</summary>
/// <param name="Trace">Record every page-table read and write of each access (<c>"trace"</c> in the JSON result),
/// and which contexts served it (<c>"contexts"</c>).</param>
/// <param name="Layout">The MMU organization (structure variant) to run under; <c>"6.12"</c> by default.</param>
/// <param name="BeforeAccess">Called with the VM and the step index just before each access or store step runs (after
/// the level switch): analyses read who is about to serve it (e.g. naming fit).</param>
public sealed record RunOptions(bool Trace = false, string Layout = ContextLayouts.Default, Action<Vm, int>? BeforeAccess = null)
{
    /// <summary>No tracing, the default organization.</summary>
    public static RunOptions Default { get; } = new();
}
