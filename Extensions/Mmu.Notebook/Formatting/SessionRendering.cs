using System.Globalization;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Commands;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Notebook.Html;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>Renderings of what the building commands report: mappings, peeks, pokes, sweep progress.</summary>
public static class SessionRendering
{
    /// <summary>Hands these renderings to <paramref name="registry"/>.</summary>
    public static void RegisterAll(IMmuFormatterRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<MapReport>(r => MmuFormatters.Html(MapHtml(r)), MapText);
        registry.Add<PeekReport>(r => MmuFormatters.Html(new HtmlElement("div", Theme.Code($"[{Bits.Hex(r.Gpa)}] = {Bits.Hex(r.Value)}"))), r => $"[{Bits.Hex(r.Gpa)}] = {Bits.Hex(r.Value)}");
        registry.Add<PokeReport>(r => MmuFormatters.Html(new HtmlElement("div", Theme.Code(PokeText(r)))), PokeText);
        registry.Add<SweepProgress>(p => MmuFormatters.Html(ProgressHtml(p)), ProgressText);
    }

    /// <summary>The types rendered here.</summary>
    public static IReadOnlyList<Type> FormattedTypes { get; } = [typeof(MapReport), typeof(PeekReport), typeof(PokeReport), typeof(SweepProgress)];

    /// <summary>A card: what was mapped where, then every word written (tables first, the leaf last).</summary>
    public static HtmlElement MapHtml(MapReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = new HtmlTable("GPA", "before", "after", "bits set")
        {
            Caption = report.AsSteps ? "words written (as poke steps: the guest had run steps)" : "words written (initial memory)",
        };
        foreach (MemoryWrite write in report.Writes)
        {
            table.AddRow(Bits.Hex(write.Gpa), Bits.Hex(write.Before), Bits.Hex(write.After), Bits.SetNames(write.After, report.Mode.IsEpt() ? Bits.EptEntryBits : Bits.EntryBits));
        }

        return Theme.Card(Title(report), table.ToElement());
    }

    /// <summary>One line for the mapping and one per word written.</summary>
    public static string MapText(MapReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var lines = new List<string> { Title(report) };
        lines.AddRange(report.Writes.Select(w => $"  {Bits.Hex(w.Gpa)}: {Bits.Hex(w.Before)} -> {Bits.Hex(w.After)}"));
        return string.Join('\n', lines);
    }

    private static string Title(MapReport report)
    {
        string tables = report.Tables switch
        {
            MapTables.Tdp => $"L1's {(report.Mode.IsEpt() ? "EPT" : "NPT")} tables",
            MapTables.L1 => "L1's tables",
            _ => "the guest's tables",
        };
        string input = report.Tables == MapTables.Tdp ? "L2 GPA" : "GVA";
        string output = report.Tables == MapTables.Tdp ? "L1 GPA" : "GPA";
        return string.Create(CultureInfo.InvariantCulture,
            $"{report.Guest}: {input} {Bits.Hex(report.Address)} → {output} {Bits.Hex(report.Target)} ({Bits.PageSize(report.Size)}) in {tables} ({report.Mode.DisplayName()}), leaf {Bits.Hex(report.Leaf)}");
    }

    private static string PokeText(PokeReport report) => $"[{Bits.Hex(report.Gpa)}] {Bits.Hex(report.Before)} → {Bits.Hex(report.After)}";

    private static HtmlElement ProgressHtml(SweepProgress progress)
    {
        double fraction = progress.CasesPlanned > 0 ? Math.Min(1, (double)progress.CasesRun / progress.CasesPlanned) : 0;
        var bar = new HtmlElement("progress")
            .Attr("max", "1")
            .Attr("value", fraction.ToString("0.###", CultureInfo.InvariantCulture));
        return new HtmlElement("div", bar, " ", ProgressText(progress));
    }

    private static string ProgressText(SweepProgress progress) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{progress.CasesRun:N0}{(progress.CasesPlanned > 0 ? $" of {progress.CasesPlanned:N0}" : string.Empty)} cases, {progress.Elapsed.TotalSeconds:0.0} s");
}
