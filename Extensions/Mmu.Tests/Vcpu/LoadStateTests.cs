using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Vcpu
{
    /// <summary>Whole-state loads (KVM_SET_SREGS: kvm_is_valid_sregs + CR value checks); errors name the register.</summary>
    public class LoadStateTests
    {
        private const ulong Pg = Cr0.PE | Cr0.PG | Cr0.ET;

        private static CpuRegisters Long4 => new CpuRegisters(Pg, 0x1000, Cr4.PAE, Efer.LME | Efer.LMA | Efer.NXE, Rflags.Fixed1, 0);

        public static IEnumerable<object[]> BadStates()
        {
            yield return new object[] { Long4 with { Cr4 = Cr4.PAE | (1UL << 26) }, "cr4: reserved bit 26 set" };
            yield return new object[] { Long4 with { Cr4 = Cr4.PAE | (3UL << 26) }, "cr4: reserved bits 0xc000000 set" };
            yield return new object[] { Long4 with { Cr0 = Pg | (1UL << 40) }, "cr0: reserved bit 40 set" };
            yield return new object[] { Long4 with { Cr0 = Cr0.PG | Cr0.ET }, "cr0: PG set without PE" };
            yield return new object[] { Long4 with { Cr0 = Pg | Cr0.NW }, "cr0: NW set without CD" };
            yield return new object[] { Long4 with { Efer = Efer.LME | Efer.LMA | (1UL << 9) }, "efer: reserved bit 9 set" };
            yield return new object[] { Long4 with { Cr4 = 0 }, "cr4: PAE must be set when EFER.LME=1 and CR0.PG=1" };
            yield return new object[] { Long4 with { Efer = Efer.LME }, "efer: LMA must be set when EFER.LME=1 and CR0.PG=1" };
            yield return new object[] { Long4 with { Cr0 = Cr0.PE, Efer = Efer.LME | Efer.LMA }, "efer: LMA set without EFER.LME=1 and CR0.PG=1" };
            yield return new object[] { Long4 with { Efer = Efer.LMA }, "efer: LMA set without EFER.LME=1 and CR0.PG=1" };
            yield return new object[] { Long4 with { Cr0 = Cr0.PE, Efer = 0, Cr4 = Cr4.PCIDE }, "cr4: PCIDE set outside long mode" };
            yield return new object[] { Long4 with { Cr3 = 1UL << 50 }, "cr3: bit 50 set above MAXPHYADDR (46)" };
            yield return new object[] { Long4 with { Rflags = 1UL << 3 }, "rflags: reserved bit 3 set" };
        }

        [Theory]
        [MemberData(nameof(BadStates))]
        public void An_invalid_state_is_rejected_with_the_register_named(CpuRegisters state, string error)
        {
            Vm vm = Vm.Create(new VmConfig());
            CpuRegisters before = vm.Vcpu.Registers;

            RegisterWrite load = vm.Vcpu.LoadState(state);

            Assert.False(load.Ok);
            Assert.Equal(error, load.Error);
            Assert.Equal(before, vm.Vcpu.Registers);
            Assert.Equal("#GP: " + error, load.ToString());
        }

        [Theory]
        [InlineData(0UL, 0UL, PagingMode.None)]
        [InlineData(Cr0.PG, 0UL, PagingMode.Legacy32)]
        [InlineData(Cr0.PG, Cr4.PAE, PagingMode.Pae)]
        [InlineData(Cr0.PG, Cr4.PAE | Cr4.LA57, PagingMode.Pae)]
        public void Legacy_states_select_their_paging_mode(ulong pg, ulong cr4, PagingMode mode)
        {
            Vm vm = Vm.Create(new VmConfig());

            Assert.True(vm.Vcpu.LoadState(new CpuRegisters(Cr0.PE | Cr0.ET | pg, 0x1000, cr4, 0, Rflags.Fixed1, 0)).Ok);

            Assert.Equal(mode, vm.Vcpu.Mode);
        }

        [Theory]
        [InlineData(0UL, PagingMode.Long4)]
        [InlineData(Cr4.LA57, PagingMode.Long5)]
        public void Long_mode_states_select_4_or_5_levels(ulong la57, PagingMode mode)
        {
            Vm vm = Vm.Create(new VmConfig());

            Assert.True(vm.Vcpu.LoadState(Long4 with { Cr4 = Cr4.PAE | la57, Pkru = 0x55 }).Ok);

            Assert.Equal(mode, vm.Vcpu.Mode);
            Assert.Equal(0x55U, vm.Vcpu.Registers.Pkru);
            Assert.Equal(mode.RootLevel(), vm.Vcpu.Role.Level);
        }

        [Theory]
        [InlineData(46, 0x3FFF_FFFF_FFFFUL, true)]
        [InlineData(46, 0x4000_0000_0000UL, false)]
        [InlineData(36, 0xF_FFFF_FFFFUL, true)]
        [InlineData(36, 0x10_0000_0000UL, false)]
        public void A_GPA_is_legal_below_MAXPHYADDR_even_outside_memory(int maxPhyAddr, ulong gpa, bool legal)
        {
            Vm vm = Vm.Create(new VmConfig(MaxPhyAddr: maxPhyAddr));

            Assert.Equal(legal, vm.IsLegalGpa(gpa));
            Assert.False(vm.Memory.Contains(gpa, 1));
        }

        [Fact]
        public void An_invalid_VM_configuration_is_a_caller_error()
        {
            Assert.Throws<ArgumentException>(() => Vm.Create(new VmConfig(MaxPhyAddr: 53)));
            Assert.False(Vm.TryCreate(new VmConfig(MemorySize: 4097), out _, out string? error));
            Assert.Equal("memory: 4097 is not a positive multiple of 4K", error);
            Assert.False(Vm.TryCreate(new VmConfig(MaxPhyAddr: 36, MemorySize: 1UL << 37), out _, out error));
            Assert.Equal("memory: 128G is more than MAXPHYADDR 36 can address (64G)", error);
        }
    }
}
