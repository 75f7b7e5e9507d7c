using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Walk;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Experiments;

/// <summary>
/// The example experiments of <c>datasets/experiments/</c>, built with <see cref="PageTableBuilder"/>. The files are
/// <see cref="ExperimentWriter"/>'s output for these (checked by <see cref="ExperimentGoldenTests"/>; regenerate with
/// <c>WORKBENCH_UPDATE_GOLDEN=1</c>); their expected results are in <c>golden/datasets/</c>, worked out by hand in
/// the comments here.
/// </summary>
internal static class DatasetExperiments
{
    // Register values used below (SDM Vol. 3A 2.5; 4.1.1 table 4-1 for which combination selects which paging mode).
    private const ulong ProtectedPaging = Cr0.PG | Cr0.PE;              // 0x80000001
    private const ulong ProtectedPagingWp = Cr0.PG | Cr0.WP | Cr0.PE;   // 0x80010001
    private const ulong LongMode = Efer.LME | Efer.LMA;                 // 0x500

    /// <summary>
    /// An invalid experiment for <c>batch.jsonl</c>: a typo (<c>"gav"</c>) that must be reported, not ignored,
    /// while the experiments after it still run.
    /// </summary>
    public const string InvalidBatchLine =
        "{\"format\":\"mmu-workbench.experiment/1\",\"name\":\"typo: gav instead of gva\",\"steps\":[{\"access\":\"read\",\"gav\":\"0x401000\"}]}";

    /// <summary>Every dataset file: its name and its exact content.</summary>
    public static IReadOnlyList<(string FileName, string Content)> Files { get; } =
    [
        ("first-walk-4level.json", ExperimentWriter.Write(FirstWalk4Level())),
        ("pf-not-present.json", ExperimentWriter.Write(PageFaultNotPresent())),
        ("smep-fetch.json", ExperimentWriter.Write(SmepFetch())),
        ("smap-ac.json", ExperimentWriter.Write(SmapAc())),
        ("pku-write-disable.json", ExperimentWriter.Write(PkuWriteDisable())),
        ("pae-pdptr.json", ExperimentWriter.Write(PaePdptr())),
        ("pse36-4m.json", ExperimentWriter.Write(Pse36LargePage())),
        ("five-level.json", ExperimentWriter.Write(FiveLevel())),
        ("nested-ept-2d.trace.json", ExperimentWriter.Write(NestedEpt2D())),
        ("nested-npt-npf.json", ExperimentWriter.Write(NestedNptNpf())),
        ("nested-l1-shadows-l2.trace.json", ExperimentWriter.Write(NestedL1ShadowsL2())),
        ("shadow-mmu.json", ExperimentWriter.Write(ShadowMmu())),
        ("tdp-mmu.json", ExperimentWriter.Write(ShadowMmu() with { Name = "TDP MMU (EPT): the same guest, direct pages map every GPA the CPU touches", Vm = new VmConfig(Tdp: TdpMode.Ept) })),
        ("batch.jsonl", string.Concat(
            ExperimentWriter.Write(FirstWalk4Level(), singleLine: true) + "\n",
            ExperimentWriter.Write(SmepFetch(), singleLine: true) + "\n",
            InvalidBatchLine + "\n",
            ExperimentWriter.Write(PageFaultNotPresent(), singleLine: true) + "\n")),
    ];

