using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>PAE paging: PDPTEs from the PDPTR registers, then 2 levels (SDM 4.4; KVM paging64 with level 3).</summary>
    public class PaeWalkTests
    {
        // PDPTE 2, PDE 3, PTE 4, offset 0x567. CR3 = 0x1020: the PDPT is 32-byte aligned inside the page.
        private const ulong Gva = (2UL << 30) | (3UL << 21) | (4UL << 12) | 0x567;
        private const ulong Cr3 = 0x1020;

        private static ulong[] Entries() => new ulong[] { 0x3001, 0x4007, 0x5007 };

        [Fact]
        public void It_takes_the_PDPTE_from_the_register_and_walks_two_levels()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Pae, Gva, Entries(), cr3: Cr3);
            WalkTrace trace = new WalkTrace();

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 3, false, trace);

            Assert.Equal(0x5567UL, result.Gpa);
            Assert.Equal(0x1030UL, gpas[0]);
            TraceEntry[] expected =
            {
                new TraceEntry(TraceKind.PdptrRegister, 3, 0x1030, 0x3001, 0),
                new TraceEntry(TraceKind.Read, 2, 0x3018, 0x4007, 0),
                new TraceEntry(TraceKind.Read, 1, 0x4020, 0x5007, 0),
                new TraceEntry(TraceKind.Write, 2, 0x3018, 0x4027, 0),
                new TraceEntry(TraceKind.Write, 1, 0x4020, 0x5067, 0),
            };
            Assert.Equal(expected, trace.Entries);

            // The PDPTE has no A bit and is never written.
            Assert.Equal(0x3001UL, Chain.Read(vm, PagingMode.Pae, gpas)[0]);
        }

        [Fact]
        public void The_PDPTE_contributes_no_permissions()
        {
            // A PDPTE has no R/W or U/S bits (they are reserved): a user write is allowed by the lower levels alone.
            (Vm vm, _) = Chain.Setup(PagingMode.Pae, Gva, Entries(), cr3: Cr3);

            Assert.Equal(Acc.All, vm.Vcpu.Access(Gva, AccessKind.Write, 3, false).PteAccess);
        }

        [Fact]
        public void A_not_present_PDPTE_faults_at_level_3()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Pae, Gva, new ulong[] { 0x3000 }, cr3: Cr3);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 3, false);

            Assert.Equal(PfErr.Write | PfErr.User, result.ErrorCode);
            Assert.Equal(3, result.Level);
        }

        [Fact]
        public void Editing_the_PDPT_in_memory_has_no_effect_until_CR3_is_reloaded()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Pae, Gva, Entries(), cr3: Cr3);
            vm.Memory.TryWriteU64(gpas[0], 0);

            Assert.True(vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).IsOk);

            Assert.True(vm.Vcpu.SetCr3(Cr3).Ok);
            Assert.Equal(0UL, vm.Vcpu.Pdptrs[2]);
            Assert.Equal(WalkOutcome.PageFault, vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).Outcome);
        }

        [Fact]
        public void It_maps_a_2M_page()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Pae, Gva, new ulong[] { 0x3001, 0x0060_0087 }, cr3: Cr3);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(0x0060_0000UL | (Gva & 0x1F_FFFF), result.Gpa);
            Assert.Equal(2UL << 20, result.PageSize);
        }

        [Theory]
        [InlineData(2, 1UL << 59, Efer.NXE)]
        [InlineData(1, 1UL << 62, Efer.NXE)]
        [InlineData(1, 1UL << 52, Efer.NXE)]
        [InlineData(2, Pte64.NxMask, 0UL)]
        [InlineData(2, Pte64.PageSizeMask | (1UL << 20), Efer.NXE)]
        public void Bits_62_to_52_and_XD_without_NXE_are_reserved(int level, ulong bits, ulong efer)
        {
            ulong[] entries = Entries();
            entries[3 - level] |= bits;
            (Vm vm, _) = Chain.Setup(PagingMode.Pae, Gva, entries, cr3: Cr3, efer: efer);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(PfErr.Rsvd | PfErr.Present, result.ErrorCode);
            Assert.Equal(level, result.Level);
        }

        [Fact]
        public void XD_at_the_PDE_forbids_fetches_with_NXE()
        {
            ulong[] entries = Entries();
            entries[1] |= Pte64.NxMask;
            (Vm vm, _) = Chain.Setup(PagingMode.Pae, Gva, entries, cr3: Cr3);

            Assert.Equal(PfErr.Present | PfErr.Fetch, vm.Vcpu.Access(Gva, AccessKind.Fetch, 0, false).ErrorCode);
        }

        [Fact]
        public void Addresses_are_truncated_to_32_bits()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Pae, Gva, Entries(), cr3: Cr3);

            WalkResult result = vm.Vcpu.Access(0x1234_0000_0000UL | Gva, AccessKind.Read, 0, false);

            Assert.Equal(0x5567UL, result.Gpa);
        }
    }
}
