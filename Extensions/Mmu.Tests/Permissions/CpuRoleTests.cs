using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Tests.Permissions
{
    public class CpuRoleTests
    {
        // Expected words are written out from the 6.12 bit positions (spec 3.1/3.2): access=7 is 0x700,
        // direct 0x80, 4-byte 0x10, efer_nx 0x1000, cr0_wp 0x2000, smep_andnot_wp 0x4000, smap_andnot_wp 0x8000,
        // guest_mode 0x2_0000, smm 0x0100_0000. Ext: valid 1, pse 4, pke 8, smap 0x10, smep 0x20, la57 0x40, lma 0x80.
        [Theory]
        // Paging off: direct, level 0, access ALL; only ext.valid, even with CR4 bits set.
        [InlineData(Cr0.PE, Cr4.PAE | Cr4.SMEP | Cr4.PSE, Efer.NXE, 0x0000_0001_0000_0780UL)]
        // 32-bit paging without WP, with PSE, SMEP, SMAP.
        [InlineData(Cr0.PE | Cr0.PG, Cr4.PSE | Cr4.SMEP | Cr4.SMAP, 0UL, 0x0000_0035_0000_C712UL)]
        // 32-bit paging with WP: the *_andnot_wp bits stay clear.
        [InlineData(Cr0.PE | Cr0.PG | Cr0.WP, Cr4.SMEP | Cr4.SMAP, 0UL, 0x0000_0031_0000_2712UL)]
        // PAE with NX; PKE is ignored outside long mode.
        [InlineData(Cr0.PE | Cr0.PG | Cr0.WP, Cr4.PAE | Cr4.PKE, Efer.NXE, 0x0000_0001_0000_3703UL)]
        // 4-level with NX.
        [InlineData(Cr0.PE | Cr0.PG | Cr0.WP, Cr4.PAE, Efer.LME | Efer.LMA | Efer.NXE, 0x0000_0081_0000_3704UL)]
        // 4-level with PKE: cr4_pke.
        [InlineData(Cr0.PE | Cr0.PG | Cr0.WP, Cr4.PAE | Cr4.PKE, Efer.LME | Efer.LMA, 0x0000_0089_0000_2704UL)]
        // 5-level: cr4_la57.
        [InlineData(Cr0.PE | Cr0.PG | Cr0.WP, Cr4.PAE | Cr4.LA57, Efer.LME | Efer.LMA | Efer.NXE, 0x0000_00C1_0000_3705UL)]
        // LA57 without long mode is 3-level PAE and not la57.
        [InlineData(Cr0.PE | Cr0.PG, Cr4.PAE | Cr4.LA57, 0UL, 0x0000_0001_0000_0703UL)]
        public void Compute_encodes_each_paging_mode_in_the_6_12_layout(ulong cr0, ulong cr4, ulong efer, ulong expected)
        {
            CpuRole role = CpuRole.Compute(new CpuRegisters(cr0, 0x1000, cr4, efer, Rflags.Fixed1, 0));

            Assert.Equal(expected, role.AsU64);
        }

        [Theory]
        [InlineData(0UL, 0UL, 0UL, 0, false, false, false)]
        [InlineData(Cr0.PG, 0UL, 0UL, 2, true, false, false)]
        [InlineData(Cr0.PG, Cr4.PAE, 0UL, 3, true, true, false)]
        [InlineData(Cr0.PG, Cr4.PAE, Efer.LME | Efer.LMA, 4, true, true, true)]
        [InlineData(Cr0.PG, Cr4.PAE | Cr4.LA57, Efer.LME | Efer.LMA, 5, true, true, true)]
        // LMA without PAE is architecturally impossible; 6.12 drops LMA (KVM_BUG path).
        [InlineData(Cr0.PG, 0UL, Efer.LME | Efer.LMA, 2, true, false, false)]
        public void Accessors_describe_the_paging_mode(
            ulong cr0, ulong cr4, ulong efer, int level, bool paging, bool pae, bool longMode)
        {
            CpuRole role = CpuRole.Compute(new CpuRegisters(Cr0.PE | cr0, 0, cr4, efer, Rflags.Fixed1, 0));

            Assert.Equal(level, role.Level);
            Assert.Equal(paging, role.IsPaging);
            Assert.Equal(pae, role.IsPae);
            Assert.Equal(longMode, role.IsLongMode);
        }

        [Fact]
        public void Compute_records_guest_mode_and_smm_in_every_mode()
        {
            var paged = new CpuRegisters(Cr0.PE | Cr0.PG, 0, Cr4.PAE, 0, Rflags.Fixed1, 0);
            var unpaged = new CpuRegisters(Cr0.PE, 0, 0, 0, Rflags.Fixed1, 0);

            foreach (CpuRegisters regs in new[] { paged, unpaged })
            {
                CpuRole role = CpuRole.Compute(regs, guestMode: true, smm: true);

                Assert.True(role.Base.GuestMode);
                Assert.Equal(1, role.Base.Smm);
                Assert.Equal(0x0102_0000u, role.Base.Word & 0xFF02_0000u);
            }
        }

        [Fact]
        public void Accessors_read_the_named_role_bits()
        {
            ulong cr4 = Cr4.PAE | Cr4.PSE | Cr4.SMEP | Cr4.SMAP | Cr4.PKE | Cr4.LA57;
            var regs = new CpuRegisters(Cr0.PE | Cr0.PG, 0, cr4, Efer.LME | Efer.LMA | Efer.NXE, Rflags.Fixed1, 0);

            CpuRole role = CpuRole.Compute(regs);

            Assert.False(role.IsCr0Wp);
            Assert.True(role.IsEferNx);
            Assert.True(role.IsCr4Pse);
            Assert.True(role.IsCr4Smep);
            Assert.True(role.IsCr4Smap);
            Assert.True(role.IsCr4Pke);
            Assert.True(role.IsCr4La57);
            Assert.True(role.Base.SmepAndNotWp);
            Assert.True(role.Base.SmapAndNotWp);
            Assert.True(role.Ext.Valid);
            Assert.False(role.Ext.ExecOnly);
        }

        [Fact]
        public void Roles_are_equal_exactly_when_their_words_are()
        {
            var regs = new CpuRegisters(Cr0.PE | Cr0.PG | Cr0.WP, 0, Cr4.PAE, Efer.LME | Efer.LMA, Rflags.Fixed1, 0);
            CpuRole role = CpuRole.Compute(regs);

            Assert.Equal(role, new CpuRole(role.Base, role.Ext));
            Assert.Equal(role, new CpuRole(role.AsU64));
            Assert.NotEqual(role, CpuRole.Compute(regs with { Cr0 = Cr0.PE | Cr0.PG }));
            // CR3 and RFLAGS are not part of the role.
            Assert.Equal(role, CpuRole.Compute(regs with { Cr3 = 0x5000, Rflags = Rflags.Fixed1 | Rflags.AC }));
        }

        [Fact]
        public void Page_role_with_methods_change_only_their_field()
        {
            var role = new PageRole(0);

            Assert.Equal(0x0000_0005u, role.WithLevel(5).Word);
            Assert.Equal(0x0000_0010u, role.WithHas4ByteGpte(true).Word);
            Assert.Equal(0x0000_0060u, role.WithQuadrant(3).Word);
            Assert.Equal(0x0000_0080u, role.WithDirect(true).Word);
            Assert.Equal(0x0000_0500u, role.WithAccess(Acc.User | Acc.Exec).Word);
            Assert.Equal(0x0000_0800u, role.WithInvalid(true).Word);
            Assert.Equal(0x0000_1000u, role.WithEferNx(true).Word);
            Assert.Equal(0x0000_2000u, role.WithCr0Wp(true).Word);
            Assert.Equal(0x0000_4000u, role.WithSmepAndNotWp(true).Word);
            Assert.Equal(0x0000_8000u, role.WithSmapAndNotWp(true).Word);
            Assert.Equal(0x0001_0000u, role.WithAdDisabled(true).Word);
            Assert.Equal(0x0002_0000u, role.WithGuestMode(true).Word);
            Assert.Equal(0x0004_0000u, role.WithPassthrough(true).Word);
            Assert.Equal(0xAB00_0000u, role.WithSmm(0xAB).Word);

            var full = new PageRole(uint.MaxValue);
            Assert.Equal(0xFFFF_FFF0u | 0x3u, full.WithLevel(3).Word);
            Assert.Equal(uint.MaxValue & ~0x0000_2000u, full.WithCr0Wp(false).Word);
            Assert.Equal(3, full.WithLevel(3).Level);
            Assert.Equal(Acc.Write, full.WithAccess(Acc.Write).Access);
        }

        [Fact]
        public void Ext_role_with_methods_change_only_their_bit()
        {
            var ext = new ExtRole(0);

            Assert.Equal(0x01u, ext.WithValid(true).Word);
            Assert.Equal(0x02u, ext.WithExecOnly(true).Word);
            Assert.Equal(0x04u, ext.WithCr4Pse(true).Word);
            Assert.Equal(0x08u, ext.WithCr4Pke(true).Word);
            Assert.Equal(0x10u, ext.WithCr4Smap(true).Word);
            Assert.Equal(0x20u, ext.WithCr4Smep(true).Word);
            Assert.Equal(0x40u, ext.WithCr4La57(true).Word);
            Assert.Equal(0x80u, ext.WithEferLma(true).Word);
            Assert.Equal(0xFFu & ~0x20u, new ExtRole(0xFF).WithCr4Smep(false).Word);
        }

        [Fact]
        public void Page_role_with_methods_reject_values_wider_than_their_field()
        {
            var role = new PageRole(0);

            Assert.Throws<ArgumentOutOfRangeException>(() => role.WithLevel(16));
            Assert.Throws<ArgumentOutOfRangeException>(() => role.WithQuadrant(4));
            Assert.Throws<ArgumentOutOfRangeException>(() => role.WithSmm(256));
            Assert.Throws<ArgumentOutOfRangeException>(() => role.WithAccess((Acc)8));
        }

        [Fact]
        public void Role_text_names_the_fields_that_are_set()
        {
            var regs = new CpuRegisters(Cr0.PE | Cr0.PG | Cr0.WP, 0, Cr4.PAE, Efer.LME | Efer.LMA | Efer.NXE, Rflags.Fixed1, 0);

            string text = CpuRole.Compute(regs).ToString();

            Assert.Equal("base 0x00003704 level=4 access=7 nx wp / ext 0x00000081 valid lma", text);
        }
    }
}
