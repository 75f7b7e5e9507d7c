using System.Globalization;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Notebook.Html;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;
using static Workbench.Mmu.Notebook.Html.Theme;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>
/// The <c>text/html</c> renderings of the model's values. Each method returns a node, so renderings nest (a walk
/// result inside an experiment's step table) and tests compare them with approved files.
/// </summary>
public static partial class MmuHtml
{
    /// <summary>Outcome of a walk: <c>ok</c> with the GPA, or the fault with its decoded error code and CR2.</summary>
    public static HtmlElement WalkResult(WalkResult result) => new HtmlElement("div", WalkResultInline(result));

    /// <summary>The walk outcome as inline content (for table cells).</summary>
    public static HtmlElement WalkResultInline(WalkResult result)
    {
        var span = new HtmlElement("span");
        switch (result.Outcome)
        {
            case WalkOutcome.Ok:
                span.Add(
                    Badge("ok", Tone.Ok), " gpa ", Code(Bits.Hex(result.Gpa)),
                    Faint(string.Create(CultureInfo.InvariantCulture,
                        $" · {Bits.PageSize(result.PageSize)} page · leaf level {result.Level} · rights {Bits.AccessLetters(result.PteAccess)}{(result.ProtectionKey != 0 ? $" · pkey {result.ProtectionKey}" : string.Empty)}")));
                break;
            case WalkOutcome.PageFault:
                span.Add(
                    Badge("#PF", Tone.Fault), " error code ", Code(Bits.Hex((ulong)result.ErrorCode)), " ",
                    ErrorCodeChips(result.ErrorCode), " CR2 ", Code(Bits.Hex(result.FaultAddress)),
                    Faint(string.Create(CultureInfo.InvariantCulture, $" · stopped at level {result.Level}")),
                    new HtmlElement("br"), Faint(Bits.ExplainErrorCode(result.ErrorCode)));
                break;
            case WalkOutcome.GeneralProtection:
                span.Add(Badge("#GP(0)", Tone.Fault), " ", Code(Bits.Hex(result.FaultAddress)), Faint(" is not canonical: no table was read, CR2 unchanged"));
                break;
            default:
                span.Add(VmExitInline(result));
                break;
        }

        return span;
    }

    /// <summary>The six architectural error-code bits as chips (set ones emphasised), plus any rarer bit that is set.</summary>
    public static HtmlElement ErrorCodeChips(PfErr errorCode)
    {
        ulong value = (ulong)errorCode;
        var chips = new HtmlElement("span");
        foreach (NamedBit bit in Bits.ErrorCodeBits)
        {
            chips.Add(Chip(bit.Name, (value & bit.Mask) != 0, bit.Meaning));
        }

        foreach (NamedBit bit in Bits.RareErrorCodeBits.Where(b => (value & b.Mask) != 0))
        {
            chips.Add(Chip(bit.Name, true, bit.Meaning));
        }

        return chips;
    }

