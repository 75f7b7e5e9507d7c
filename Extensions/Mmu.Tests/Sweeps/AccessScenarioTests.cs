using Workbench.Mmu.Arch;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>
/// The scenarios of access.c's <c>ac_test_cases[]</c> that mean something for a guest walker (the others,
/// <c>corrupt_hugepage_trigger</c> and <c>check_large_pte_dirty_for_nowp</c>, exercise KVM's shadow pages and
/// wait for the shadow MMU model). Each restates the scenario's tables and expectations; none reuses the sweep's
/// oracle.
/// </summary>
public sealed class AccessScenarioTests
{
    private const ulong P = 1UL << 0;
    private const ulong W = 1UL << 1;
    private const ulong U = 1UL << 2;
    private const ulong A = 1UL << 5;
    private const ulong D = 1UL << 6;
    private const ulong Nx = 1UL << 63;

    /// <summary>
    /// access.c <c>check_effective_sp_permissions</c>: two PDPTEs, one writable and one read-only, point at the
    /// same page directory. A user write through the read-only PDPTE must fault even though the same PD/PT were
    /// just written through the writable one: rights belong to the walk, not to the table (KVM's shadow pages
    /// once shared them; the scenario's comment draws the four paths).
    /// </summary>
    [Fact]
    public void Effective_permissions_come_from_the_walk_not_from_a_shared_table()
    {
        const ulong ptr1 = 0xffff_9234_8000_0000UL;
        const ulong ptr2 = ptr1 + (2UL << 20);
        const ulong ptr3 = ptr1 + (1UL << 30);
        const ulong ptr4 = ptr3 + (2UL << 20);
        var guest = new ScenarioGuest(efer: Efer.LME | Efer.LMA, cr0Wp: false);

        ulong pdpt = guest.Table();
        ulong pd = guest.Table();
        ulong pt1 = guest.Table();
        ulong pt2 = guest.Table();
        guest.Set(guest.Root, ptr1, 4, pdpt | P | W | U);
        guest.Set(pdpt, ptr1, 3, pd | P | W | U); // pud1: writable
        guest.Set(pdpt, ptr3, 3, pd | P | U); // pud2: read-only, same PD
        guest.Set(pd, ptr1, 2, pt1 | P | U | A); // pmd (u--)
        guest.Set(pd, ptr2, 2, pt2 | P | W | U | A); // pmd (uw-)
        guest.Set(pt1, ptr1, 1, 0x40_0000 | P | W | U | A);
        guest.Set(pt2, ptr2, 1, 0x40_1000 | P | W | U | A | D);

        Assert.Equal(WalkOutcome.Ok, guest.Access(ptr1, AccessKind.Read, 3).Outcome);
        Assert.Equal(WalkOutcome.Ok, guest.Access(ptr2, AccessKind.Write, 3).Outcome);
        Assert.Equal(WalkOutcome.Ok, guest.Access(ptr3, AccessKind.Read, 3).Outcome);

        WalkResult at4 = guest.Access(ptr4, AccessKind.Write, 3);
        Assert.Equal(WalkOutcome.PageFault, at4.Outcome);
        Assert.Equal(0x7UL, (ulong)at4.ErrorCode); // P | W | U
        Assert.Equal(ptr4, at4.FaultAddress);
    }

