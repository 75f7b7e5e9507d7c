using System.Globalization;
using Workbench.Charts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook;

/// <summary>Charts of one access: its page walk as a grid of the page-table reads.</summary>
public static class AccessCharts
{
    private static readonly object s_tdpScale = new object[] { new object[] { 0, "rgba(13,110,253,0.25)" }, new object[] { 1, "rgba(13,110,253,0.85)" } };
    private static readonly object s_guestScale = new object[] { new object[] { 0, "rgba(25,135,84,0.35)" }, new object[] { 1, "rgba(25,135,84,0.9)" } };

    /// <summary>
    /// The walk as a grid, one cell per page-table read, numbered in the order the walker made them. A 2-D walk
    /// (L2 under L1's EPT/NPT) has one row per guest table (its EPT/NPT reads, then the guest entry) and a last row
    /// for the final GPA's EPT/NPT walk: 24 reads for 4-level over 4-level, 35 for 5 over 5. A 1-D walk is one row.
    /// Reads whose entry the walker then wrote back (A/D) are marked <c>*</c>.
    /// </summary>
    public static Figure Walk(AccessReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Walk(report.Trace, report.Mode, report.NestedMode);
    }

    /// <summary>The same grid for a <c>gva_to_gpa</c> (<see cref="WalkReport"/>); its dimensions are read off the trace.</summary>
    public static Figure Walk(WalkReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Walk(report.Trace, report.Mode, report.NestedMode);
    }

    private static Figure Walk(IReadOnlyList<TraceEntry> trace, PagingMode mode, PagingMode nestedMode)
    {
        WalkGrid grid = WalkGrid.Of(trace, mode, nestedMode);
        int guestReads = grid.Cells.Count(c => !c.Read.Tdp);
        int tdpReads = grid.Cells.Count - guestReads;
        string title = grid.TwoDimensional
            ? string.Create(CultureInfo.InvariantCulture, $"2-D walk: {grid.Cells.Count} reads ({guestReads} guest + {tdpReads} {grid.TdpName})")
            : string.Create(CultureInfo.InvariantCulture, $"1-D walk: {grid.Cells.Count} read{(grid.Cells.Count == 1 ? string.Empty : "s")}");
        var figure = new Figure(
            Cells(grid, grid.TdpName + " read", tdp: true, s_tdpScale),
            Cells(grid, "guest entry read", tdp: false, s_guestScale))
        {
            Layout =
            {
                Title = title,
                Height = 140 + (44 * grid.Rows.Count),
                XAxis = { Type = "category", AutoMargin = true },
                YAxis = { Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50, Bottom = 40 },
            },
        };
        figure.Layout.XAxis.Extra["side"] = "top";
        return figure;
    }

    private static Heatmap Cells(WalkGrid grid, string name, bool tdp, object colorScale)
    {
        var z = grid.Rows.Select(_ => new int?[grid.Columns.Count]).ToList();
        // Both traces cover the whole grid; a cell of the other trace must write nothing here (plotly writes "null").
        var text = grid.Rows.Select(_ => Enumerable.Repeat(string.Empty, grid.Columns.Count).ToArray()).ToList();
        var hover = grid.Rows.Select(_ => Enumerable.Repeat(string.Empty, grid.Columns.Count).ToArray()).ToList();
        foreach (WalkGrid.Cell cell in grid.Cells.Where(c => c.Read.Tdp == tdp))
        {
            WalkRead read = cell.Read;
            z[cell.Row][cell.Column] = read.Order;
            text[cell.Row][cell.Column] = read.Order.ToString(CultureInfo.InvariantCulture) + (read.WrittenBack is null ? string.Empty : "*");
            hover[cell.Row][cell.Column] = string.Create(CultureInfo.InvariantCulture,
                $"read {read.Order}: L{read.Entry.Level} entry at {Bits.Hex(read.Entry.Gpa)}<br>= {Bits.Hex(read.Entry.Value)} [{Bits.SetNames(read.Entry.Value, read.EntryBits)}]{(read.WrittenBack is null ? string.Empty : "<br>A/D written back: " + read.AccessedDirtyChange)}");
        }

        var heatmap = new Heatmap
        {
            Name = name,
            Z = z,
            X = grid.Columns,
            Y = grid.Rows,
            Text = text,
            TextTemplate = "%{text}",
            ZMin = 1,
            ZMax = Math.Max(1, grid.Cells.Count),
            ColorScale = colorScale,
            ShowScale = false,
            XGap = 3,
            YGap = 3,
            HoverOnGaps = false,
            HoverTemplate = "%{customdata}<extra>%{y} · %{x}</extra>",
        };
        heatmap.Extra["customdata"] = hover;
        return heatmap;
    }
}

