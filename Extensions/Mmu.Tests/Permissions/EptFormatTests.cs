using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Tests.Permissions
{
    public class EptFormatTests
    {
        // Hand-written from SDM Vol. 3C 29.3.2 (EPT entry formats) and spec 5.2. Bits 51:46 = 0x000F_C000_0000_0000,
        // 7:3 = 0xF8, 6:3 = 0x78, 29:12 = 0x3FFF_F000, 20:12 = 0x001F_F000.
        [Theory]
        [InlineData(3, 0, 5, 0x000F_C000_0000_00F8UL)]
        [InlineData(3, 1, 5, 0x000F_C000_0000_00F8UL)]
        [InlineData(3, 0, 4, 0x000F_C000_0000_00F8UL)]
        [InlineData(3, 1, 4, 0x000F_C000_0000_00F8UL)]
        [InlineData(3, 0, 3, 0x000F_C000_0000_0078UL)]
        [InlineData(3, 1, 3, 0x000F_C000_3FFF_F000UL)]
        [InlineData(3, 0, 2, 0x000F_C000_0000_0078UL)]
        [InlineData(3, 1, 2, 0x000F_C000_001F_F000UL)]
        [InlineData(3, 0, 1, 0x000F_C000_0000_0000UL)]
        [InlineData(3, 1, 1, 0x000F_C000_0000_0000UL)]
        // Without 1 GiB pages bit 7 is reserved at level 3; without 2 MiB pages also at level 2.
        [InlineData(2, 0, 3, 0x000F_C000_0000_00F8UL)]
        [InlineData(2, 1, 3, 0x000F_C000_3FFF_F080UL)]
        [InlineData(2, 1, 2, 0x000F_C000_001F_F000UL)]
        [InlineData(1, 0, 2, 0x000F_C000_0000_00F8UL)]
        [InlineData(1, 1, 2, 0x000F_C000_001F_F080UL)]
        public void Ept_reserved_mask_matches_the_SDM_for_level_and_huge_page_support(
            int hugeLevel, int bit7, int level, ulong expected)
        {
            PageFormat format = PageFormat.ForEpt(46, execOnly: false, hugeLevel);

            Assert.Equal(expected, format.GetReservedMask(bit7, level));
        }

        [Fact]
        public void Ept_never_reserves_bits_63_to_52()
        {
            PageFormat format = PageFormat.ForEpt(52, execOnly: true, hugeLevel: 3);

            // Suppress-#VE (63) and the ignored bits: a readable WB 4 KiB leaf with all of them set.
            Assert.False(format.IsReserved(0xFFF0_0000_0000_1037UL, 1));
        }

        [Theory]
        // Bad memory types 2, 3, 7 (bytes 2, 3, 7 full); XWR 010 and 110 in every byte; 100 unless exec-only.
        [InlineData(false, 0xFF54_5454_FFFF_5454UL)]
        [InlineData(true, 0xFF44_4444_FFFF_4444UL)]
        public void Bad_memory_type_and_permission_map_matches_the_SDM(bool execOnly, ulong expected)
        {
            Assert.Equal(expected, PageFormat.ForEpt(46, execOnly, 3).BadMtXwr);
        }

        [Theory]
        [InlineData(false, 0x1037UL, false)]  // WB (6), RWX
        [InlineData(false, 0x1031UL, false)]  // WB, read-only
        [InlineData(false, 0x1032UL, true)]   // write-only
        [InlineData(false, 0x1036UL, true)]   // write+execute without read
        [InlineData(false, 0x1034UL, true)]   // execute-only without the capability
        [InlineData(true, 0x1034UL, false)]   // execute-only with it
        [InlineData(false, 0x1017UL, true)]   // memory type 2 is reserved
        [InlineData(false, 0x1007UL, false)]  // UC (0)
        public void Is_reserved_applies_the_memory_type_and_XWR_rules_to_a_leaf(bool execOnly, ulong entry, bool expected)
        {
            PageFormat format = PageFormat.ForEpt(46, execOnly, 3);

            Assert.Equal(expected, format.IsReserved(entry, 1));
        }

        [Fact]
        public void Ept_permission_table_requires_R_for_reads_W_for_writes_and_X_for_fetches()
        {
            PageFormat format = PageFormat.ForEpt(46, execOnly: true, hugeLevel: 3);

            // SDM 29.3.3.2: an EPT violation occurs when a read, write or fetch finds R, W or X clear. KVM 6.12
            // encodes EPT R as Acc.User and requests a read with PfErr.User; the RSVD slot has no meaning.
            for (int index = 0; index < 16; index++)
            {
                bool write = (index & 1) != 0;
                bool read = (index & 2) != 0;
                bool fetch = (index & 8) != 0;
                for (int access = 0; access < 8; access++)
                {
                    bool readable = (access & (int)Acc.User) != 0;
                    bool writable = (access & (int)Acc.Write) != 0;
                    bool executable = (access & (int)Acc.Exec) != 0;
                    bool expected = (read && !readable) || (write && !writable) || (fetch && !executable);

                    Assert.Equal(expected, ((format.Permissions[index] >> access) & 1) != 0);
                }
            }
        }

        [Fact]
        public void Ept_format_has_no_protection_keys_and_ignores_AC()
        {
            PageFormat format = PageFormat.ForEpt(46, execOnly: false, hugeLevel: 3);
            ulong userRead = (ulong)PfErr.User;

            Assert.True(format.IsEpt);
            Assert.Equal(0u, format.PkruMask);
            Assert.Equal(0UL, format.PermissionFault(Acc.User, 5, userRead, Rflags.Fixed1, 0xFFFF_FFFF));
            Assert.Equal((ulong)PfErr.Present, format.PermissionFault(Acc.Write, 0, userRead, Rflags.AC, 0));
        }

        [Fact]
        public void Ept_formats_are_cached_per_input()
        {
            PageFormat first = PageFormat.ForEpt(46, execOnly: false, hugeLevel: 3);

            Assert.Same(first, PageFormat.ForEpt(46, execOnly: false, hugeLevel: 3));
            Assert.NotSame(first, PageFormat.ForEpt(46, execOnly: true, hugeLevel: 3));
            Assert.NotSame(first, PageFormat.ForEpt(46, execOnly: false, hugeLevel: 2));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(4)]
        public void Ept_format_rejects_a_huge_level_outside_4K_to_1G(int hugeLevel)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => PageFormat.ForEpt(46, false, hugeLevel));
        }
    }
}