    /// <summary>
    /// access.c <c>check_toggle_cr0_wp</c>: load CR0.WP with the opposite value, toggle EFER.NX to make KVM
    /// rebuild its MMU context from the soon-stale WP, then set WP and do a supervisor write to a read-only
    /// page: it must fault exactly when WP = 1 (no stale permission table).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Supervisor_write_follows_cr0_wp_after_it_is_toggled(bool wp)
    {
        const ulong address = 0xffff_9230_4200_7000UL;
        var guest = new ScenarioGuest(efer: Efer.LME | Efer.LMA, cr0Wp: !wp);
        ulong pte = guest.MapFourKilobytes(address, P | A, P | A);

        Workbench.Mmu.Vcpu vcpu = guest.Vm.Vcpu;
        Assert.True(vcpu.SetEfer(Efer.LME | Efer.LMA | Efer.NXE).Ok);
        Assert.True(vcpu.SetEfer(Efer.LME | Efer.LMA).Ok);
        Assert.True(vcpu.SetCr0(Cr0.PE | Cr0.PG | (wp ? Cr0.WP : 0)).Ok);

        WalkResult write = guest.Access(address, AccessKind.Write, 0);
        guest.Vm.Memory.TryReadU64(pte, out ulong pteAfter);
        if (wp)
        {
            Assert.Equal(WalkOutcome.PageFault, write.Outcome);
            Assert.Equal(0x3UL, (ulong)write.ErrorCode); // P | W
            Assert.Equal(0UL, pteAfter & D);
        }
        else
        {
            Assert.Equal(WalkOutcome.Ok, write.Outcome);
            Assert.Equal(D, pteAfter & D);
        }
    }

    /// <summary>
    /// access.c <c>check_pfec_on_prefetch_pte</c> (KVM fix 3ddf6c06e13e): two PTEs in one page table, the second
    /// with XD while EFER.NXE = 0. After a read through the first, a read through the second must report a
    /// reserved-bit fault (RSVD | P), however the neighbour was touched before.
    /// </summary>
    [Fact]
    public void Neighbour_pte_with_xd_and_nxe_clear_faults_as_reserved()
    {
        const ulong at1 = 0xffff_9234_0600_1000UL;
        const ulong at2 = 0xffff_9234_0600_3000UL;
        var guest = new ScenarioGuest(efer: Efer.LME | Efer.LMA, cr0Wp: true);
        ulong pte1 = guest.MapFourKilobytes(at1, P, P);
        ulong pt = pte1 & ~0xFFFUL;
        guest.Vm.Memory.TryWriteU64(pt + (AccessLayout.Index(at2, 1) * 8), 0x40_0000 | P | Nx);

        Assert.Equal(WalkOutcome.Ok, guest.Access(at1, AccessKind.Read, 0).Outcome);
        WalkResult second = guest.Access(at2, AccessKind.Read, 0);
        Assert.Equal(WalkOutcome.PageFault, second.Outcome);
        Assert.Equal(0x9UL, (ulong)second.ErrorCode); // P | RSVD
    }

    /// <summary>A 4-level guest with hand-written tables.</summary>
    private sealed class ScenarioGuest
    {
        private ulong _nextTable = 0x10_0000;

        public ScenarioGuest(ulong efer, bool cr0Wp)
        {
            Vm = Vm.Create(new VmConfig());
            Root = Table();
            RegisterWrite loaded = Vm.Vcpu.LoadState(new CpuRegisters(
                Cr0.PE | Cr0.PG | (cr0Wp ? Cr0.WP : 0), Root, Cr4.PAE, efer, Rflags.Fixed1, 0));
            Assert.True(loaded.Ok, loaded.Error);
        }

        public Vm Vm { get; }

        public ulong Root { get; }

        public ulong Table()
        {
            ulong table = _nextTable;
            _nextTable += 0x1000;
            return table;
        }

        public void Set(ulong table, ulong address, int level, ulong entry)
        {
            Assert.True(Vm.Memory.TryWriteU64(table + (AccessLayout.Index(address, level) * 8), entry));
        }

        /// <summary>Maps one page with fresh tables (upper entries P|W|U); returns the PTE's address.</summary>
        public ulong MapFourKilobytes(ulong address, ulong pdeFlags, ulong pteFlags)
        {
            ulong pdpt = Table();
            ulong pd = Table();
            ulong pt = Table();
            Set(Root, address, 4, pdpt | P | W | U);
            Set(pdpt, address, 3, pd | P | W | U);
            Set(pd, address, 2, pt | pdeFlags);
            Set(pt, address, 1, 0x40_0000 | pteFlags);
            return pt + (AccessLayout.Index(address, 1) * 8);
        }

        public WalkResult Access(ulong address, AccessKind kind, int cpl) => Vm.Vcpu.Access(address, kind, cpl, false);
    }
}
