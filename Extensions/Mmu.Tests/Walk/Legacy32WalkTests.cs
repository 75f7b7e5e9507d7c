using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>32-bit paging with 4-byte entries, 4 MiB pages and PSE-36 (SDM 4.3; KVM paging32).</summary>
    public class Legacy32WalkTests
    {
        // PDE index 0x103, PTE index 0x204, offset 0x567.
        private const ulong Gva = (0x103UL << 22) | (0x204UL << 12) | 0x567;

        private static ulong[] Entries() => new ulong[] { 0x3007, 0x5007 };

        [Fact]
        public void It_walks_two_levels_of_4_byte_entries()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Legacy32, Gva, Entries());
            WalkTrace trace = new WalkTrace();

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 3, false, trace);

            Assert.Equal(0x5567UL, result.Gpa);
            Assert.Equal(new ulong[] { 0x1000 + (0x103 * 4), 0x3000 + (0x204 * 4) }, gpas);
            Assert.Equal(gpas, trace.Entries.Where(e => e.Kind == TraceKind.Read).Select(e => e.Gpa));
            Assert.Equal(new ulong[] { 0x3027, 0x5067 }, Chain.Read(vm, PagingMode.Legacy32, gpas));

            // Only 4 bytes are written: the neighbouring entry stays untouched.
            vm.Memory.TryReadU32(gpas[1] + 4, out uint neighbour);
            Assert.Equal(0U, neighbour);
        }

        [Fact]
        public void A_PDE_with_PS_maps_a_4M_page_when_CR4_PSE_is_set()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new ulong[] { 0x0080_0087 });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(0x0080_0000UL | (Gva & 0x3F_FFFF), result.Gpa);
            Assert.Equal(2, result.Level);
            Assert.Equal(4UL << 20, result.PageSize);
        }

        [Fact]
        public void Bit_7_of_a_PDE_is_ignored_when_CR4_PSE_is_clear()
        {
            Vm vm = Vm.Create(new VmConfig());
            ulong[] gpas = Chain.Write(vm, PagingMode.Legacy32, 0x1000, Gva, 0x3087, 0x5007);
            CpuRegisters regs = Chain.Registers(PagingMode.Legacy32, 0x1000);
            Assert.True(vm.Vcpu.LoadState(regs with { Cr4 = 0 }).Ok);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(0x5567UL, result.Gpa);
            Assert.Equal(1, result.Level);
        }

        [Fact]
        public void Bit_7_of_a_PTE_is_PAT_and_never_reserved()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new ulong[] { 0x3007, 0x5087 });

            Assert.Equal(0x5567UL, vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).Gpa);
        }

        [Theory]
        [InlineData(0x1U, 0x1_0000_0000UL)]
        [InlineData(0xFU, 0xF_0000_0000UL)]
        [InlineData(0x5U, 0x5_0000_0000UL)]
        public void PSE_36_bits_16_to_13_supply_physical_address_bits_35_to_32(uint high, ulong expectedHigh)
        {
            ulong pde = 0x0080_0087UL | ((ulong)high << 13);
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new[] { pde });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(expectedHigh | 0x0080_0000UL | (Gva & 0x3F_FFFF), result.Gpa);
        }

        [Theory]
        [InlineData(17)]
        [InlineData(21)]
        public void Bits_21_to_17_of_a_4M_PDE_are_reserved(int bit)
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new ulong[] { 0x0080_0087UL | (1UL << bit) });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(PfErr.Rsvd | PfErr.Present, result.ErrorCode);
            Assert.Equal(2, result.Level);
        }

        [Theory]
        [InlineData(2, AccessKind.Read, 3, PfErr.User)]
        [InlineData(1, AccessKind.Write, 0, PfErr.Write)]
        public void A_not_present_entry_faults_at_its_level(int level, AccessKind kind, int cpl, PfErr expected)
        {
            ulong[] entries = Entries();
            entries[2 - level] &= ~1UL;
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, entries);

            WalkResult result = vm.Vcpu.Access(Gva, kind, cpl, false);

            Assert.Equal(expected, result.ErrorCode);
            Assert.Equal(level, result.Level);
        }

        [Fact]
        public void There_is_no_XD_so_fetches_never_fault_on_permissions()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new ulong[] { 0x3007, 0x8000_5007 });

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Fetch, 3, false);

            Assert.True(result.IsOk);
            Assert.Equal(Acc.All, result.PteAccess);
        }

        [Fact]
        public void A_fetch_fault_reports_I_D_with_EFER_NXE_as_KVM_does()
        {
            // SDM 4.7 sets I/D for 32-bit paging only with SMEP (NXE counts only with CR4.PAE); KVM's role copies
            // EFER.NXE in every paging mode (kvm_calc_cpu_role), so its walker also reports I/D here. The model follows KVM.
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new ulong[] { 0x3006 }, efer: Efer.NXE);

            Assert.Equal(PfErr.Fetch, vm.Vcpu.Access(Gva, AccessKind.Fetch, 0, false).ErrorCode);
        }

        [Fact]
        public void The_CR2_of_a_fault_is_the_32_bit_linear_address()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Legacy32, Gva, new ulong[] { 0x3006 }, efer: 0);

            WalkResult result = vm.Vcpu.Access(0xABCD_0000_0000UL | Gva, AccessKind.Read, 0, false);

            Assert.Equal(Gva, result.FaultAddress);
            Assert.Equal(PfErr.None, result.ErrorCode);
        }
    }
}
