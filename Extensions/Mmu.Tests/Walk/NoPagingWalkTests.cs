using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>CR0.PG = 0: linear = physical (KVM nonpaging_gva_to_gpa).</summary>
    public class NoPagingWalkTests
    {
        [Theory]
        [InlineData(AccessKind.Read, 0)]
        [InlineData(AccessKind.Write, 3)]
        [InlineData(AccessKind.Fetch, 3)]
        public void Every_access_is_identity_mapped_without_reading_memory(AccessKind kind, int cpl)
        {
            Vm vm = Vm.Create(new VmConfig());
            WalkTrace trace = new WalkTrace();

            WalkResult result = vm.Vcpu.Access(0x1234_5678, kind, cpl, false, trace);

            Assert.Equal(PagingMode.None, vm.Vcpu.Mode);
            Assert.Equal(0x1234_5678UL, result.Gpa);
            Assert.Equal(0, result.Level);
            Assert.Equal(0, trace.Count);
        }

        [Fact]
        public void Linear_addresses_are_32_bits_wide()
        {
            Vm vm = Vm.Create(new VmConfig());

            Assert.Equal(0x10UL, vm.Vcpu.Access(0x1_0000_0010, AccessKind.Read, 0, false).Gpa);
        }

        [Fact]
        public void The_reset_state_has_paging_off()
        {
            Vm vm = Vm.Create(new VmConfig());

            Assert.Equal(Cr0.CD | Cr0.NW | Cr0.ET, vm.Vcpu.Registers.Cr0);
            Assert.Equal(Rflags.Fixed1, vm.Vcpu.Registers.Rflags);
            Assert.False(vm.Vcpu.Role.IsPaging);
        }
    }
}
