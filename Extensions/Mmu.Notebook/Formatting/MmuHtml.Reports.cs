using System.Globalization;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Notebook.Html;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Shadow;
using Workbench.Mmu.Walk;
using static Workbench.Mmu.Notebook.Html.Theme;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>The renderings of what the <c>#!mmu-*</c> commands show: guest cards, access / walk / fault reports, dumps, sweeps.</summary>
public static partial class MmuHtml
{
    /// <summary>SPTE rows a dump shows per MMU object before it says how many more there are.</summary>
    public const int MaxDumpSpteRows = 256;

    /// <summary>
    /// Whether the access, walk, dump and sweep renderings carry their charts (the default). A chart output carries
    /// plotly.js unless <see cref="Charts.PlotlyLibrary.EmbedMode"/> is <c>FirstChartOnly</c> (4.8 MB, about 30 ms to
    /// format); with this off the renderings are tables only and a cell shows the chart on its own
    /// (<see cref="AccessCharts.Walk(AccessReport)"/>, <see cref="DumpCharts.ShadowPages"/>, <see cref="SweepCharts"/>).
    /// </summary>
    public static bool EmbedCharts
    {
        get => s_chartsOff.Value ? false : s_embedCharts;
        set => s_embedCharts = value;
    }

    private static bool s_embedCharts = true;
    private static readonly AsyncLocal<bool> s_chartsOff = new();

