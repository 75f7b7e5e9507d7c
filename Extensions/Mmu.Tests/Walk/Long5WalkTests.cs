using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>5-level paging, CR4.LA57 (SDM 4.5; KVM paging64 with level 5).</summary>
    public class Long5WalkTests
    {
        // Indices 1, 2, 3, 4, 5 at levels 5..1; bit 55 set makes it non-canonical for 48-bit but canonical for 57-bit.
        private const ulong Gva = (1UL << 48) | (2UL << 39) | (3UL << 30) | (4UL << 21) | (5UL << 12) | 0x9AB | (1UL << 55);

        private static ulong[] Entries() => new ulong[] { 0x2007, 0x3007, 0x4007, 0x5007, 0x6007 };

        [Fact]
        public void It_walks_five_levels()
        {
            (Vm vm, ulong[] gpas) = Chain.Setup(PagingMode.Long5, Gva, Entries());
            WalkTrace trace = new WalkTrace();

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Write, 0, false, trace);

            Assert.Equal(0x69ABUL, result.Gpa);
            Assert.Equal(5, trace.ReadCount);
            Assert.Equal(new[] { 5, 4, 3, 2, 1 }, trace.Entries.Where(e => e.Kind == TraceKind.Read).Select(e => e.Level));
            Assert.Equal(new ulong[] { 0x2027, 0x3027, 0x4027, 0x5027, 0x6067 }, Chain.Read(vm, PagingMode.Long5, gpas));
        }

        [Theory]
        [InlineData(5)]
        [InlineData(4)]
        public void PS_in_a_PML5E_or_PML4E_is_reserved(int level)
        {
            ulong[] entries = Entries();
            entries[5 - level] |= Pte64.PageSizeMask;
            (Vm vm, _) = Chain.Setup(PagingMode.Long5, Gva, entries);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 0, false);

            Assert.Equal(PfErr.Rsvd | PfErr.Present, result.ErrorCode);
            Assert.Equal(level, result.Level);
        }

        [Fact]
        public void A_not_present_PML5E_faults_at_level_5()
        {
            ulong[] entries = Entries();
            entries[0] = 0x2006;
            (Vm vm, _) = Chain.Setup(PagingMode.Long5, Gva, entries);

            WalkResult result = vm.Vcpu.Access(Gva, AccessKind.Read, 3, false);

            Assert.Equal(PfErr.User, result.ErrorCode);
            Assert.Equal(5, result.Level);
        }

        [Theory]
        [InlineData(0x0100_0000_0000_0000UL, false)]
        [InlineData(0xFF00_0000_0000_0000UL, true)]
        [InlineData(0xFE00_0000_0000_0000UL, false)]
        [InlineData(0x00FF_FFFF_FFFF_FFFFUL, true)]
        public void Canonical_means_bits_63_to_56_are_equal(ulong gva, bool canonical)
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long5, Gva, Entries());

            WalkResult result = vm.Vcpu.Access(gva, AccessKind.Read, 0, false);

            Assert.Equal(canonical, result.Outcome != WalkOutcome.GeneralProtection);
        }

        [Fact]
        public void The_same_address_is_non_canonical_with_4_levels()
        {
            (Vm vm, _) = Chain.Setup(PagingMode.Long4, Gva, Entries());

            Assert.Equal(WalkOutcome.GeneralProtection, vm.Vcpu.Access(Gva, AccessKind.Read, 0, false).Outcome);
        }
    }
}
