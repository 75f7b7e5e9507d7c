using Workbench.Charts;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Notebook.Commands;

/// <summary>The charts the commands show after their reports, chosen in one place.</summary>
public static class CommandCharts
{
    /// <summary>The chart of an access's walk.</summary>
    public static Figure Walk(AccessReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return WalkCharts.Levels(report.Trace);
    }

    /// <summary>The chart of a dump: SPTEs per MMU object and level.</summary>
    public static Figure Dump(DumpReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var traces = report.Mmus.Select(m => (Trace)new Bar
        {
            Name = m.Mmu,
            X = m.ShadowPages.GroupBy(p => p.Level).OrderBy(g => g.Key).Select(g => (object)$"level {g.Key}").ToArray(),
            Y = m.ShadowPages.GroupBy(p => p.Level).OrderBy(g => g.Key).Select(g => (object)g.Sum(p => p.Sptes.Length)).ToArray(),
        }).ToArray();
        return new Figure(traces) { Layout = { Title = "SPTEs per shadow-page level", Height = 300 } };
    }

    /// <summary>The charts of a sweep's outcomes.</summary>
    public static IReadOnlyList<Figure> Sweep(SweepOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return [];
    }
}