    /// <summary>
    /// A walk's page-table accesses: one row per read, A/D write-back or PDPTR use, with the entry decoded;
    /// write-backs are highlighted and say which of A/D they set.
    /// </summary>
    public static HtmlElement WalkTrace(IReadOnlyList<TraceEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        bool nested = entries.Any(Bits.IsTdpRead);
        var columns = new List<string> { "#", "access", "level" };
        if (nested)
        {
            columns.Add("dim");
        }

        columns.AddRange(new[] { "entry gpa", "value" });
        columns.AddRange(Bits.EntryBits.Select(b => b.Name));
        columns.AddRange(new[] { "pkey", "next / frame", "A/D change" });
        var table = new HtmlTable(columns.ToArray());
        foreach (NamedBit bit in Bits.EntryBits)
        {
            table.DescribeColumn(bit.Name, bit.Meaning);
        }

        table.DescribeColumn("pkey", "protection key, bits 62:59");
        table.DescribeColumn("next / frame", "address field: the next table, or the page frame of a leaf");
        ulong?[] previous = Bits.PreviousValues(entries);
        int reads = 0;
        int writes = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            TraceEntry entry = entries[i];
            var cells = new List<object?>
            {
                (i + 1).ToString(CultureInfo.InvariantCulture),
                entry.Kind switch { TraceKind.Read => "R", TraceKind.Write => "W", _ => "PDPTR" },
                "L" + entry.Level.ToString(CultureInfo.InvariantCulture),
            };
            if (nested)
            {
                cells.Add(Bits.IsTdpRead(entry) ? "tdp" : "guest");
            }

            cells.Add(Bits.Hex(entry.Gpa));
            cells.Add(Bits.Hex(entry.Value));
            foreach (NamedBit bit in Bits.EntryBits)
            {
                bool set = (entry.Value & bit.Mask) != 0;
                cells.Add(new HtmlElement("td", set ? "1" : "0").Class(set ? BitOn : BitOff));
            }

            uint pkey = Bits.ProtectionKey(entry.Value);
            cells.Add(pkey == 0 ? Faint("0") : pkey.ToString(CultureInfo.InvariantCulture));
            cells.Add((entry.Value & 1) != 0 ? Bits.Hex(entry.Value & Pte64.AddressMask) : Faint("-"));
            string change = entry.Kind == TraceKind.Write && previous[i] is ulong before ? Bits.AccessedDirtyChange(before, entry.Value) : string.Empty;
            cells.Add(change);
            if (entry.Kind == TraceKind.Write)
            {
                writes++;
                table.AddStyledRow(HighlightRow, "A/D write-back by the walker", cells.ToArray());
            }
            else
            {
                reads += entry.Kind == TraceKind.Read ? 1 : 0;
                table.AddRow(cells.ToArray());
            }
        }