    /// <summary>
    /// Renders without charts until disposed, on this flow only (a command's <c>--no-chart</c>): other cells and
    /// threads keep <see cref="EmbedCharts"/>.
    /// </summary>
    public static IDisposable WithoutCharts()
    {
        bool before = s_chartsOff.Value;
        s_chartsOff.Value = true;
        return new Restore(() => s_chartsOff.Value = before);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>
    /// A guest's card: the VM, the running level's registers with decoded bits and its CPU role, the root role, the
    /// MMU objects, walkers and pointers of the context organization, and who serves an access now.
    /// </summary>
    public static HtmlElement GuestCard(GuestCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var element = Card(string.Create(CultureInfo.InvariantCulture, $"guest {card.Name} · L{card.Level} running · {ModeName(card.Mode)} · organization {card.Variant}") + NamesNote(card.Variant));
        element.Add(new HtmlElement("div", Faint(VmLine(card.Vm) + string.Create(CultureInfo.InvariantCulture, $" · {card.Steps} step{(card.Steps == 1 ? string.Empty : "s")} so far"))));
        if (card.Nested is { } nested)
        {
            element.Add(new HtmlElement("div", "L2 under ", Badge(NestedText(nested), Tone.Neutral)));
            element.Add(new HtmlElement("div", Faint("L1 registers: "), RegisterLine(card.L1Registers)));
        }

        element.Add(RegisterCard(card.Level == 2 ? "L2 registers" : "registers", card.Registers, card.CpuRole, null));
        element.Add(new HtmlElement("div", "root_role of arch.mmu ", Code(Bits.Hex(card.RootRole.Word)), " ", Faint(Bits.RoleFields(card.RootRole))));

        string active = card.Serving.Mmu;
        var mmus = new HtmlTable("MMU object", "root_role", "page fault", "root", "prev_roots") { Caption = "MMU objects (struct kvm_mmu)" };
        mmus.DescribeColumn("root", "the guest table the loaded root shadows (CR3, EPTP or nCR3 address; 0 for a direct TDP root)");
        foreach (MmuObjectCard mmu in card.Mmus)
        {
            object?[] cells =
            [
                DisplayNames.Mmu(mmu.Name), RoleCell(mmu.RootRole), FaultHandlerName(mmu.PageFault),
                mmu.Root is ulong root ? Bits.Hex(root) : Faint("none loaded"), mmu.PrevRoots.ToString(CultureInfo.InvariantCulture),
            ];
            if (mmu.Name == active)
            {
                mmus.AddStyledRow(HighlightRow, "arch.mmu: handles faults now", cells);
            }
            else
            {
                mmus.AddRow(cells);
            }
        }

        var walkers = new HtmlTable("walker", "paging", "cpu_role", "root", "GPAs through") { Caption = "walkers" };
        foreach (WalkerCard walker in card.Walkers)
        {
            walkers.AddRow(DisplayNames.Walker(walker.Name), ModeName(walker.Mode), Bits.Hex(walker.CpuRole), Bits.Hex(walker.Root), walker.TranslatesThrough is { } through ? DisplayNames.Walker(through) : (object)Faint("-"));
        }

        element.Add(mmus.ToElement(), walkers.ToElement());
        element.Add(new HtmlElement("div", "pointers: ", card.Pointers.Select(p => new HtmlElement("span", Code(DisplayNames.Pointer(p.Pointer)), " → ", Code(DisplayNames.PointerTarget(p.Pointer, p.Target)), "  "))));
        element.Add(new HtmlElement("div", "an access now: ", ServingText(card.Serving)));
        return element;
    }

    /// <summary>
    /// One access: the step, its result (ok / #PF with decoded error code / VM exit with decoded qualification or
    /// EXITINFO1), who served it, the walk (one row per page-table read), the SPTEs it made, and the walk's grid chart.
    /// </summary>
    public static HtmlElement AccessReport(AccessReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var element = Card(AccessTitle(report));
        element.Add(AccessBody(report));
        return element;
    }

    /// <summary>A <c>gva_to_gpa</c> through one walker: the access bits asked for, the result and the walk.</summary>
    public static HtmlElement WalkReport(WalkReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var element = Card($"gva_to_gpa {Bits.Hex(report.Gva)} through {DisplayNames.Walker(report.Walker)} · guest {report.Guest}");
        element.Add(new HtmlElement("div", "access ", Code(Bits.Hex(report.Access)), " ",
            Chip("W", (report.Access & (ulong)PfErr.Write) != 0, "write"), Chip("U", (report.Access & (ulong)PfErr.User) != 0, "user"),
            Chip("F", (report.Access & (ulong)PfErr.Fetch) != 0, "instruction fetch"),
            Faint(" · guest memory unchanged: the walk's A/D writes were undone")));
        element.Add(WalkResult(report.Result));
        element.Add(AccessWalk(report.Trace, report.NestedMode, report.Mode));
        element.Add(Chart(() => AccessCharts.Walk(report)));
        return element;
    }

    /// <summary>What <c>#!mmu-fault</c> did: the explanation, the changes in order, then the access report.</summary>
    public static HtmlElement FaultReport(FaultReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var element = Card("fault: " + report.Kind);
        element.Add(new HtmlElement("div", Badge(report.Kind, Tone.Fault), " ", new HtmlElement("strong", report.Explanation)));
        var changes = new HtmlElement("ol");
        foreach (string change in report.Changes)
        {
            changes.Add(new HtmlElement("li", Code(change)));
        }

        element.Add(new HtmlElement("div", "changes made to the guest:"), report.Changes.IsDefaultOrEmpty ? Faint("none") : changes);
        element.Add(new HtmlElement("div", new HtmlElement("strong", AccessTitle(report.Access))), AccessBody(report.Access));
        return element;
    }

    /// <summary>Every MMU object's roots, shadow pages and SPTEs, and a chart of the shadow pages.</summary>
    public static HtmlElement DumpReport(DumpReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        int pages = report.Mmus.Sum(m => m.ShadowPages.Length);
        var element = Card(string.Create(CultureInfo.InvariantCulture, $"MMU state of {report.Guest} · organization {report.Variant} · {pages} shadow page{(pages == 1 ? string.Empty : "s")}"));
        if (report.Mmus.IsDefaultOrEmpty)
        {
            return element.Add(Faint("no MMU object has a root loaded"));
        }

        foreach (MmuDump mmu in report.Mmus)
        {
            element.Add(MmuDumpSection(mmu));
        }

        element.Add(Chart(() => DumpCharts.ShadowPages(report)));
        return element;
    }

    /// <summary>An access.c sweep: the summary (cases, mismatches, the first mismatch), error codes, fault rate by flag, and their charts.</summary>
    public static HtmlElement SweepOutcomes(SweepOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        Sweeps.AccessSweepResult sweep = outcomes.Sweep;
        Sweeps.AccessSweepOptions options = sweep.Options;
        var element = Card(string.Create(CultureInfo.InvariantCulture,
            $"access.c sweep · {options.Levels}-level · MAXPHYADDR {options.MaxPhyAddr}{(options.Pku ? " · PKU" : string.Empty)} · tdp {(options.Tdp?.ToString().ToLowerInvariant() ?? "walks only")} · organization {options.Layout}"));
        Tone verdict = sweep.Mismatches == 0 ? Tone.Ok : Tone.Fault;
        element.Add(new HtmlElement("div",
            Badge(sweep.Mismatches == 0 ? "model agrees" : string.Create(CultureInfo.InvariantCulture, $"{sweep.Mismatches:N0} mismatch{(sweep.Mismatches == 1 ? string.Empty : "es")}"), verdict),
            string.Create(CultureInfo.InvariantCulture, $" {sweep.CasesRun:N0} cases run of {sweep.CasesPlanned:N0} planned ({sweep.LegalCases:N0} legal"),
            string.Create(CultureInfo.InvariantCulture, $"{(options.EffectiveShard.Count > 1 ? $", shard {options.EffectiveShard}" : string.Empty)}{(options.Limit is long limit ? $", limit {limit:N0}" : string.Empty)})"),
            Faint(string.Create(CultureInfo.InvariantCulture, $" · {outcomes.Succeeded:N0} completed, {outcomes.Faults:N0} #PF · {sweep.Elapsed.TotalSeconds:F2} s, {sweep.CasesPerSecond:N0} cases/s"))));
        if (sweep.FirstMismatch is { } first)
        {
            element.Add(new HtmlElement("div", Badge("first mismatch", Tone.Fault), " ", Code(Bits.Hex((uint)first.Case)), " ", first.CaseNames),
                new HtmlElement("div", Faint(first.Reason)),
                new HtmlElement("div", Faint("replay: "), Code(first.ReproductionLine)));
        }

        var codes = new HtmlTable("error code", "bits", "cases", "share of faults", "why") { Caption = "#PF error codes of the faulting cases" };
        long faults = outcomes.Faults;
        foreach ((uint code, long count) in outcomes.ErrorCodes)
        {
            codes.AddRow(Bits.Hex(code), ErrorCodeChips((PfErr)code), count.ToString("N0", CultureInfo.InvariantCulture),
                Percent(count, faults), Faint(Bits.ExplainErrorCode((PfErr)code)));
        }

        var flags = new HtmlTable("flag", "cases with it", "faulted", "fault rate") { Caption = "by access.c flag (flags that never varied are left out)" };
        foreach (FlagOutcome flag in outcomes.Flags.Where(f => f.Cases > 0))
        {
            flags.AddRow(Code(flag.Flag), flag.Cases.ToString("N0", CultureInfo.InvariantCulture), flag.Faults.ToString("N0", CultureInfo.InvariantCulture), Percent(flag.Faults, flag.Cases));
        }

        element.Add(codes.ToElement(), Chart(() => SweepCharts.ErrorCodes(outcomes)), flags.ToElement(), Chart(() => SweepCharts.FaultRateByFlag(outcomes)));
        return element;
    }

    /// <summary>
    /// A walk as KVM's tracepoints see it: one row per page-table read (PDPTR register uses included), with the
    /// dimension in a nested walk, the entry decoded in its own format (EPT bits for EPT entries), and the A/D bits
    /// the walker then wrote back into it.
    /// </summary>
    /// <param name="entries">The trace.</param>
    /// <param name="nestedMode">Format of the dimension-1 entries (EPT or NPT), <see cref="PagingMode.None"/> when unknown.</param>
    public static HtmlElement AccessWalk(IReadOnlyList<TraceEntry> entries, PagingMode nestedMode, PagingMode mode = PagingMode.None)
    {
        ArgumentNullException.ThrowIfNull(entries);
        string tdpName = TdpName(nestedMode);
        var table = new HtmlTable("#", "dimension", "level", "entry address", "value", "bits set", "next / frame", "A/D written back");
        table.DescribeColumn("entry address", "where the entry was read: a guest-physical address of the level that owns the table (L1's for EPT/NPT entries)");
        IReadOnlyList<WalkRead> walk = WalkRead.Of(entries, nestedMode, mode);
        foreach (WalkRead read in walk)
        {
            TraceEntry entry = read.Entry;
            object?[] cells =
            [
                read.Order.ToString(CultureInfo.InvariantCulture),
                read.Tdp ? tdpName : entry.Kind == TraceKind.PdptrRegister ? "guest (PDPTR register)" : "guest",
                "L" + entry.Level.ToString(CultureInfo.InvariantCulture),
                Bits.Hex(entry.Gpa),
                Bits.Hex(entry.Value),
                SetChips(entry.Value, read.EntryBits, read.IsEpt ? 0 : Bits.ProtectionKey(entry.Value)),
                read.Present ? Bits.Hex(entry.Value & Pte64.AddressMask) : Faint("not present"),
                read.AccessedDirtyChange,
            ];
            if (read.WrittenBack is not null)
            {
                table.AddStyledRow(HighlightRow, "the walker wrote A/D back into this entry", cells);
            }
            else
            {
                table.AddRow(cells);
            }
        }

        int reads = walk.Count;
        int writeBacks = walk.Count(r => r.WrittenBack is not null);
        table.Caption = string.Create(CultureInfo.InvariantCulture,
            $"walk: {reads} page-table read{(reads == 1 ? string.Empty : "s")}, {writeBacks} A/D write-back{(writeBacks == 1 ? string.Empty : "s")}");
        return table.ToElement();
    }

    private static HtmlElement[] AccessBody(AccessReport report)
    {
        var sptes = new HtmlTable("MMU", "shadow page", "role", "index", "before", "after", "bits set", "frame")
        {
            Caption = string.Create(CultureInfo.InvariantCulture, $"SPTEs created or changed: {report.Sptes.Length}"),
        };
        sptes.DescribeColumn("bits set", "bits that mean the same in the x86 and EPT SPTE formats (W, PS, SPTE_MMU_PRESENT)");
        foreach (SpteChange change in report.Sptes)
        {
            sptes.AddRow(
                DisplayNames.Mmu(change.Mmu),
                new HtmlElement("span", string.Create(CultureInfo.InvariantCulture, $"gfn {Bits.Hex(change.Gfn)} L{change.Level}"), change.NewPage ? new HtmlElement("span", " ", Badge("new", Tone.Notice)) : null),
                RoleCell(new PageRole(change.Role)),
                change.Index.ToString(CultureInfo.InvariantCulture),
                change.Before == 0 ? Faint("absent") : Bits.Hex(change.Before),
                Bits.Hex(change.After),
                SetChips(change.After, Bits.SpteBits(change.SpteFormat), 0),
                Bits.Hex(change.After & SpteFormat.AddressMask));
        }

        return
        [
            new HtmlElement("div", WalkResultInline(report.Result)),
            new HtmlElement("div", "served: ", ServingText(report.Contexts)),
            AccessWalk(report.Trace, report.NestedMode),
            report.Sptes.IsDefaultOrEmpty ? new HtmlElement("div", Faint("no SPTE was created or changed")) : sptes.ToElement(),
            new HtmlElement("div", Chart(() => AccessCharts.Walk(report))),
        ];
    }

    private static string AccessTitle(AccessReport report)
    {
        string nested = report.NestedMode == PagingMode.None ? string.Empty
            : $" over L1's {TdpName(report.NestedMode)} {TdpLevelsName(report.NestedMode)}";
        return string.Create(CultureInfo.InvariantCulture, $"access · {report.Guest} · {MmuText.Describe(report.Step)} · L{report.Level} {ModeName(report.Mode)}{nested}");
    }

    private static HtmlElement MmuDumpSection(MmuDump mmu)
    {
        var role = new PageRole(mmu.RootRole);
        var section = new HtmlElement("div",
            new HtmlElement("div", new HtmlElement("strong", DisplayNames.Mmu(mmu.Mmu)), " root_role ", Code(Bits.Hex(mmu.RootRole)), " ", Faint(Bits.RoleFields(role)),
                " · root shadows ", mmu.RootPgd == 0 ? Faint("nothing (direct)") : Code(Bits.Hex(mmu.RootPgd)),
                Faint(string.Create(CultureInfo.InvariantCulture, $" · {mmu.PrevRoots} prev_root{(mmu.PrevRoots == 1 ? string.Empty : "s")}"))));
        var pages = new HtmlTable("#", "gfn", "level", "role", "kind", "SPTEs") { Caption = string.Create(CultureInfo.InvariantCulture, $"shadow pages: {mmu.ShadowPages.Length}") };
        var sptes = new HtmlTable("page", "index", "SPTE", "bits set", "frame");
        sptes.DescribeColumn("bits set", "bits that mean the same in the x86 and EPT SPTE formats (W, PS, SPTE_MMU_PRESENT)");
        int total = mmu.ShadowPages.Sum(p => p.Sptes.Length);
        for (int i = 0; i < mmu.ShadowPages.Length; i++)
        {
            ShadowPageDump page = mmu.ShadowPages[i];
            string number = (i + 1).ToString(CultureInfo.InvariantCulture);
            pages.AddRow(number, Bits.Hex(page.Gfn), "L" + page.Level.ToString(CultureInfo.InvariantCulture), RoleCell(new PageRole(page.Role)),
                DumpCharts.KindOf(page), page.Sptes.Length.ToString(CultureInfo.InvariantCulture));
            foreach (SpteDump spte in page.Sptes)
            {
                if (sptes.RowCount < MaxDumpSpteRows)
                {
                    sptes.AddRow(number, spte.Index.ToString(CultureInfo.InvariantCulture), Bits.Hex(spte.Spte), SetChips(spte.Spte, Bits.SpteBits(mmu.SpteFormat), 0), Bits.Hex(spte.Spte & SpteFormat.AddressMask));
                }
            }
        }

        sptes.Caption = total > sptes.RowCount
            ? string.Create(CultureInfo.InvariantCulture, $"SPTEs: {total} (the first {sptes.RowCount} shown)")
            : string.Create(CultureInfo.InvariantCulture, $"SPTEs: {total}");
        return section.Add(pages.ToElement(), sptes.ToElement());
    }

    // The guest card's title names the naming scheme in use, so a renamed card cannot be mistaken for the organization's own names.
    private static string NamesNote(string variant) => DisplayNames.Note(variant) is { } note ? " · " + note : string.Empty;

    private static HtmlChart? Chart(Func<Charts.Figure> figure) => EmbedCharts ? new HtmlChart(figure()) : null;

    private static HtmlElement RoleCell(PageRole role) => new HtmlElement("span", Code(Bits.Hex(role.Word)), " ", Faint(Bits.RoleFields(role)));

    private static HtmlElement SetChips(ulong value, IReadOnlyList<NamedBit> bits, uint protectionKey)
    {
        var chips = new HtmlElement("span");
        foreach (NamedBit bit in bits.Where(b => (value & b.Mask) != 0))
        {
            chips.Add(Chip(bit.Name, true, bit.Meaning));
        }

        if (protectionKey != 0)
        {
            chips.Add(Chip("pkey " + protectionKey.ToString(CultureInfo.InvariantCulture), true, "protection key, bits 62:59"));
        }

        return chips.Children.Count == 0 ? chips.Add(Faint("-")) : chips;
    }

    private static HtmlElement ServingText(ServingContexts serving) =>
        new HtmlElement("span", "faults by ", Code(DisplayNames.Mmu(serving.Mmu)), ", walked by ", Code(DisplayNames.Walker(serving.Walk)),
            Faint(serving.GuestMode ? " · root_role.guest_mode = 1" : " · root_role.guest_mode = 0"));

    // The VM exit branch of a walk result: the exit, its information word decoded bit by bit, and what L1 can tell from it.
    private static HtmlNode[] VmExitInline(WalkResult result)
    {
        ExitReason reason = result.ExitReason;
        var chips = new HtmlElement("span");
        foreach (NamedBit bit in Bits.ExitInfoBits(reason))
        {
            chips.Add(Chip(bit.Name, (result.ExitInfo & bit.Mask) != 0, bit.Meaning));
        }

        return
        [
            Badge("VM exit", Tone.Notice), new HtmlText(" " + Bits.ExitReasonName(reason) + " · L2 GPA "), Code(Bits.Hex(result.FaultAddress)),
            new HtmlText(" · GVA "), Code(Bits.Hex(result.Gva)), Faint(string.Create(CultureInfo.InvariantCulture, $" · stopped at level {result.Level}")),
            new HtmlElement("br"), new HtmlText(Bits.ExitInfoName(reason) + " "), Code(Bits.Hex(result.ExitInfo)), new HtmlText(" "),
            reason == ExitReason.EptMisconfig ? Faint("(none for a misconfiguration)") : chips,
            new HtmlElement("br"), Faint(Bits.ExplainExit(reason, result.ExitInfo)),
        ];
    }

    private static string NestedText(NestedGuest nested)
    {
        string kind = nested.Kind == NestedKind.Vmx ? "VMX" : "SVM";
        if (!nested.L1Tdp)
        {
            return kind + ", L1 without EPT/NPT (L1 shadows L2's tables)";
        }

        if (nested.Kind == NestedKind.Vmx)
        {
            var eptp = new EptPointer(nested.TdpRoot);
            return string.Create(CultureInfo.InvariantCulture,
                $"VMX, L1 EPT: EPTP {Bits.Hex(nested.TdpRoot)} ({eptp.Levels}-level, root {Bits.Hex(eptp.Root)}, A/D {(eptp.AccessedDirtyEnabled ? "on" : "off")}, execute-only {(nested.Ept.ExecuteOnly ? "supported" : "not supported")})");
        }

        return $"SVM, L1 NPT: nCR3 {Bits.Hex(nested.TdpRoot)}";
    }

    private static string VmLine(VmConfig vm) => string.Create(CultureInfo.InvariantCulture,
        $"{vm.Vendor.ToString().ToLowerInvariant()} · MAXPHYADDR {vm.MaxPhyAddr} · {MemorySize.Format(vm.MemorySize)} · tdp {vm.Tdp.ToString().ToLowerInvariant()}");

    /// <summary>What L1's tables for L2 are called: <c>EPT</c>, <c>NPT</c>, or <c>EPT/NPT</c> when the format is not known.</summary>
    internal static string TdpName(PagingMode nestedMode) =>
        nestedMode is PagingMode.Ept4 or PagingMode.Ept5 ? "EPT" : nestedMode is PagingMode.Long4 or PagingMode.Long5 ? "NPT" : "EPT/NPT";

    private static string TdpLevelsName(PagingMode mode) => mode is PagingMode.Ept5 or PagingMode.Long5 ? "5-level" : "4-level";

    // KVM 6.12 mmu.c: the page_fault callbacks each kvm_mmu is set up with.
    private static string FaultHandlerName(PageFaultHandler handler) => handler switch
    {
        PageFaultHandler.None => "none",
        PageFaultHandler.Tdp => "kvm_tdp_page_fault",
        PageFaultHandler.NonPaging => "nonpaging_page_fault",
        PageFaultHandler.Paging32 => "paging32_page_fault",
        PageFaultHandler.Paging64 => "paging64_page_fault",
        PageFaultHandler.Ept => "ept_page_fault",
        _ => handler.ToString(),
    };

    private static string Percent(long part, long whole) =>
        whole == 0 ? "-" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);
}
