using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Vcpu
{
    /// <summary>PAE PDPTR loading on MOV CR0/CR3/CR4 and state loads (SDM 4.4.1; KVM x86.c load_pdptrs).</summary>
    public class PdptrLoadTests
    {
        private const ulong Cr3 = 0x1040;

        private static CpuRegisters Pae => new CpuRegisters(Cr0.PE | Cr0.PG | Cr0.ET, Cr3, Cr4.PAE, 0, Rflags.Fixed1, 0);

        private static Vm VmWithPdpt(ulong[] pdptes, int maxPhyAddr = 46)
        {
            Vm vm = Vm.Create(new VmConfig(MaxPhyAddr: maxPhyAddr));
            for (int i = 0; i < pdptes.Length; i++)
            {
                vm.Memory.TryWriteU64(Cr3 + ((ulong)i * 8), pdptes[i]);
            }

            return vm;
        }

        public static IEnumerable<object[]> BadPdptes()
        {
            yield return new object[] { "R/W (bit 1)", 0x2003UL, 46 };
            yield return new object[] { "U/S (bit 2)", 0x2005UL, 46 };
            yield return new object[] { "bit 5", 0x2021UL, 46 };
            yield return new object[] { "bit 8", 0x2101UL, 46 };
            yield return new object[] { "bit 46 = MAXPHYADDR", (1UL << 46) | 0x2001UL, 46 };
            yield return new object[] { "bit 36 with MAXPHYADDR 36", (1UL << 36) | 0x2001UL, 36 };
            yield return new object[] { "XD (bit 63)", (1UL << 63) | 0x2001UL, 46 };
        }

        [Theory]
        [MemberData(nameof(BadPdptes))]
        public void A_present_PDPTE_with_a_reserved_bit_fails_the_state_load(string what, ulong pdpte, int maxPhyAddr)
        {
            Vm vm = VmWithPdpt(new ulong[] { 0x2001, 0x3001, pdpte, 0 }, maxPhyAddr);

            RegisterWrite load = vm.Vcpu.LoadState(Pae);

            Assert.False(load.Ok, what);
            Assert.StartsWith("cr3: PDPTE 2 (0x", load.Error);
            Assert.Equal(PagingMode.None, vm.Vcpu.Mode);
        }

        [Fact]
        public void A_not_present_PDPTE_may_hold_any_bits()
        {
            Vm vm = VmWithPdpt(new ulong[] { 0x2001, 0xFFFF_FFFF_FFFF_FFFEUL, 0, 0 });

            Assert.True(vm.Vcpu.LoadState(Pae).Ok);
            Assert.Equal(0xFFFF_FFFF_FFFF_FFFEUL, vm.Vcpu.Pdptrs[1]);
        }

        [Fact]
        public void MOV_CR3_with_a_bad_PDPTE_fails_and_keeps_the_old_PDPTRs()
        {
            Vm vm = VmWithPdpt(new ulong[] { 0x2001, 0, 0, 0 });
            Assert.True(vm.Vcpu.LoadState(Pae).Ok);
            vm.Memory.TryWriteU64(0x3000, 0x5007);

            RegisterWrite write = vm.Vcpu.SetCr3(0x3000);

            Assert.Equal("cr3: PDPTE 0 (0x5007) has reserved bits 0x6 set", write.Error);
            Assert.Equal(Cr3, vm.Vcpu.Registers.Cr3);
            Assert.Equal(0x2001UL, vm.Vcpu.Pdptrs[0]);
        }

        [Fact]
        public void Enabling_paging_with_PAE_loads_the_PDPTRs_and_fails_on_a_bad_one()
        {
            Vm vm = VmWithPdpt(new ulong[] { 0x2001, 0, 0, 0x4003 });
            Assert.True(vm.Vcpu.LoadState(Pae with { Cr0 = Cr0.PE | Cr0.ET }).Ok);

            Assert.Equal("cr0: PDPTE 3 (0x4003) has reserved bits 0x2 set", vm.Vcpu.SetCr0(Cr0.PE | Cr0.PG).Error);

            vm.Memory.TryWriteU64(Cr3 + 24, 0x4001);
            Assert.True(vm.Vcpu.SetCr0(Cr0.PE | Cr0.PG).Ok);
            Assert.Equal(new ulong[] { 0x2001, 0, 0, 0x4001 }, vm.Vcpu.Pdptrs.ToArray());
        }

        [Fact]
        public void Setting_CR4_PAE_under_paging_loads_the_PDPTRs()
        {
            // Bit 6 is reserved in a PDPTE; PWT/PCD (bits 3, 4) are not.
            Vm vm = VmWithPdpt(new ulong[] { 0x2019, 0x2041, 0, 0 });
            Assert.True(vm.Vcpu.LoadState(Pae with { Cr4 = 0 }).Ok);

            Assert.Equal("cr4: PDPTE 1 (0x2041) has reserved bits 0x40 set", vm.Vcpu.SetCr4(Cr4.PAE).Error);
            Assert.Equal(PagingMode.Legacy32, vm.Vcpu.Mode);

            vm.Memory.TryWriteU64(Cr3 + 8, 0x2001);
            Assert.True(vm.Vcpu.SetCr4(Cr4.PAE).Ok);
            Assert.Equal(new ulong[] { 0x2019, 0x2001, 0, 0 }, vm.Vcpu.Pdptrs.ToArray());
        }

        [Fact]
        public void A_PDPT_outside_guest_memory_fails_the_load()
        {
            Vm vm = Vm.Create(new VmConfig(MemorySize: 1UL << 20));

            RegisterWrite load = vm.Vcpu.LoadState(Pae with { Cr3 = 0x20_0000 });

            Assert.Equal("cr3: PDPT at 0x200000 is outside guest memory", load.Error);
        }
    }
}