        table.Caption = string.Create(CultureInfo.InvariantCulture,
            $"walk trace: {reads} page-table read{(reads == 1 ? string.Empty : "s")}, {writes} A/D write-back{(writes == 1 ? string.Empty : "s")}");
        return table.ToElement();
    }

    /// <summary>A register card: raw values with their set bits decoded, the CPU role KVM derives from them, the paging mode.</summary>
    public static HtmlElement Registers(CpuRegisters registers) => RegisterCard("CPU registers", registers, CpuRole.Compute(registers), null);

    /// <summary>A vCPU card: registers, PDPTRs in PAE mode, the CPU role and the paging mode the walker uses.</summary>
    public static HtmlElement Vcpu(Vcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        ulong[]? pdptrs = vcpu.Mode == PagingMode.Pae ? vcpu.Pdptrs.ToArray() : null;
        VmConfig config = vcpu.Vm.Config;
        string title = string.Create(CultureInfo.InvariantCulture,
            $"vCPU · {config.Vendor.ToString().ToLowerInvariant()} · MAXPHYADDR {config.MaxPhyAddr} · {MemorySize.Format(config.MemorySize)} · tdp {config.Tdp.ToString().ToLowerInvariant()}");
        return RegisterCard(title, vcpu.Registers, vcpu.Role, pdptrs);
    }

    /// <summary>
    /// The permission table KVM precomputes (<c>permissions[16]</c>): one row per access kind (the pfec index), one
    /// column per effective access-rights value U:W:X, <c>#PF</c> where the access faults; then the PKRU mask and
    /// the reserved-bit masks per level.
    /// </summary>
    public static HtmlElement PageFormat(PageFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        var columns = new List<string> { "index", "pfec", "access" };
        columns.AddRange(Enumerable.Range(0, 8).Select(v => Bits.AccessLetters((Acc)v)));
        var table = new HtmlTable(columns.ToArray())
        {
            Caption = "permissions[pfec >> 1]: #PF where the access faults on a page with these rights (U W X)",
        };
        ReadOnlySpan<byte> permissions = format.Permissions;
        for (int index = 0; index < permissions.Length; index++)
        {
            var cells = new List<object?>
            {
                index.ToString(CultureInfo.InvariantCulture),
                Bits.Hex((ulong)index << 1),
                PermissionIndexName(index),
            };
            for (int access = 0; access < 8; access++)
            {
                bool fault = ((permissions[index] >> access) & 1) != 0;
                cells.Add(new HtmlElement("td", fault ? "#PF" : "ok").Class(fault ? FaultCell : BitOff));
            }

            table.AddRow(cells.ToArray());
        }

        var reserved = new HtmlTable("level", "reserved (bit 7 = 0)", "reserved (bit 7 = 1)") { Caption = "reserved-bit masks (rsvd_bits_mask[bit7][level-1])" };
        for (int level = Permissions.PageFormat.MaxLevel; level >= 1; level--)
        {
            reserved.AddRow("L" + level.ToString(CultureInfo.InvariantCulture), Bits.Hex(format.GetReservedMask(0, level)), Bits.Hex(format.GetReservedMask(1, level)));
        }

        var summary = new HtmlElement("div",
            "PKRU mask ", Code(Bits.Hex(format.PkruMask)), format.PkruMask == 0 ? Faint(" (protection keys off)") : null,
            format.IsEpt ? Faint(" · EPT format, bad_mt_xwr " + Bits.Hex(format.BadMtXwr)) : null);
        return Card(format.IsEpt ? "EPT page format" : "guest page format", table.ToElement(), summary, reserved.ToElement());
    }

    /// <summary>One experiment run: the VM, the initial registers and a row per step, with the walk trace under traced accesses.</summary>
    public static HtmlElement ExperimentRun(ExperimentRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var card = Card("experiment: " + run.Title);
        card.Add(new HtmlElement("div", Faint(run.Source)));
        if (run.Experiment is { } experiment)
        {
            VmConfig vm = experiment.Vm;
            card.Add(new HtmlElement("div", Faint(string.Create(CultureInfo.InvariantCulture,
                $"{vm.Vendor.ToString().ToLowerInvariant()} · MAXPHYADDR {vm.MaxPhyAddr} · {MemorySize.Format(vm.MemorySize)} memory · tdp {vm.Tdp.ToString().ToLowerInvariant()} · {(vm.GbPages ? "1G pages" : "no 1G pages")} · {experiment.Memory.Length} memory words"))));
            card.Add(RegisterLine(experiment.Vcpu));
        }

        if (run.Result.Error is { } error)
        {
            card.Add(new HtmlElement("div", Badge("invalid", Tone.Fault), " ", Code(error)));
            return card;
        }

        card.Add(StepTable(run.Experiment, run.Result));
        return card;
    }

    /// <summary>An experiment result without its experiment (step kinds are not known, only outcomes).</summary>
    public static HtmlElement ExperimentResult(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var card = Card("experiment result: " + (result.Name ?? "(unnamed)"));
        if (result.Error is { } error)
        {
            return card.Add(new HtmlElement("div", Badge("invalid", Tone.Fault), " ", Code(error)));
        }

        return card.Add(StepTable(null, result));
    }

    /// <summary>The name of a permission-table row: e.g. <c>user write</c>, <c>supervisor read, AC=1 (no SMAP)</c>.</summary>
    public static string PermissionIndexName(int index)
    {
        bool write = (index & 1) != 0;
        bool user = (index & 2) != 0;
        bool notSmap = (index & 4) != 0;
        bool fetch = (index & 8) != 0;
        string access = fetch ? (write ? "fetch+write" : "fetch") : write ? "write" : "read";
        string text = (user ? "user " : "supervisor ") + access;
        return notSmap ? text + ", not SMAP (AC=1)" : text;
    }

    private static HtmlElement StepTable(Experiment? experiment, ExperimentResult result)
    {
        // Without the experiment only the outcomes are known, so the step column is left out.
        var table = experiment is null ? new HtmlTable("#", "result") : new HtmlTable("#", "step", "result");
        for (int i = 0; i < result.Steps.Length; i++)
        {
            StepResult outcome = result.Steps[i];
            bool fault = outcome is AccessResult { Walk.IsOk: false } or GeneralProtectionResult;
            string index = i.ToString(CultureInfo.InvariantCulture);
            if (experiment is null)
            {
                table.AddStyledRow(fault ? HighlightRow : null, null, index, StepOutcome(outcome));
            }
            else
            {
                HtmlNode step = i < experiment.Steps.Length ? Code(MmuText.Describe(experiment.Steps[i])) : Faint("?");
                table.AddStyledRow(fault ? HighlightRow : null, null, index, step, StepOutcome(outcome));
            }

            if (outcome is AccessResult { Trace.IsDefaultOrEmpty: false } traced)
            {
                table.AddSpanningRow(WalkTrace(traced.Trace));
            }
        }

        return table.ToElement();
    }

    private static HtmlNode StepOutcome(StepResult outcome) => outcome switch
    {
        AccessResult access => WalkResultInline(access.Walk),
        PeekResult peek => new HtmlElement("span", Code(Bits.Hex(peek.Value)), Faint(" entry bits: "), EntryChips(peek.Value)),
        CompletedResult => Badge("ok", Tone.Ok),
        GeneralProtectionResult gp => new HtmlElement("span", Badge("#GP(0)", Tone.Fault), " ", Code(ExperimentRegisters.Name(gp.Register)), ": ", gp.Error),
        _ => new HtmlText(outcome.GetType().Name),
    };

    private static HtmlElement EntryChips(ulong value)
    {
        var chips = new HtmlElement("span");
        foreach (NamedBit bit in Bits.EntryBits)
        {
            chips.Add(Chip(bit.Name, (value & bit.Mask) != 0, bit.Meaning));
        }

        return chips;
    }

    private static HtmlElement RegisterLine(CpuRegisters registers)
    {
        return new HtmlElement("div",
            "cr0=", Code(Bits.Hex(registers.Cr0)), Faint($" [{Bits.SetNames(registers.Cr0, Bits.Cr0Bits)}]"),
            " cr3=", Code(Bits.Hex(registers.Cr3)),
            " cr4=", Code(Bits.Hex(registers.Cr4)), Faint($" [{Bits.SetNames(registers.Cr4, Bits.Cr4Bits)}]"),
            " efer=", Code(Bits.Hex(registers.Efer)), Faint($" [{Bits.SetNames(registers.Efer, Bits.EferBits)}]"),
            " rflags=", Code(Bits.Hex(registers.Rflags)),
            " pkru=", Code(Bits.Hex(registers.Pkru)),
            Faint(" · " + ModeName(PagingModes.FromRole(CpuRole.Compute(registers)))));
    }

    private static HtmlElement RegisterCard(string title, CpuRegisters registers, CpuRole role, ulong[]? pdptrs)
    {
        PagingMode mode = PagingModes.FromRole(role);
        var table = new HtmlTable("register", "value", "decoded");
        table.AddRow("CR0", Bits.Hex(registers.Cr0), BitChips(registers.Cr0, Bits.Cr0Bits, onlySet: false));
        table.AddRow("CR3", Bits.Hex(registers.Cr3), string.Create(CultureInfo.InvariantCulture,
            $"{(mode == PagingMode.Pae ? "PDPT" : "root table")} {Bits.Hex(mode == PagingMode.Pae ? PaeFormat.PdptAddress(registers.Cr3) : registers.Cr3 & Pte64.AddressMask)}, low bits {Bits.Hex(registers.Cr3 & 0xFFF)}"));
        table.AddRow("CR4", Bits.Hex(registers.Cr4), BitChips(registers.Cr4, Bits.Cr4Bits, onlySet: true));
        table.AddRow("EFER", Bits.Hex(registers.Efer), BitChips(registers.Efer, Bits.EferBits, onlySet: false));
        table.AddRow("RFLAGS", Bits.Hex(registers.Rflags), new HtmlElement("span", Chip("AC", (registers.Rflags & Rflags.AC) != 0, "alignment check: lets explicit supervisor accesses bypass SMAP")));
        table.AddRow("PKRU", Bits.Hex(registers.Pkru), PkruText(registers.Pkru));
        if (pdptrs is not null)
        {
            for (int i = 0; i < pdptrs.Length; i++)
            {
                table.AddRow("PDPTR" + i.ToString(CultureInfo.InvariantCulture), Bits.Hex(pdptrs[i]), EntryChips(pdptrs[i]));
            }
        }

        PageRole baseRole = role.Base;
        ExtRole ext = role.Ext;
        var roleTable = new HtmlTable("cpu_role", "value", "fields") { Caption = "CPU role (kvm_calc_cpu_role)" };
        roleTable.AddRow("base", Bits.Hex(baseRole.Word), new HtmlElement("span",
            Code("level=" + baseRole.Level.ToString(CultureInfo.InvariantCulture)),
            Chip("has_4byte_gpte", baseRole.Has4ByteGpte), Chip("direct", baseRole.Direct), Chip("efer_nx", baseRole.EferNx),
            Chip("cr0_wp", baseRole.Cr0Wp), Chip("smep_andnot_wp", baseRole.SmepAndNotWp), Chip("smap_andnot_wp", baseRole.SmapAndNotWp),
            Chip("guest_mode", baseRole.GuestMode)));
        roleTable.AddRow("ext", Bits.Hex(ext.Word), new HtmlElement("span",
            Chip("valid", ext.Valid), Chip("cr4_pse", ext.Cr4Pse), Chip("cr4_smep", ext.Cr4Smep), Chip("cr4_smap", ext.Cr4Smap),
            Chip("cr4_pke", ext.Cr4Pke), Chip("cr4_la57", ext.Cr4La57), Chip("efer_lma", ext.EferLma)));
        return Card(title, new HtmlElement("div", "paging mode: ", Badge(ModeName(mode), Tone.Neutral)), table.ToElement(), roleTable.ToElement());
    }

    private static HtmlElement BitChips(ulong value, IReadOnlyList<NamedBit> bits, bool onlySet)
    {
        var chips = new HtmlElement("span");
        foreach (NamedBit bit in bits)
        {
            bool set = (value & bit.Mask) != 0;
            if (set || !onlySet)
            {
                chips.Add(Chip(bit.Name, set, bit.Meaning));
            }
        }

        ulong unknown = value & ~bits.Aggregate(0UL, (all, b) => all | b.Mask);
        if (unknown != 0)
        {
            chips.Add(Faint(" other " + Bits.Hex(unknown)));
        }

        return chips.Children.Count == 0 ? chips.Add(Faint("-")) : chips;
    }

    private static HtmlNode PkruText(uint pkru)
    {
        if (pkru == 0)
        {
            return Faint("every key allows access and writes");
        }

        var keys = new List<string>();
        for (int key = 0; key < 16; key++)
        {
            uint bits = (pkru >> (2 * key)) & 3;
            if (bits != 0)
            {
                keys.Add(string.Create(CultureInfo.InvariantCulture, $"key {key}:{((bits & 1) != 0 ? " AD" : string.Empty)}{((bits & 2) != 0 ? " WD" : string.Empty)}"));
            }
        }

        return new HtmlText(string.Join(", ", keys));
    }

    /// <summary>A paging mode as the SDM names it.</summary>
    internal static string ModeName(PagingMode mode) => mode switch
    {
        PagingMode.None => "paging off",
        PagingMode.Legacy32 => "32-bit paging",
        PagingMode.Pae => "PAE paging",
        PagingMode.Long4 => "4-level paging",
        PagingMode.Long5 => "5-level paging",
        PagingMode.Ept4 => "4-level EPT",
        PagingMode.Ept5 => "5-level EPT",
        _ => mode.ToString(),
    };
}
