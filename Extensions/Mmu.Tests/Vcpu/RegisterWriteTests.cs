using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Vcpu
{
    /// <summary>MOV to CR / WRMSR checks (SDM Vol. 3A 2.5, 4.1; KVM x86.c kvm_set_cr0/cr3/cr4, set_efer).</summary>
    public class RegisterWriteTests
    {
        private const ulong Pg = Cr0.PE | Cr0.PG | Cr0.ET;

        private static Workbench.Mmu.Vcpu NewVcpu(CpuRegisters? state = null, VmConfig? config = null)
        {
            Vm vm = Vm.Create(config ?? new VmConfig());
            if (state is { } s)
            {
                RegisterWrite load = vm.Vcpu.LoadState(s);
                Assert.True(load.Ok, load.Error);
            }

            return vm.Vcpu;
        }

        private static CpuRegisters Protected => new CpuRegisters(Cr0.PE | Cr0.ET, 0x1000, 0, 0, Rflags.Fixed1, 0);

        private static CpuRegisters Long4 => new CpuRegisters(Pg, 0x1000, Cr4.PAE, Efer.LME | Efer.LMA | Efer.NXE, Rflags.Fixed1, 0);

        private static CpuRegisters Legacy32 => new CpuRegisters(Pg, 0x1000, 0, 0, Rflags.Fixed1, 0);

        public static IEnumerable<object[]> Cr0Cases()
        {
            yield return new object[] { "bit 32 reserved", Protected, Cr0.PE | (1UL << 32), "cr0: reserved bit 32 set" };
            yield return new object[] { "NW without CD", Protected, Cr0.PE | Cr0.NW, "cr0: NW set without CD" };
            yield return new object[] { "PG without PE", Protected, Cr0.PG, "cr0: PG set without PE" };
            yield return new object[] { "LME paging needs PAE", Protected with { Efer = Efer.LME }, Pg, "cr0: enabling paging with EFER.LME=1 requires CR4.PAE" };
            yield return new object[] { "clear PG in 64-bit mode", Long4, Cr0.PE, "cr0: clearing PG in 64-bit mode" };
            yield return new object[] { "clear PG with PCIDE", Long4 with { Cr4 = Cr4.PAE | Cr4.PCIDE }, Cr0.PE, "cr0: clearing PG with CR4.PCIDE=1" };
            yield return new object[] { "plain enable", Protected, Pg, null! };
            yield return new object[] { "CD and NW together", Protected, Cr0.PE | Cr0.CD | Cr0.NW, null! };
            yield return new object[] { "clear PG in 32-bit paging", Legacy32, Cr0.PE, null! };
        }

        [Theory]
        [MemberData(nameof(Cr0Cases))]
        public void MOV_to_CR0_applies_the_architectural_checks(string what, CpuRegisters start, ulong value, string? error)
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(start);

            RegisterWrite write = vcpu.SetCr0(value);

            Assert.True(error is null == write.Ok, what);
            Assert.Equal(error, write.Error);
            Assert.Equal(write.Ok ? (value | Cr0.ET) : start.Cr0, vcpu.Registers.Cr0);
        }

        [Fact]
        public void Reserved_low_CR0_bits_are_dropped_and_ET_is_forced()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Protected);

            Assert.True(vcpu.SetCr0(Cr0.PE | (1UL << 6)).Ok);

            Assert.Equal(Cr0.PE | Cr0.ET, vcpu.Registers.Cr0);
        }

        [Fact]
        public void Enabling_paging_with_LME_activates_long_mode_and_disabling_it_leaves()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Protected with { Cr4 = Cr4.PAE, Efer = Efer.LME });

            Assert.True(vcpu.SetCr0(Pg).Ok);
            Assert.Equal(Efer.LME | Efer.LMA, vcpu.Registers.Efer);
            Assert.Equal(PagingMode.Long4, vcpu.Mode);
        }

        [Fact]
        public void Leaving_paging_in_compatibility_state_clears_LMA()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Legacy32);

            Assert.True(vcpu.SetCr0(Cr0.PE).Ok);

            Assert.Equal(PagingMode.None, vcpu.Mode);
            Assert.Equal(0UL, vcpu.Registers.Efer & Efer.LMA);
        }

        public static IEnumerable<object[]> Cr4Cases()
        {
            yield return new object[] { "bit 23 on AMD is CET, fine", Protected, Cr4.CET, Vendor.Amd, null! };
            yield return new object[] { "bit 25 reserved", Protected, 1UL << 25, Vendor.Intel, "cr4: reserved bit 25 set" };
            yield return new object[] { "bit 15 reserved", Protected, 1UL << 15, Vendor.Intel, "cr4: reserved bit 15 set" };
            yield return new object[] { "VMXE on AMD", Protected, Cr4.VMXE, Vendor.Amd, "cr4: reserved bit 13 set" };
            yield return new object[] { "clear PAE in long mode", Long4, 0UL, Vendor.Intel, "cr4: clearing PAE in long mode" };
            yield return new object[] { "LA57 in long mode", Long4, Cr4.PAE | Cr4.LA57, Vendor.Intel, "cr4: changing LA57 in long mode" };
            yield return new object[] { "PCIDE outside long mode", Protected, Cr4.PCIDE, Vendor.Intel, "cr4: setting PCIDE outside long mode" };
            yield return new object[] { "PCIDE with CR3 PCID", Long4 with { Cr3 = 0x1005 }, Cr4.PAE | Cr4.PCIDE, Vendor.Intel, "cr4: setting PCIDE with CR3[11:0]=0x5" };
            yield return new object[] { "PCIDE in long mode", Long4, Cr4.PAE | Cr4.PCIDE, Vendor.Intel, null! };
            yield return new object[] { "LA57 outside long mode", Protected, Cr4.LA57, Vendor.Intel, null! };
        }

        [Theory]
        [MemberData(nameof(Cr4Cases))]
        public void MOV_to_CR4_applies_the_architectural_checks(string what, CpuRegisters start, ulong value, Vendor vendor, string? error)
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(start, new VmConfig(Vendor: vendor));

            RegisterWrite write = vcpu.SetCr4(value);

            Assert.True(error is null == write.Ok, what);
            Assert.Equal(error, write.Error);
            Assert.Equal(write.Ok ? value : start.Cr4, vcpu.Registers.Cr4);
        }

        public static IEnumerable<object[]> EferCases()
        {
            yield return new object[] { "SVME on Intel", Protected, Efer.SVME, Vendor.Intel, "efer: reserved bit 12 set" };
            yield return new object[] { "SVME on AMD", Protected, Efer.SVME, Vendor.Amd, null! };
            yield return new object[] { "bit 1", Protected, 1UL << 1, Vendor.Intel, "efer: reserved bit 1 set" };
            yield return new object[] { "TCE is not exposed by KVM", Protected, Efer.TCE, Vendor.Amd, "efer: reserved bit 15 set" };
            yield return new object[] { "LME while paging", Legacy32, Efer.LME, Vendor.Intel, "efer: changing LME while CR0.PG=1" };
            yield return new object[] { "clear LME in long mode", Long4, Efer.LMA, Vendor.Intel, "efer: changing LME while CR0.PG=1" };
            yield return new object[] { "NXE while paging", Legacy32, Efer.NXE, Vendor.Intel, null! };
        }

        [Theory]
        [MemberData(nameof(EferCases))]
        public void WRMSR_EFER_applies_the_architectural_checks(string what, CpuRegisters start, ulong value, Vendor vendor, string? error)
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(start, new VmConfig(Vendor: vendor));

            RegisterWrite write = vcpu.SetEfer(value);

            Assert.True(error is null == write.Ok, what);
            Assert.Equal(error, write.Error);
        }

        [Fact]
        public void EFER_LMA_is_read_only_for_WRMSR()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Protected);

            Assert.True(vcpu.SetEfer(Efer.LMA | Efer.NXE).Ok);

            Assert.Equal(Efer.NXE, vcpu.Registers.Efer);
        }

        [Fact]
        public void EFER_NXE_changes_the_role_and_the_reserved_bits()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Long4 with { Efer = Efer.LME | Efer.LMA });
            Assert.True(vcpu.WalkFormat.IsReserved(Workbench.Mmu.Paging.Pte64.NxMask | 1, 1));

            Assert.True(vcpu.SetEfer(Efer.LME | Efer.NXE).Ok);

            Assert.True(vcpu.Role.IsEferNx);
            Assert.False(vcpu.WalkFormat.IsReserved(Workbench.Mmu.Paging.Pte64.NxMask | 1, 1));
        }

        [Theory]
        [InlineData(46, 1UL << 46, "cr3: bit 46 set above MAXPHYADDR (46)")]
        [InlineData(40, 1UL << 45, "cr3: bit 45 set above MAXPHYADDR (40)")]
        [InlineData(52, 1UL << 51, null)]
        public void CR3_bits_at_or_above_MAXPHYADDR_are_reserved(int maxPhyAddr, ulong bit, string? error)
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Long4, new VmConfig(MaxPhyAddr: maxPhyAddr));

            RegisterWrite write = vcpu.SetCr3(0x2000 | bit);

            Assert.Equal(error, write.Error);
        }

        [Fact]
        public void CR3_bit_63_is_the_PCID_no_flush_hint_with_PCIDE()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Long4 with { Cr4 = Cr4.PAE | Cr4.PCIDE });

            Assert.True(vcpu.SetCr3((1UL << 63) | 0x2003).Ok);

            Assert.Equal(0x2003UL, vcpu.Registers.Cr3);
        }

        [Fact]
        public void The_walk_format_is_reused_when_the_role_does_not_change()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Long4);
            Workbench.Mmu.Permissions.PageFormat before = vcpu.WalkFormat;

            Assert.True(vcpu.SetCr3(0x3000).Ok);
            Assert.True(vcpu.SetCr4(Cr4.PAE | Cr4.PGE).Ok);
            Assert.True(vcpu.SetRflags(Rflags.Fixed1 | Rflags.AC).Ok);

            Assert.Same(before, vcpu.WalkFormat);
            Assert.True(vcpu.SetCr4(Cr4.PAE | Cr4.SMEP).Ok);
            Assert.NotSame(before, vcpu.WalkFormat);
        }

        [Fact]
        public void RFLAGS_undefined_bits_are_rejected_and_bit_1_is_forced()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu();

            Assert.Equal("rflags: reserved bit 22 set", vcpu.SetRflags(1UL << 22).Error);
            Assert.True(vcpu.SetRflags(Rflags.AC).Ok);
            Assert.Equal(Rflags.AC | Rflags.Fixed1, vcpu.Registers.Rflags);
        }

        [Fact]
        public void Invlpg_reports_canonical_addresses_only()
        {
            Workbench.Mmu.Vcpu vcpu = NewVcpu(Long4);
            List<ulong> seen = new List<ulong>();
            vcpu.AddressInvalidated += seen.Add;

            vcpu.Invlpg(0x7000);
            vcpu.Invlpg(0x0000_8000_0000_0000);

            Assert.Equal(new ulong[] { 0x7000 }, seen);
        }
    }
}
