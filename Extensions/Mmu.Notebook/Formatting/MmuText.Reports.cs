using System.Globalization;
using System.Text;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Shadow;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>The <c>text/plain</c> renderings of what the <c>#!mmu-*</c> commands show.</summary>
public static partial class MmuText
{
    /// <summary>The guest card: registers, roles, MMU objects, walkers, pointers and who serves an access.</summary>
    public static string GuestCard(GuestCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"guest {card.Name}: L{card.Level} running, {MmuHtml.ModeName(card.Mode)}, organization {card.Variant}, {card.Steps} steps{(DisplayNames.Note(card.Variant) is { } note ? "; " + note : string.Empty)}\n");
        text.Append(CultureInfo.InvariantCulture, $"vm: {card.Vm.Vendor.ToString().ToLowerInvariant()}, MAXPHYADDR {card.Vm.MaxPhyAddr}, tdp {card.Vm.Tdp.ToString().ToLowerInvariant()}\n");
        if (card.Nested is not null)
        {
            text.Append("L1: ").Append(Registers(card.L1Registers));
        }

        text.Append(card.Level == 2 ? "L2: " : string.Empty).Append(Registers(card.Registers, card.CpuRole));
        text.Append("root_role ").Append(Bits.Hex(card.RootRole.Word)).Append(' ').Append(Bits.RoleFields(card.RootRole)).Append('\n');
        foreach (MmuObjectCard mmu in card.Mmus)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  mmu {DisplayNames.Mmu(mmu.Name),-12} root_role {Bits.Hex(mmu.RootRole.Word),-10} {mmu.PageFault,-10} root {(mmu.Root is ulong root ? Bits.Hex(root) : "none")} prev_roots {mmu.PrevRoots}{(mmu.Name == card.Serving.Mmu ? "  <- arch.mmu" : string.Empty)}\n");
        }

        foreach (WalkerCard walker in card.Walkers)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  walker {DisplayNames.Walker(walker.Name),-12} {MmuHtml.ModeName(walker.Mode),-14} cpu_role {Bits.Hex(walker.CpuRole)} root {Bits.Hex(walker.Root)}{(walker.TranslatesThrough is { } through ? " through " + DisplayNames.Walker(through) : string.Empty)}\n");
        }

        text.Append("pointers: ").AppendJoin(", ", card.Pointers.Select(p => $"{DisplayNames.Pointer(p.Pointer)} -> {DisplayNames.PointerTarget(p.Pointer, p.Target)}")).Append('\n');
        return text.Append("an access now: ").Append(Serving(card.Serving)).Append('\n').ToString();
    }

    /// <summary>The access: step, result, who served it, the walk (one line per read) and the SPTEs it made.</summary>
    public static string AccessReport(AccessReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"access {Describe(report.Step)} on {report.Guest} (L{report.Level}, {MmuHtml.ModeName(report.Mode)}");
        text.Append(report.NestedMode == PagingMode.None ? ")\n" : $" over L1's {MmuHtml.TdpName(report.NestedMode)})\n");
        text.Append(WalkResult(report.Result)).Append('\n');
        text.Append("served: ").Append(Serving(report.Contexts)).Append('\n');
        text.Append(AccessWalk(report.Trace, report.NestedMode));
        text.Append(CultureInfo.InvariantCulture, $"SPTEs created or changed: {report.Sptes.Length}\n");
        foreach (SpteChange change in report.Sptes)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  {DisplayNames.Mmu(change.Mmu)} gfn {Bits.Hex(change.Gfn)} L{change.Level}{(change.NewPage ? " (new page)" : string.Empty)} [{change.Index}] {Bits.Hex(change.Before)} -> {Bits.Hex(change.After)} [{Bits.SetNames(change.After, Bits.SpteBits(change.SpteFormat))}]\n");
        }

        return text.ToString();
    }

    /// <summary>The <c>gva_to_gpa</c>: walker, access bits, result and walk.</summary>
    public static string WalkReport(WalkReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return $"gva_to_gpa {Bits.Hex(report.Gva)} through {DisplayNames.Walker(report.Walker)} on {report.Guest}, access {Bits.Hex(report.Access)} (A/D writes undone)\n"
            + WalkResult(report.Result) + "\n" + AccessWalk(report.Trace, report.NestedMode, report.Mode);
    }

    /// <summary>The fault: the explanation, the changes, then the access.</summary>
    public static string FaultReport(FaultReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append("fault ").Append(report.Kind).Append(": ").Append(report.Explanation).Append('\n');
        foreach (string change in report.Changes.IsDefault ? [] : report.Changes)
        {
            text.Append("  change: ").Append(change).Append('\n');
        }

        return text.Append(AccessReport(report.Access)).ToString();
    }

    /// <summary>Each MMU object: root role, root, then one line per shadow page with its SPTE count.</summary>
    public static string DumpReport(DumpReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"MMU state of {report.Guest} ({report.Variant})\n");
        foreach (MmuDump mmu in report.Mmus.IsDefault ? [] : report.Mmus)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{DisplayNames.Mmu(mmu.Mmu)}: root_role {Bits.Hex(mmu.RootRole)} {Bits.RoleFields(new PageRole(mmu.RootRole))}, root pgd {Bits.Hex(mmu.RootPgd)}, {mmu.PrevRoots} prev_roots, {mmu.ShadowPages.Length} shadow pages\n");
            foreach (ShadowPageDump page in mmu.ShadowPages)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"  gfn {Bits.Hex(page.Gfn),-12} L{page.Level} role {Bits.Hex(page.Role),-10} {DumpCharts.KindOf(page),-14} {page.Sptes.Length} SPTEs\n");
            }
        }

        return text.ToString();
    }

    /// <summary>The sweep: cases, mismatches, the first mismatch's report, error codes and the flags' fault rates.</summary>
    public static string SweepOutcomes(SweepOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        Sweeps.AccessSweepResult sweep = outcomes.Sweep;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"access.c sweep: {sweep.CasesRun} cases run of {sweep.CasesPlanned} planned ({sweep.LegalCases} legal), {sweep.Mismatches} mismatches; {outcomes.Succeeded} completed, {outcomes.Faults} #PF\n");
        if (sweep.FirstMismatch is { } first)
        {
            text.Append(first.ToReport());
        }

        foreach ((uint code, long count) in outcomes.ErrorCodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"  #PF {SweepCharts.ErrorCodeLabel(code),-24} {count,10}\n");
        }

        foreach (FlagOutcome flag in outcomes.Flags.Where(f => f.Cases > 0))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {flag.Flag,-9} {flag.Faults,10} of {flag.Cases,10} faulted ({flag.FaultRate:P1})\n");
        }

        return text.ToString();
    }

    /// <summary>One line per page-table read: <c>3 EPT L2 0x… = 0x… [R W X]  A 0→1</c>.</summary>
    public static string AccessWalk(IReadOnlyList<TraceEntry> entries, PagingMode nestedMode, PagingMode mode = PagingMode.None)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var text = new StringBuilder();
        IReadOnlyList<WalkRead> reads = WalkRead.Of(entries, nestedMode, mode);
        foreach (WalkRead read in reads)
        {
            TraceEntry entry = read.Entry;
            string dimension = read.Tdp ? MmuHtml.TdpName(nestedMode) : "guest";
            text.Append(CultureInfo.InvariantCulture,
                $"{read.Order,3} {dimension,-7} L{entry.Level} {Bits.Hex(entry.Gpa),-14} = {Bits.Hex(entry.Value),-20} [{Bits.SetNames(entry.Value, read.EntryBits)}]");
            if (read.WrittenBack is not null)
            {
                text.Append("  ").Append(read.AccessedDirtyChange);
            }

            text.Append('\n');
        }

        return reads.Count == 0 ? "(no page-table read)\n" : text.ToString();
    }

    private static string Serving(ServingContexts serving) =>
        $"faults by {DisplayNames.Mmu(serving.Mmu)}, walked by {DisplayNames.Walker(serving.Walk)}, guest_mode {(serving.GuestMode ? 1 : 0)}";
}
