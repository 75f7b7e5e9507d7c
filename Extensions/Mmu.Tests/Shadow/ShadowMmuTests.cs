using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Shadow;
using Workbench.Mmu.Tests.Nested;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Shadow;

/// <summary>
/// The shadow MMU and the TDP MMU (spec §8): the SPTEs KVM builds for an access, write protection and unsync of
/// shadowed guest tables, the CR0.WP=0 rule, roots and their reuse, and the spec §10 invariants after every step of
/// randomized runs.
/// </summary>
public class ShadowMmuTests
{
    private const ulong Gva = 0x401234;

    /// <summary>4-level L1: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000; 0x401000 → 0x200000; 0x402000 → the PT itself.</summary>
    private static Vm Guest(TdpMode tdp, ulong cr0 = Cr0.PG | Cr0.WP | Cr0.PE, PteFlags leaf = PteFlags.Present | PteFlags.Write | PteFlags.User)
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, leaf)
            .Map(0x402000, 0x4000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write)
            .Map(0x80_0000, 0x50_0000_0000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);
        var experiment = new Experiment
        {
            Vm = new VmConfig(Vendor: tdp == TdpMode.Npt ? Vendor.Amd : Vendor.Intel, Tdp: tdp),
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = cr0, Cr3 = tables.Root, Cr4 = Cr4.PAE, Efer = Efer.LME | Efer.LMA | Efer.NXE },
        };
        return ExperimentRunner.CreateVm(experiment);
    }

    private static ShadowPageDump Leaf(Vm vm) => MmuDump.Of(vm, vm.Vcpu.Contexts).ShadowPages.Single(p => p.Level == 1 && p.Gfn == 4 && !p.Direct);

    [Fact]
    public void A_read_through_a_clean_writable_gPTE_maps_read_only_and_the_write_makes_it_writable_and_dirty()
    {
        var vm = Guest(TdpMode.None);
        Assert.True(vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).IsOk);
        ulong spte = Leaf(vm).Sptes.Single(e => e.Index == 1).Spte;

        // protect_clean_gpte: D clear in the gPTE → no W; present, A, U, NX (the gPTE has no XD, so X: NX clear).
        Assert.Equal(0x200000UL | SpteFormat.MmuPresent | (1UL << 9) | 0x25, spte);

        Assert.True(vm.Vcpu.Access(Gva, AccessKind.Write, 0, false).IsOk);
        spte = Leaf(vm).Sptes.Single(e => e.Index == 1).Spte;
        Assert.Equal(0x200000UL | SpteFormat.MmuPresent | (1UL << 10) | (1UL << 9) | 0x67, spte);
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Fact]
    public void Shadow_pages_are_keyed_by_guest_table_and_role_and_upper_levels_are_write_tracked()
    {
        var vm = Guest(TdpMode.None);
        vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);
        var dump = MmuDump.Of(vm, vm.Vcpu.Contexts);

        Assert.Equal("root_mmu", dump.Mmu);
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, dump.ShadowPages.Select(p => p.Gfn));
        Assert.Equal(new[] { 4, 3, 2, 1 }, dump.ShadowPages.Select(p => p.Level));
        Assert.All(dump.ShadowPages, p => Assert.False(p.Direct));
        Assert.True(vm.Mmu.IsWriteTracked(1) && vm.Mmu.IsWriteTracked(2) && vm.Mmu.IsWriteTracked(3));
        Assert.False(vm.Mmu.IsWriteTracked(4));

        // kvm_init_shadow_mmu: the root role is the CPU role's base with efer_nx forced on.
        Assert.Equal(vm.Vcpu.Role.Base.WithEferNx(true).Word, dump.RootRole);
    }

    [Fact]
    public void A_store_to_a_shadowed_last_level_table_unsyncs_it_and_INVLPG_resyncs_the_entry()
    {
        var vm = Guest(TdpMode.None);
        vm.Vcpu.Access(Gva, AccessKind.Write, 0, false);

        // The guest rewrites its PTE for 0x401000 through its own mapping of the PT (0x402000 → 0x4000).
        Assert.True(vm.Vcpu.Store(0x402008, 0x300007).IsOk);
        Assert.True(Leaf(vm).Unsync);
        Assert.Equal(0x200000UL, Leaf(vm).Sptes.Single(e => e.Index == 1).Spte & SpteFormat.AddressMask);
        Assert.Empty(ShadowInvariants.Check(vm));

        // The stale SPTE survives until the guest flushes; INVLPG syncs it (the new gPTE has A clear: dropped).
        vm.Vcpu.Invlpg(Gva);
        Assert.DoesNotContain(Leaf(vm).Sptes, e => e.Index == 1);
        Assert.True(vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).IsOk);
        Assert.Equal(0x300000UL, Leaf(vm).Sptes.Single(e => e.Index == 1).Spte & SpteFormat.AddressMask);
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Fact]
    public void A_store_to_a_write_tracked_upper_level_table_is_emulated_and_zaps_the_shadowing_entry()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write)
            .Map(0x403000, 0x3000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);   // the PD itself
        var vm = ExperimentRunner.CreateVm(new Experiment
        {
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = Cr0.PG | Cr0.WP | Cr0.PE, Cr3 = tables.Root, Cr4 = Cr4.PAE, Efer = Efer.LME | Efer.LMA },
        });
        vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);
        var pd = MmuDump.Of(vm, vm.Vcpu.Contexts).ShadowPages.Single(p => p.Level == 2);
        Assert.Contains(pd.Sptes, e => e.Index == 2);

        // Writing PDE 2 (0x3010) through 0x403010: the PD's gfn is write-tracked, the SPTE stays read-only.
        Assert.True(vm.Vcpu.Store(0x403010, 0).IsOk);
        Assert.Equal(1, vm.Mmu.EmulatedWrites);
        pd = MmuDump.Of(vm, vm.Vcpu.Contexts).ShadowPages.Single(p => p.Level == 2 && p.Gfn == 3);
        Assert.DoesNotContain(pd.Sptes, e => e.Index == 2);
        Assert.Equal(WalkOutcome.PageFault, vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).Outcome);
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Fact]
    public void With_CR0_WP_clear_a_supervisor_write_to_a_read_only_user_page_gets_a_writable_supervisor_SPTE()
    {
        var vm = Guest(TdpMode.None, cr0: Cr0.PG | Cr0.PE, leaf: PteFlags.Present | PteFlags.User);
        Assert.True(vm.Vcpu.Access(Gva, AccessKind.Write, 0, false).IsOk);
        ulong spte = Leaf(vm).Sptes.Single(e => e.Index == 1).Spte;
        Assert.NotEqual(0UL, spte & SpteFormat.Writable);
        Assert.Equal(0UL, spte & (1UL << 2));

        // A user read then faults on the supervisor SPTE and flips it back: U, no W.
        Assert.True(vm.Vcpu.Access(Gva, AccessKind.Read, 3, false).IsOk);
        spte = Leaf(vm).Sptes.Single(e => e.Index == 1).Spte;
        Assert.Equal(0UL, spte & SpteFormat.Writable);
        Assert.NotEqual(0UL, spte & (1UL << 2));
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Fact]
    public void A_GPA_without_memory_gets_an_MMIO_SPTE()
    {
        var vm = Guest(TdpMode.None);
        Assert.True(vm.Vcpu.Access(0x80_0000, AccessKind.Read, 0, false).IsOk);
        // Legacy MMIO SPTEs carry bit 51 (reserved on the host, so the access faults with RSVD) and the GPA.
        var mmio = MmuDump.Of(vm, vm.Vcpu.Contexts).ShadowPages.SelectMany(p => p.Sptes).Single(e => (e.Spte & SpteFormat.AddressMask & ~(1UL << 51)) == 0x50_0000_0000);
        Assert.True(SpteFormat.Legacy.IsMmio(mmio.Spte));
        Assert.False(SpteFormat.IsPresent(mmio.Spte));
    }

    [Theory]
    [InlineData(TdpMode.Ept)]
    [InlineData(TdpMode.Npt)]
    public void The_TDP_MMU_maps_every_page_the_CPU_touches_with_direct_pages(TdpMode tdp)
    {
        var vm = Guest(tdp);
        Assert.True(vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).IsOk);
        var dump = MmuDump.Of(vm, vm.Vcpu.Contexts);

        Assert.All(dump.ShadowPages, p => Assert.True(p.Direct));
        var mapped = dump.ShadowPages.Where(p => p.Level == 1).SelectMany(p => p.Sptes.Select(e => e.Spte & SpteFormat.AddressMask)).ToHashSet();
        Assert.Equal(new HashSet<ulong> { 0x1000, 0x2000, 0x3000, 0x4000, 0x200000 }, mapped);
        var format = tdp == TdpMode.Ept ? SpteFormat.Ept : SpteFormat.Legacy;
        Assert.All(dump.ShadowPages.Where(p => p.Level == 1).SelectMany(p => p.Sptes), e => Assert.Equal(Acc.All, format.AccessOf(e.Spte)));
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Fact]
    public void L1_and_L2_never_share_TDP_roots_and_prev_roots_bring_L1s_back()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { L1Tdp = false, L0Tdp = true });
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        vm.Vcpu.Access(NestedRig.Gva, AccessKind.Read, 0, false);
        vm.Vcpu.ExitToL1();
        vm.Vcpu.Access(0x400000, AccessKind.Read, 0, false);

        Assert.Equal(2, vm.Mmu.TdpRoots.Count);
        Assert.NotEqual(vm.Mmu.TdpRoots[0].Role.GuestMode, vm.Mmu.TdpRoots[1].Role.GuestMode);
        var root = vm.Vcpu.Contexts.ActiveMmu;
        Assert.Single(root.PrevRoots);
        var l2Root = root.PrevRoots[0];

        Assert.True(vm.Vcpu.ResumeL2().Ok);
        vm.Vcpu.Access(NestedRig.Gva, AccessKind.Read, 0, false);
        Assert.Same(l2Root, root.Root);
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Fact]
    public void Under_nested_EPT_guest_mmu_shadows_L1s_EPT_and_write_tracks_its_tables()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        Assert.True(vm.Vcpu.Access(NestedRig.Gva, AccessKind.Write, 0, false).IsOk);
        var dump = MmuDump.Of(vm, vm.Vcpu.Contexts);

        Assert.Equal("guest_mmu", dump.Mmu);
        Assert.All(dump.ShadowPages, p => Assert.False(p.Direct));
        Assert.Contains(dump.ShadowPages, p => p.Level == 4 && p.Gfn == NestedRig.TdpTables >> 12);

        // EPT02 maps each L2 GPA the CPU used: L2's four table pages and the data page, in EPT format.
        var leaves = dump.ShadowPages.Where(p => p.Level == 1).SelectMany(p => p.Sptes).Select(e => e.Spte).ToList();
        Assert.Contains(leaves, s => (s & SpteFormat.AddressMask) == NestedRig.DataL1Gpa && (s & SpteFormat.Writable) != 0);
        Assert.Equal(5, leaves.Count);
        Assert.True(vm.Mmu.IsWriteTracked(NestedRig.TdpTables >> 12));
        Assert.Empty(ShadowInvariants.Check(vm));
    }

    [Theory]
    [InlineData(TdpMode.None, false, PagingMode.Long4)]
    [InlineData(TdpMode.None, false, PagingMode.Pae)]
    [InlineData(TdpMode.None, false, PagingMode.Legacy32)]
    [InlineData(TdpMode.Ept, false, PagingMode.Long4)]
    [InlineData(TdpMode.Ept, true, PagingMode.Long4)]
    [InlineData(TdpMode.Ept, true, PagingMode.Pae)]
    public void Invariants_hold_after_every_step_of_randomized_runs(TdpMode l0, bool l1Tdp, PagingMode l2Paging)
    {
        // Sampled (fixed seeds, 40 runs × 60 steps per configuration): random accesses, guest stores into the
        // page tables, INVLPG, CR3 reloads, WP flips and level switches, the invariants checked after every step.
        for (int seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var rig = NestedRig.Build(new NestedSetup.Options { L0Tdp = l0 != TdpMode.None, L1Tdp = l1Tdp, L2Paging = l2Paging });
            var vm = ExperimentRunner.CreateVm(rig.Experiment);
            var tableWords = rig.Experiment.Memory.Select(m => m.Gpa).ToList();
            for (int step = 0; step < 60; step++)
            {
                switch (random.Next(7))
                {
                    case 0:
                    case 1:
                        vm.Vcpu.ResumeL2();
                        vm.Vcpu.Access(NestedRig.Gva + (ulong)random.Next(4096), (AccessKind)random.Next(3), random.Next(2) * 3, false);
                        break;
                    case 2:
                        ulong gpa = tableWords[random.Next(tableWords.Count)];
                        vm.Memory.TryReadU64(gpa, out ulong word);
                        vm.Memory.TryWriteU64(gpa, word ^ (1UL << random.Next(12)));
                        vm.Mmu.TrackWrite(gpa, 8);
                        break;
                    case 3:
                        vm.Vcpu.Invlpg(NestedRig.Gva);
                        break;
                    case 4:
                        vm.Vcpu.SetCr3(vm.Vcpu.Registers.Cr3);
                        break;
                    case 5:
                        vm.Vcpu.SetCr0(vm.Vcpu.Registers.Cr0 ^ Cr0.WP);
                        break;
                    default:
                        vm.Vcpu.ExitToL1();
                        vm.Vcpu.Access(0x400000 + (ulong)random.Next(4096), AccessKind.Write, 0, false);
                        break;
                }

                var problems = ShadowInvariants.Check(vm);
                Assert.True(problems.Count == 0, $"seed {seed} step {step}: {string.Join("; ", problems)}");
            }
        }
    }
}
