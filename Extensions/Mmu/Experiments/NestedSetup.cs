using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// Builds L1 + L2 experiments the way a guest hypervisor lays out memory (used by tests, datasets, the comparison
/// suite and notebooks). L1 guest-physical memory:
/// <code>
///   0x001000..     L1's own 4-level page tables (L1 GVA 0x400000 → L1 GPA 0x200000)
///   0x100000..     L1's EPT / NPT tables for L2 (nested TDP only)
///   0x800000..     L2's memory: L2 GPA x is L1 GPA 0x800000 + x under nested TDP; without nested TDP L2's tables
///                  live here directly (L1 shadows them, L2 GPA = L1 GPA)
/// </code>
/// L2 maps <see cref="Gva"/> → data page <see cref="DataL2Gpa"/> (4K, P|W, supervisor); with nested TDP the data page
/// sits in its own 512G region of L1's EPT/NPT (PML4 index 1), so changing its EPT/NPT path touches nothing else.
/// </summary>
public static class NestedSetup
{
    public const ulong L2Base = 0x80_0000;
    public const ulong Gva = 0x40_1234;
    public const ulong TdpTables = 0x10_0000;

    /// <summary>L2 GPA of the data page under nested TDP (PML4 index 1, PDPT 0, PD 1, PT 0).</summary>
    public const ulong DataL2Gpa = 0x80_0020_0000;

    /// <summary>L1 GPA of L1's own PTE for L1 GVA 0x400000 (its tables start at 0x1000: PML4, PDPT, PD, PT at 0x4000).</summary>
    public const ulong L1PteGpa = 0x4000;

    /// <summary>L1 GPA the data page is at.</summary>
    public const ulong DataL1Gpa = 0xA0_0000;

    public sealed record Options
    {
        public NestedKind Kind { get; init; } = NestedKind.Vmx;
        public bool L1Tdp { get; init; } = true;
        public bool L0Tdp { get; init; } = true;
        public PagingMode L2Paging { get; init; } = PagingMode.Long4;
        public int TdpLevels { get; init; } = 4;
        public bool EptAd { get; init; } = true;
        public bool ExecOnly { get; init; } = true;
        public int MaxPhyAddr { get; init; } = 46;
    }

    /// <summary>What <see cref="Build"/> laid out, for tests that poke entries.</summary>
    public sealed record Layout(Experiment Experiment, PageTableBuilder? Tdp, PageTableBuilder L2Tables, ulong DataGpaSeenByL2)
    {
        /// <summary>L1 GPA of the EPT/NPT entry at <paramref name="level"/> on the data page's path.</summary>
        public ulong TdpEntryGpa(int level) => Tdp!.EntryGpa(DataGpaSeenByL2, level)!.Value;

        /// <summary>The experiment with these steps.</summary>
        public Experiment With(params ExperimentStep[] steps) => Experiment with { Steps = [.. steps] };
    }

    public static Layout Build(Options options)
    {
        bool vmx = options.Kind == NestedKind.Vmx;

        // L1: 4-level paging with VMXE (VMX) or EFER.SVME (SVM) and NX.
        var l1Tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x40_0000, 0x20_0000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);
        var l1 = Experiment.DefaultRegisters with
        {
            Cr0 = Cr0.PG | Cr0.WP | Cr0.PE | Cr0.NE,
            Cr3 = l1Tables.Root,
            Cr4 = Cr4.PAE | (vmx ? Cr4.VMXE : 0),
            Efer = Efer.LME | Efer.LMA | Efer.NXE | (vmx ? 0 : Efer.SVME),
        };

        // L2's tables: in L2 GPA space from 0x1000 (nested TDP) or directly in L1 memory at L2Base (L1 shadows them).
        ulong l2TableBase = options.L1Tdp ? 0x1000 : L2Base + 0x1000;
        // 32-bit and PAE entries cannot reach 2^39: their data page is L2 GPA 0x200000.
        bool narrow = options.L2Paging is PagingMode.Legacy32 or PagingMode.Pae;
        ulong dataSeenByL2 = !options.L1Tdp ? DataL1Gpa : narrow ? 0x20_0000 : DataL2Gpa;
        var l2Tables = new PageTableBuilder(options.L2Paging, l2TableBase)
            .Map(Gva & ~0xFFFUL, dataSeenByL2, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);

        var memory = new List<MemoryEntry>(l1Tables.ToMemory());
        ulong l2Offset = options.L1Tdp ? L2Base : 0;
        memory.AddRange(l2Tables.ToMemory().Select(e => e with { Gpa = e.Gpa + l2Offset }));

        PageTableBuilder? tdp = null;
        ulong tdpRoot = 0;
        if (options.L1Tdp)
        {
            var kind = vmx ? (options.TdpLevels == 5 ? PagingMode.Ept5 : PagingMode.Ept4) : PagingMode.Long4;
            tdp = new PageTableBuilder(kind, TdpTables);
            for (ulong page = 0x1000; page < l2Tables.NextFreePage; page += 0x1000)
            {
                MapTdp(tdp, vmx, page, L2Base + page);
            }

            MapTdp(tdp, vmx, dataSeenByL2, DataL1Gpa);
            memory.AddRange(tdp.ToMemory());
            tdpRoot = vmx
                ? tdp.Root | ((ulong)(options.TdpLevels - 1) << 3) | 6 | (options.EptAd ? 1UL << 6 : 0)
                : tdp.Root;
        }

        var l2 = Experiment.DefaultRegisters with
        {
            Cr0 = Cr0.PG | Cr0.WP | Cr0.PE,
            Cr3 = l2Tables.Root,
            Cr4 = options.L2Paging switch
            {
                PagingMode.Legacy32 => 0,
                PagingMode.Long5 => Cr4.PAE | Cr4.LA57,
                _ => Cr4.PAE,
            },
            Efer = options.L2Paging is PagingMode.Long4 or PagingMode.Long5 ? Efer.LME | Efer.LMA | Efer.NXE : Efer.NXE,
        };

        var experiment = new Experiment
        {
            Name = $"{options.Kind} l1_tdp={options.L1Tdp} l0_tdp={options.L0Tdp} L2 {options.L2Paging}",
            Vm = new VmConfig(
                Vendor: vmx ? Vendor.Intel : Vendor.Amd,
                MaxPhyAddr: options.MaxPhyAddr,
                Tdp: !options.L0Tdp ? TdpMode.None : vmx ? TdpMode.Ept : TdpMode.Npt),
            Memory = [.. memory.OrderBy(e => e.Gpa)],
            Vcpu = l1,
            Nested = new NestedGuest(options.Kind, options.L1Tdp, tdpRoot,
                vmx ? new EptCapabilities(AccessedDirty: options.EptAd, ExecuteOnly: options.ExecOnly) : new EptCapabilities(), l2),
        };
        return new Layout(experiment, tdp, l2Tables, dataSeenByL2);
    }

    private static void MapTdp(PageTableBuilder tdp, bool vmx, ulong l2Gpa, ulong l1Gpa)
    {
        if (vmx)
        {
            tdp.MapEpt(l2Gpa, l1Gpa, PageTableBuilder.Size4K, EptFlags.All | EptFlags.WriteBack);
        }
        else
        {
            // NPT walks are user walks: every level needs U; tables need W for the A/D updates of L2's tables.
            tdp.Map(l2Gpa, l1Gpa, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write | PteFlags.User);
        }
    }
}
