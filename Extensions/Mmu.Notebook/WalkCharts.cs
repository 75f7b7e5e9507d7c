using System.Globalization;
using Workbench.Charts;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook;

/// <summary>Charts of walk traces.</summary>
public static class WalkCharts
{
    /// <summary>
    /// The walk as a path through the levels: x is the order of the page-table accesses, y the level of the entry
    /// (root at the top). Reads are joined by a line, so a 4-level walk is a staircase from L4 down to L1; A/D
    /// write-backs are separate, highlighted markers at the level of the entry they updated.
    /// </summary>
    /// <param name="trace">The trace of one walk (or several; accesses keep their order).</param>
    /// <param name="title">Chart title; default "Page walk: N reads, M A/D writes".</param>
    public static Figure Levels(WalkTrace trace, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return Levels(trace.Entries, title);
    }

    /// <summary>The same chart for the entries of an experiment's traced access (<c>AccessResult.Trace</c>).</summary>
    public static Figure Levels(IReadOnlyList<TraceEntry> entries, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var reads = new List<(int Order, TraceEntry Entry)>();
        var writes = new List<(int Order, TraceEntry Entry)>();
        for (int i = 0; i < entries.Count; i++)
        {
            (entries[i].Kind == TraceKind.Write ? writes : reads).Add((i + 1, entries[i]));
        }

        ulong?[] previous = Bits.PreviousValues(entries);
        var readTrace = new Scatter
        {
            Name = "page-table read",
            Mode = "lines+markers+text",
            X = reads.Select(r => r.Order).ToArray(),
            Y = reads.Select(r => r.Entry.Level).ToArray(),
            Text = reads.Select(r => Bits.SetNames(r.Entry.Value, Bits.EntryBits)).ToArray(),
            HoverTemplate = "access %{x}: L%{y} entry<br>%{customdata}<extra></extra>",
            Marker = { Size = 12, Symbol = "circle" },
        };
        readTrace.Extra["textposition"] = "middle right";
        readTrace.Extra["customdata"] = reads.Select(r => $"{Bits.Hex(r.Entry.Gpa)} = {Bits.Hex(r.Entry.Value)}").ToArray();

        var writeTrace = new Scatter
        {
            Name = "A/D write-back",
            Mode = "markers+text",
            X = writes.Select(w => w.Order).ToArray(),
            Y = writes.Select(w => w.Entry.Level).ToArray(),
            Text = writes.Select(w => previous[w.Order - 1] is ulong before ? Bits.AccessedDirtyChange(before, w.Entry.Value) : "A/D").ToArray(),
            HoverTemplate = "access %{x}: L%{y} write-back<br>%{customdata}<extra></extra>",
            Marker = { Size = 16, Symbol = "diamond", Color = "#ff9f1c", Line = { Color = "#c0392b", Width = 2 } },
        };
        writeTrace.Extra["textposition"] = "top center";
        writeTrace.Extra["customdata"] = writes.Select(w => $"{Bits.Hex(w.Entry.Gpa)} = {Bits.Hex(w.Entry.Value)}").ToArray();

        int maxLevel = entries.Count == 0 ? 4 : Math.Max(1, entries.Max(e => e.Level));
        var figure = new Figure(readTrace, writeTrace)
        {
            Layout =
            {
                Title = title ?? string.Create(CultureInfo.InvariantCulture, $"Page walk: {reads.Count(r => r.Entry.Kind == TraceKind.Read)} reads, {writes.Count} A/D write-backs"),
                Height = 320,
                XAxis = { Title = "access order", DTick = 1, ZeroLine = false },
                YAxis = { Title = "level", DTick = 1, Range = new object[] { 0.5, maxLevel + 0.5 }, ZeroLine = false },
                Margin = { Top = 50, Bottom = 50 },
            },
        };
        return figure;
    }
}