    /// <summary>
    /// The shadow MMU at work (tdp none), 4-level guest: 0x401000 → 0x200000 (P|W, supervisor) and 0x402000 → the
    /// page table itself (0x4000), as an OS's self-map. Expected:
    /// 1. read: ok; the dump shows root_mmu, root role 0x3704 (level 4, access ACC_ALL, efer_nx forced, cr0_wp), four
    ///    indirect pages for gfns 1..4 (levels 4..1), and the leaf SPTE 0x200a21: present (bit 0), A, host-writable
    ///    (bit 9), MMU-present (bit 11), no W (protect_clean_gpte: the gPTE's D is clear), no U, no NX (EFER.NXE=0).
    /// 2. write: the SPTE becomes 0x200e63 (W, D, MMU-writable).
    /// 3. store 0x300003 into the PTE (gva 0x402008): the PT page (gfn 4) is shadowed at level 1, so the write fault
    ///    unsyncs it; the dump shows it unsync with the stale SPTE for 0x401000 still pointing at 0x200000.
    /// 4. invlpg 0x401000: the unsync entry is resynced from the new gPTE (A clear → dropped).
    /// 5. read: ok gpa 0x300234 and a new SPTE for 0x300000.
    /// With "tdp": "ept" (tdp-mmu.json) the dumps show direct TDP pages instead, mapping gfns 1..4, 0x200, 0x300.
    /// </summary>
    public static Experiment ShadowMmu()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write)
            .Map(0x402000, 0x4000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);
        return new Experiment
        {
            Name = "shadow MMU: shadow pages per guest table, protect_clean_gpte, unsync on a guest store, INVLPG resync",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE, Efer = LongMode },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0x401234),
                new DumpStep(),
                new AccessStep(AccessKind.Write, 0x401234),
                new StoreStep(0x402008, 0x300003),
                new DumpStep(),
                new InvlpgStep(0x401000),
                new AccessStep(AccessKind.Read, 0x401234),
                new DumpStep(),
            ],
        };
    }

    /// <summary>
    /// L2 (4-level) under nested EPT (4-level, A/D on), laid out by <c>NestedSetup</c>: L2 GVA 0x401234 → L2 GPA
    /// 0x8000200234 → L1 GPA 0xa00234. Expected, with the trace:
    /// 1. read: ok gpa 0xa00234; 24 reads (4 × (4 EPT + 1 L2) + 4 EPT for the data page), contexts guest_mmu /
    ///    nested_mmu / guest_mode true; A bits written in both dimensions.
    /// 2. poke the data page's EPT leaf to R only (0xa00031 = WB, R; A kept).
    /// 3. write: EPT violation, qualification 0x18b = read(0) | write(1) | R(3) | GVA valid(7) | final(8), gpa
    ///    0x8000200234, gva 0x401234; L1 runs afterwards.
    /// 4. level-1 read of L1's own page 0x400000 → 0x200000: ok, contexts root_mmu / root_mmu / false.
    /// 5. read (L2 again, VM entry): ok, served by guest_mmu / nested_mmu again.
    /// </summary>
    public static Experiment NestedEpt2D()
    {
        var rig = NestedSetup.Build(new NestedSetup.Options());
        var leaf = rig.TdpEntryGpa(1);
        return rig.Experiment with
        {
            Name = "nested EPT: the 2-D walk, an EPT violation reflected to L1, L1 runs, L2 resumes",
            Steps =
            [
                new AccessStep(AccessKind.Read, NestedSetup.Gva),
                new PokeStep(leaf, 0xa00031),
                new AccessStep(AccessKind.Write, NestedSetup.Gva),
                new AccessStep(AccessKind.Read, 0x400000) { Level = 1 },
                new AccessStep(AccessKind.Read, NestedSetup.Gva),
            ],
        };
    }

    /// <summary>
    /// L2 (4-level) under nested NPT (L1's 4-level tables at nCR3 0x100000, entries P|W|U). Expected:
    /// 1. read: ok 0xa00234.
    /// 2. poke the data page's NPT leaf to P|U (read-only).
    /// 3. write: NPF, EXITINFO1 0x100000007 = P|W|U | final-GPA (bit 32), EXITINFO2 = L2 GPA 0x8000200234.
    /// 4. poke the NPT leaf of L2's PML4 page (L2 GPA 0x1000) to not present.
    /// 5. read: NPF on the page-table access, EXITINFO1 0x200000006 = W|U (the walk must be able to set A) | bit 33,
    ///    EXITINFO2 0x1000.
    /// </summary>
    public static Experiment NestedNptNpf()
    {
        var rig = NestedSetup.Build(new NestedSetup.Options { Kind = Workbench.Mmu.Nested.NestedKind.Svm });
        var dataLeaf = rig.TdpEntryGpa(1);
        var pml4Leaf = rig.Tdp!.EntryGpa(rig.L2Tables.Root, 1)!.Value;
        return rig.Experiment with
        {
            Name = "nested NPT: NPF exits on the final GPA (bit 32) and on an L2 page-table access (bit 33)",
            Steps =
            [
                new AccessStep(AccessKind.Read, NestedSetup.Gva),
                new PokeStep(dataLeaf, 0xa00025),
                new AccessStep(AccessKind.Write, NestedSetup.Gva),
                new PokeStep(pml4Leaf, 0),
                new AccessStep(AccessKind.Read, NestedSetup.Gva),
            ],
        };
    }

    /// <summary>
    /// L2 (4-level) whose page tables L1 shadows itself (no nested TDP), L0 with EPT: L2's CR3 points at tables in
    /// L1 memory at 0x801000 and L2 GPAs are L1 GPAs. Expected, with the trace: the read is ok gpa 0xa00234 after a
    /// 1-D walk of 4 reads, served by root_mmu / root_mmu with guest_mode true (a separate TDP root for L2); the
    /// same access at level 1 is a #PF for L1, whose own tables do not map 0x401234 (error 0x0, not present).
    /// </summary>
    public static Experiment NestedL1ShadowsL2()
    {
        var rig = NestedSetup.Build(new NestedSetup.Options { L1Tdp = false });
        return rig.Experiment with
        {
            Name = "L1 shadows L2: root_mmu serves L2 with role.guest_mode = 1",
            Steps =
            [
                new AccessStep(AccessKind.Read, NestedSetup.Gva),
                new AccessStep(AccessKind.Read, NestedSetup.Gva) { Level = 1 },
            ],
        };
    }

    /// <summary>
    /// 4-level paging, one 4K page 0x401000 -> 0x200000 (P|W, supervisor). Tables: PML4 0x1000, PDPT 0x2000,
    /// PD 0x3000, PT 0x4000 (PD index 2 at 0x3010, PT index 1 at 0x4008).
    /// Expected: read ok gpa 0x200234 and A set at all four levels (PTE 0x200003 -> 0x200023); the write then sets
    /// only D in the PTE (0x200063); a CPL3 read faults on U/S=0 in the leaf: error P|U = 0x5, CR2 = the address.
    /// </summary>
    public static Experiment FirstWalk4Level()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);
        return new Experiment
        {
            Name = "first walk: 4-level paging, A/D updates, user access to a supervisor page",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE, Efer = LongMode },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0x401234),
                new PeekStep(0x4008),
                new AccessStep(AccessKind.Write, 0x401234),
                new PeekStep(0x4008),
                new PeekStep(0x1000),
                new AccessStep(AccessKind.Read, 0x401234, Cpl: 3),
            ],
        };
    }

    /// <summary>
    /// 4-level paging with EFER.NXE, 0x401000 mapped P|W|U; 0x402000 (same page table, index 2) is not.
    /// Expected: not-present faults have P=0: read 0x0, CPL3 write W|U = 0x6, fetch F = 0x10 (F is reported
    /// because EFER.NXE=1); after the guest pokes the missing PTE (0x201007) and INVLPGs, the read succeeds.
    /// An address whose PDPT entry is empty (0x40000000) faults the same way at level 3: 0x0.
    /// </summary>
    public static Experiment PageFaultNotPresent()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write | PteFlags.User);
        return new Experiment
        {
            Name = "#PF not present, then fixed by the guest",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE, Efer = LongMode | Efer.NXE },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0x402010),
                new AccessStep(AccessKind.Write, 0x402010, Cpl: 3),
                new AccessStep(AccessKind.Fetch, 0x402010),
                new AccessStep(AccessKind.Read, 0x4000_0000),
                new PokeStep(tables.EntryGpa(0x402000, 1)!.Value, 0x201007),
                new InvlpgStep(0x402000),
                new AccessStep(AccessKind.Read, 0x402010, Cpl: 3),
            ],
        };
    }

    /// <summary>
    /// CR4.SMEP with a user page (P|U, executable: EFER.NXE=0). Expected: a supervisor fetch faults with P|F = 0x11
    /// (SDM 4.6.1: supervisor instruction fetches from user-mode addresses are not allowed with SMEP; F is reported
    /// since SMEP is on); a supervisor read and a user fetch are fine.
    /// </summary>
    public static Experiment SmepFetch()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.User);
        return new Experiment
        {
            Name = "SMEP: supervisor fetch from a user page",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE | Cr4.SMEP, Efer = LongMode },
            Steps =
            [
                new AccessStep(AccessKind.Fetch, 0x401000),
                new AccessStep(AccessKind.Read, 0x401000),
                new AccessStep(AccessKind.Fetch, 0x401000, Cpl: 3),
            ],
        };
    }

    /// <summary>
    /// CR4.SMAP with a user page (P|W|U). Expected (SDM 4.6.1): with RFLAGS.AC=0 a supervisor read faults P = 0x1
    /// and a supervisor write P|W = 0x3; after setting AC (rflags 0x40002) explicit supervisor accesses pass,
    /// but an implicit supervisor access (descriptor-table read) still faults P = 0x1 (AC is not honoured for
    /// implicit accesses); a user read is fine.
    /// </summary>
    public static Experiment SmapAc()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write | PteFlags.User);
        return new Experiment
        {
            Name = "SMAP: supervisor data access to a user page, with and without RFLAGS.AC",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE | Cr4.SMAP, Efer = LongMode },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0x401000),
                new AccessStep(AccessKind.Write, 0x401000),
                new SetStep([new RegisterAssignment(VcpuRegister.Rflags, Rflags.Fixed1 | Rflags.AC)]),
                new AccessStep(AccessKind.Read, 0x401000),
                new AccessStep(AccessKind.Write, 0x401000),
                new AccessStep(AccessKind.Read, 0x401000, Implicit: true),
                new AccessStep(AccessKind.Read, 0x401000, Cpl: 3),
            ],
        };
    }

    /// <summary>
    /// CR4.PKE, a user page with protection key 1, PKRU = 0x8 (WD for key 1: bit 2*1+1). Expected (SDM 4.6.2):
    /// user read ok; user write faults P|W|U|PK = 0x27; supervisor write (CR0.WP=1) faults P|W|PK = 0x23; a user
    /// fetch is not subject to keys (ok). With PKRU = 0x4 (AD for key 1) a user read faults P|U|PK = 0x25; with
    /// PKRU = 0 the user write passes.
    /// </summary>
    public static Experiment PkuWriteDisable()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write | PteFlags.User, protectionKey: 1);
        return new Experiment
        {
            Name = "PKU: write-disable and access-disable for key 1",
            Memory = tables.ToMemory(),
            Vcpu = new CpuRegisters(ProtectedPagingWp, tables.Root, Cr4.PAE | Cr4.PKE, LongMode, Rflags.Fixed1, 0x8),
            Steps =
            [
                new AccessStep(AccessKind.Read, 0x401000, Cpl: 3),
                new AccessStep(AccessKind.Write, 0x401000, Cpl: 3),
                new AccessStep(AccessKind.Write, 0x401000),
                new AccessStep(AccessKind.Fetch, 0x401000, Cpl: 3),
                new SetStep([new RegisterAssignment(VcpuRegister.Pkru, 0x4)]),
                new AccessStep(AccessKind.Read, 0x401000, Cpl: 3),
                new SetStep([new RegisterAssignment(VcpuRegister.Pkru, 0)]),
                new AccessStep(AccessKind.Write, 0x401000, Cpl: 3),
            ],
        };
    }

    /// <summary>
    /// PAE paging (CR0.PG, CR4.PAE, EFER.LMA=0): PDPT at 0x1000, a 2M page 0xc0200000 -> 0x400000 (PDPTE 3) and a
    /// 4K user page 0x401000 -> 0x5000 (PDPTE 0). Expected (SDM 4.4.1): both translate; the PDPTEs live in the
    /// PDPTR registers, so clearing PDPTE 3 in memory changes nothing until CR3 is written again, after which
    /// the 2M access faults not-present (0x0); writing R/W into a present PDPTE makes the next MOV CR3 #GP
    /// (bits 2:1 of a PDPTE are reserved) and leaves CR3 and the PDPTRs as they were, so the 4K page still works.
    /// </summary>
    public static Experiment PaePdptr()
    {
        var tables = new PageTableBuilder(PagingMode.Pae)
            .Map(0xc020_0000, 0x40_0000, PageTableBuilder.Size2M, PteFlags.Present | PteFlags.Write)
            .Map(0x401000, 0x5000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write | PteFlags.User);
        return new Experiment
        {
            Name = "PAE: PDPTRs are loaded by MOV CR3, not re-read by the walk",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0xc020_1234),
                new AccessStep(AccessKind.Read, 0x401008, Cpl: 3),
                new PokeStep(0x1018, 0),
                new AccessStep(AccessKind.Read, 0xc020_1234),
                new SetStep([new RegisterAssignment(VcpuRegister.Cr3, tables.Root)]),
                new AccessStep(AccessKind.Read, 0xc020_1234),
                new PokeStep(0x1000, 0x3003),
                new SetStep([new RegisterAssignment(VcpuRegister.Cr3, tables.Root)]),
                new AccessStep(AccessKind.Read, 0x401008, Cpl: 3),
            ],
        };
    }

    /// <summary>
    /// 32-bit paging with CR4.PSE, MAXPHYADDR 36: a 4M page 0xc0400000 -> 0x1_2340_0000 (PA bits 35:32 in PDE
    /// bits 16:13: PDE 0x23402087 at 0x1c04) and a 4K page 0x401000 -> 0x5000. Expected (SDM 4.3, table 4-4):
    /// the 4M read gives 0x1_2340_1234; a 4M PDE with bit 17 set (reserved: 36-bit MAXPHYADDR leaves bits 21:17
    /// reserved) faults RSVD|P = 0x9; with CR4.PSE=0 bit 7 is ignored, the PDE points to a "page table" at
    /// 0x23402000, beyond the 64M of guest memory, which KVM's walker treats as not present: 0x0.
    /// </summary>
    public static Experiment Pse36LargePage()
    {
        var tables = new PageTableBuilder(PagingMode.Legacy32)
            .Map(0xc040_0000, 0x1_2340_0000, PageTableBuilder.Size4M, PteFlags.Present | PteFlags.Write | PteFlags.User)
            .Map(0xc080_0000, 0x80_0000, PageTableBuilder.Size4M, PteFlags.Present | PteFlags.Write)
            .Map(0x401000, 0x5000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);
        return new Experiment
        {
            Name = "32-bit paging: 4M page above 4G with PSE-36",
            Vm = new VmConfig(MaxPhyAddr: 36),
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PSE },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0xc040_1234),
                new AccessStep(AccessKind.Read, 0x401008),
                new AccessStep(AccessKind.Read, 0xc080_0010),
                new PeekStep(0x1c08),
                new PokeStep(0x1c08, 0x0002_0083UL | 0x0080_0000UL),
                new AccessStep(AccessKind.Read, 0xc080_0010),
                new SetStep([new RegisterAssignment(VcpuRegister.Cr4, 0)]),
                new AccessStep(AccessKind.Read, 0xc040_1234),
            ],
        };
    }

    /// <summary>
    /// 5-level paging (CR4.LA57): 0xff00000000401000 -> 0x200000 (4K) and a 1G page 0x0000800000000000 ->
    /// 0x40000000, an address only 5-level paging can reach (canonical for 57 bits, not for 48). Expected: both
    /// translate (0x200008 and 0x40001000); 0x0001000000000000 (PML5 index 1, empty) faults not present: 0x0.
    /// </summary>
    public static Experiment FiveLevel()
    {
        var tables = new PageTableBuilder(PagingMode.Long5)
            .Map(0xff00_0000_0040_1000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write)
            .Map(0x0000_8000_0000_0000, 0x4000_0000, PageTableBuilder.Size1G, PteFlags.Present | PteFlags.Write | PteFlags.User);
        return new Experiment
        {
            Name = "5-level paging: addresses above 47 bits",
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = ProtectedPagingWp, Cr3 = tables.Root, Cr4 = Cr4.PAE | Cr4.LA57, Efer = LongMode },
            Steps =
            [
                new AccessStep(AccessKind.Read, 0xff00_0000_0040_1008),
                new AccessStep(AccessKind.Write, 0x0000_8000_0000_1000, Cpl: 3),
                new AccessStep(AccessKind.Read, 0x0001_0000_0000_0000),
            ],
        };
    }
}
