using System.Numerics;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Tests.Permissions
{
    /// <summary>
    /// The encoding facts the permission code relies on, checked the way KVM checks them with BUILD_BUG_ON.
    /// </summary>
    public class EncodingInvariantTests
    {
        // SDM Vol. 3A Table 4-19: R/W is bit 1, U/S is bit 2 of every x86 paging-structure entry.
        private const ulong PteWritable = 1UL << 1;
        private const ulong PteUser = 1UL << 2;

        [Fact]
        public void Acc_write_and_user_sit_where_the_PTE_keeps_R_W_and_U_S()
        {
            // KVM mmu.c: BUILD_BUG_ON(ACC_WRITE_MASK != PT_WRITABLE_MASK) and the same for ACC_USER_MASK, so that
            // the walker can AND raw entries into pte_access.
            Assert.Equal(PteWritable, (ulong)Acc.Write);
            Assert.Equal(PteUser, (ulong)Acc.User);
            Assert.Equal(1UL, (ulong)Acc.Exec);
            Assert.Equal(7, (int)Acc.All);
        }

        [Theory]
        [InlineData(PfErr.Present, 0)]
        [InlineData(PfErr.Write, 1)]
        [InlineData(PfErr.User, 2)]
        [InlineData(PfErr.Rsvd, 3)]
        [InlineData(PfErr.Fetch, 4)]
        [InlineData(PfErr.PK, 5)]
        [InlineData(PfErr.GuestFinal, 32)]
        [InlineData(PfErr.GuestPage, 33)]
        [InlineData(PfErr.ImplicitAccess, 48)]
        public void Page_fault_error_bits_have_their_architectural_positions(PfErr bit, int position)
        {
            Assert.Equal(1UL << position, (ulong)bit);
        }

        [Fact]
        public void Permission_index_fits_the_16_entry_table()
        {
            // index = pfec >> 1 over W, U, RSVD, F: four bits, so permissions[16] (KVM kvm_host.h).
            ulong widest = (ulong)(PfErr.Write | PfErr.User | PfErr.Rsvd | PfErr.Fetch) >> 1;
            PageFormat format = PageFormat.ForEpt(46, false, 3);

            Assert.Equal(15UL, widest);
            Assert.Equal(16, format.Permissions.Length);
        }

        [Fact]
        public void Pkru_offset_replaces_the_RSVD_slot_with_the_user_page_bit()
        {
            // permission_fault: offset = (pfec & ~1) | (pte_access & PT_USER_MASK ? PFERR_RSVD_MASK : 0); the mask
            // offset must stay below 32 and Acc.User shifted left once must land on RSVD.
            Assert.Equal((ulong)PfErr.Rsvd, (ulong)Acc.User << 1);
            ulong widestOffset = (ulong)(PfErr.Write | PfErr.User | PfErr.Rsvd | PfErr.Fetch);
            Assert.True(widestOffset + 1 < 32);
        }

        [Fact]
        public void Permission_fault_shift_constants_match_the_register_bits()
        {
            Assert.Equal(Rflags.AC, 1UL << PageFormat.RflagsAcBit);
            Assert.Equal((ulong)PfErr.ImplicitAccess, 1UL << PageFormat.ImplicitAccessBit);
            Assert.Equal((ulong)PfErr.Rsvd, 1UL << PageFormat.RsvdBit);
            Assert.Equal((ulong)PfErr.PK, 1UL << PageFormat.PkBit);
        }

        [Fact]
        public void Kvm_synthetic_error_bits_stay_above_the_hardware_error_code()
        {
            // KVM kvm_handle_page_fault: BUILD_BUG_ON on synthetic flags in the low 32 bits.
            Assert.Equal(0UL, (ulong)(PfErr.GuestFinal | PfErr.GuestPage | PfErr.ImplicitAccess) & 0xFFFF_FFFFUL);
        }

        [Fact]
        public void Page_role_fields_do_not_overlap_and_fill_the_defined_bits()
        {
            uint[] fields =
            {
                PageRole.LevelMask,
                1u << PageRole.Has4ByteGpteShift,
                PageRole.QuadrantMask,
                1u << PageRole.DirectShift,
                PageRole.AccessMask,
                1u << PageRole.InvalidShift,
                1u << PageRole.EferNxShift,
                1u << PageRole.Cr0WpShift,
                1u << PageRole.SmepAndNotWpShift,
                1u << PageRole.SmapAndNotWpShift,
                1u << PageRole.AdDisabledShift,
                1u << PageRole.GuestModeShift,
                1u << PageRole.PassthroughShift,
                PageRole.SmmMask,
            };

            uint seen = 0;
            foreach (uint field in fields)
            {
                Assert.Equal(0u, seen & field);
                seen |= field;
            }

            Assert.Equal(PageRole.DefinedBits, seen);
            // Bits 23:19 are unused in 6.12 (is_mirror at 19 arrived in 6.14).
            Assert.Equal(0x00F8_0000u, ~seen);
        }

        [Fact]
        public void Page_role_fields_are_wide_enough_for_their_values()
        {
            // Level up to PT64_ROOT_MAX_LEVEL (5), access up to ACC_ALL, smm up to the address-space count.
            Assert.True(PageFormat.MaxLevel <= (int)(PageRole.LevelMask >> PageRole.LevelShift));
            Assert.Equal((uint)Acc.All, PageRole.AccessMask >> PageRole.AccessShift);
            Assert.Equal(2, BitOperations.PopCount(PageRole.QuadrantMask));
            Assert.Equal(8, BitOperations.PopCount(PageRole.SmmMask));
        }

        [Fact]
        public void Ext_role_bits_are_distinct_and_cover_the_defined_byte()
        {
            int[] shifts =
            {
                ExtRole.ValidShift, ExtRole.ExecOnlyShift, ExtRole.Cr4PseShift, ExtRole.Cr4PkeShift,
                ExtRole.Cr4SmapShift, ExtRole.Cr4SmepShift, ExtRole.Cr4La57Shift, ExtRole.EferLmaShift,
            };

            uint seen = 0;
            foreach (int shift in shifts)
            {
                Assert.Equal(0u, seen & (1u << shift));
                seen |= 1u << shift;
            }

            Assert.Equal(ExtRole.DefinedBits, seen);
        }
    }
}