/// <summary>
/// Where each page-table read of a walk goes in <see cref="AccessCharts.Walk(AccessReport)"/>'s grid. A nested walk
/// translates each guest table's GPA through the EPT/NPT (dimension 2 reads) before reading the guest entry
/// (dimension 1), then translates the final GPA (KVM <c>walk_addr_generic</c> calling <c>translate_nested_gpa</c>
/// per level, SDM Vol. 3C 29.3.2).
/// </summary>
internal sealed class WalkGrid
{
    private WalkGrid(bool twoDimensional, string tdpName, List<string> rows, List<string> columns, List<Cell> cells)
    {
        TwoDimensional = twoDimensional;
        TdpName = tdpName;
        Rows = rows;
        Columns = columns;
        Cells = cells;
    }

    /// <summary>The walk has EPT/NPT reads.</summary>
    public bool TwoDimensional { get; }

    /// <summary><c>EPT</c> or <c>NPT</c> (or <c>EPT/NPT</c> when the report does not say).</summary>
    public string TdpName { get; }

    /// <summary>Row labels, top to bottom.</summary>
    public List<string> Rows { get; }

    /// <summary>Column labels, left to right.</summary>
    public List<string> Columns { get; }

    /// <summary>One cell per read (PDPTR register uses included: they stand for the guest's PDPTE).</summary>
    public List<Cell> Cells { get; }

    /// <summary>Lays out <paramref name="trace"/>'s reads.</summary>
    public static WalkGrid Of(IReadOnlyList<TraceEntry> trace, PagingMode mode, PagingMode nestedMode)
    {
        ArgumentNullException.ThrowIfNull(trace);
        IReadOnlyList<WalkRead> reads = WalkRead.Of(trace, nestedMode);
        bool nested = reads.Any(r => r.Tdp);
        return nested ? TwoDimensionalGrid(reads, mode, Formatting.MmuHtml.TdpName(nestedMode)) : OneDimensionalGrid(reads);
    }

    private static WalkGrid OneDimensionalGrid(IReadOnlyList<WalkRead> reads)
    {
        int top = reads.Count == 0 ? 4 : reads.Max(r => r.Entry.Level);
        int bottom = reads.Count == 0 ? 1 : reads.Min(r => r.Entry.Level);
        var columns = Enumerable.Range(bottom, top - bottom + 1).Reverse().Select(LevelName).ToList();
        var cells = reads.Select(r => new Cell(0, top - r.Entry.Level, r)).ToList();
        return new WalkGrid(false, "EPT/NPT", ["guest walk"], columns, cells);
    }

    private static WalkGrid TwoDimensionalGrid(IReadOnlyList<WalkRead> reads, PagingMode mode, string tdpName)
    {
        int tdpTop = reads.Where(r => r.Tdp).Max(r => r.Entry.Level);
        var columns = Enumerable.Range(1, tdpTop).Reverse().Select(level => $"{tdpName} {LevelName(level)}").Append("guest entry").ToList();
        var rows = new List<string>();
        var cells = new List<Cell>();
        var pending = new List<Cell>();
        TraceEntry? lastGuest = null;
        foreach (WalkRead read in reads)
        {
            TraceEntry entry = read.Entry;
            if (read.Tdp)
            {
                pending.Add(new Cell(rows.Count, tdpTop - entry.Level, read));
                continue;
            }

            // A guest entry closes the row of its table: the EPT/NPT reads before it translated that table's GPA.
            rows.Add("guest " + LevelName(entry.Level));
            cells.AddRange(pending);
            cells.Add(new Cell(rows.Count - 1, columns.Count - 1, read));
            pending.Clear();
            lastGuest = entry;
        }

        if (pending.Count > 0)
        {
            rows.Add(TrailingRow(lastGuest, mode));
            cells.AddRange(pending);
        }

        return new WalkGrid(true, tdpName, rows, columns, cells);
    }

    // The reads after the last guest entry translate the next guest table, or the final GPA when that entry was a
    // leaf (level 1, or PS set at a higher level: SDM Vol. 3A 4.5.4).
    private static string TrailingRow(TraceEntry? lastGuest, PagingMode mode)
    {
        if (lastGuest is not TraceEntry guest)
        {
            return mode switch
            {
                PagingMode.Long5 => "guest " + LevelName(5),
                PagingMode.Long4 => "guest " + LevelName(4),
                PagingMode.Legacy32 => "guest " + LevelName(2),
                _ => "guest root table",
            };
        }

        bool leaf = guest.Level == 1 || (guest.Kind == TraceKind.Read && (guest.Value & (1UL << 7)) != 0);
        return leaf ? "final GPA" : "guest " + LevelName(guest.Level - 1);
    }

    private static string LevelName(int level) => "L" + level.ToString(CultureInfo.InvariantCulture);

    /// <summary>One read in the grid.</summary>
    /// <param name="Row">Row index.</param>
    /// <param name="Column">Column index.</param>
    /// <param name="Read">The read.</param>
    internal readonly record struct Cell(int Row, int Column, WalkRead Read);
}
