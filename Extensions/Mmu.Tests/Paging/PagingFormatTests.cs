using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Paging
{
    /// <summary>Per-format constants and entry arithmetic (paging_tmpl.h PTTYPE parameters).</summary>
    public class PagingFormatTests
    {
        [Fact]
        public void Each_format_declares_the_paging_tmpl_parameters()
        {
            Assert.Equal((0, 32), (NoPagingFormat.RootLevel, NoPagingFormat.LinearAddressBits));
            Assert.Equal((2, 10, 4, 0UL, 32), (Legacy32Format.RootLevel, Legacy32Format.LevelBits, Legacy32Format.EntrySize, Legacy32Format.NxMask, Legacy32Format.LinearAddressBits));
            Assert.Equal((3, 9, 8, Pte64.NxMask, 32), (PaeFormat.RootLevel, PaeFormat.LevelBits, PaeFormat.EntrySize, PaeFormat.NxMask, PaeFormat.LinearAddressBits));
            Assert.Equal((4, 9, 8, Pte64.NxMask, 48), (Long4Format.RootLevel, Long4Format.LevelBits, Long4Format.EntrySize, Long4Format.NxMask, Long4Format.LinearAddressBits));
            Assert.Equal((5, 9, 8, Pte64.NxMask, 57), (Long5Format.RootLevel, Long5Format.LevelBits, Long5Format.EntrySize, Long5Format.NxMask, Long5Format.LinearAddressBits));
            Assert.True(PaeFormat.UsesPdptrs);
            Assert.False(Long4Format.UsesPdptrs);
        }

        [Fact]
        public void The_walks_accumulated_access_is_gpte_access_of_the_entries_walked()
        {
            // Exhaustive over W, U and XD of up to four present entries (4,096 chains per format): the walk's shortcut
            // (AND of the entries with NX inverted, read at the leaf) against KVM's gpte_access of the un-inverted AND.
            ulong[] flagsOf = [0, Pte64.WritableMask, Pte64.UserMask, Pte64.NxMask];
            for (int levels = 1; levels <= 4; levels++)
            {
                for (int chain = 0; chain < 1 << (3 * levels); chain++)
                {
                    ulong and64 = ~0UL;
                    ulong and32 = ~0UL;
                    for (int level = 0; level < levels; level++)
                    {
                        int bits = (chain >> (3 * level)) & 7;
                        ulong entry = Pte64.PresentMask | ((bits & 1) != 0 ? flagsOf[1] : 0) | ((bits & 2) != 0 ? flagsOf[2] : 0)
                            | ((bits & 4) != 0 ? flagsOf[3] : 0);
                        and64 &= entry ^ Pte64.NxMask;
                        and32 &= (uint)entry; // 32-bit entries: no NX (NxMask 0)
                    }

                    Assert.Equal(X86Entries.GpteAccess(and64 ^ Pte64.NxMask), X86Entries.AccumulatedAccess(and64, hasNx: true));
                    Assert.Equal(X86Entries.GpteAccess(and32), X86Entries.AccumulatedAccess(and32, hasNx: false));
                }
            }
        }

        [Theory]
        [InlineData(1, 4096UL)]
        [InlineData(2, 2UL << 20)]
        [InlineData(3, 1UL << 30)]
        public void Sixty_four_bit_leaves_map_4K_2M_1G(int level, ulong size)
        {
            Assert.Equal(size, Long4Format.PageSize(level));
        }

        [Fact]
        public void Index_uses_9_bits_per_level_or_10_for_32_bit_paging()
        {
            const ulong addr = 0x0123_4567_89AB_CDEF;

            Assert.Equal((int)((addr >> 12) & 0x1FF), Long5Format.Index(addr, 1));
            Assert.Equal((int)((addr >> 48) & 0x1FF), Long5Format.Index(addr, 5));
            Assert.Equal((int)((addr >> 22) & 0x3FF), Legacy32Format.Index(addr, 2));
            Assert.Equal((int)((addr >> 12) & 0x3FF), Legacy32Format.Index(addr, 1));
        }

        [Theory]
        [InlineData(1, 0x0UL, true)]
        [InlineData(2, 0x80UL, true)]
        [InlineData(2, 0x0UL, false)]
        [InlineData(3, 0x80UL, true)]
        [InlineData(4, 0x0UL, false)]
        [InlineData(4, 0x80UL, false)] // reserved at a PML4E: reported as RSVD before
        [InlineData(5, 0x80UL, false)] // and at a PML5E
        public void Bit_7_ends_a_64_bit_walk_above_level_1(int level, ulong gpte, bool last)
        {
            Assert.Equal(last, Long4Format.IsLastGpte(level, gpte, cr4Pse: false));
        }

        [Theory]
        [InlineData(2, 0x80UL, true, true)]
        [InlineData(2, 0x80UL, false, false)]
        [InlineData(1, 0x0UL, false, true)]
        public void Bit_7_ends_a_32_bit_walk_only_at_level_2_with_PSE(int level, ulong gpte, bool pse, bool last)
        {
            Assert.Equal(last, Legacy32Format.IsLastGpte(level, gpte, pse));
        }

        [Fact]
        public void Leaf_GPAs_keep_the_offset_inside_the_page()
        {
            Assert.Equal(0x1234_5000UL | 0xABC, Long4Format.LeafGpa(0x8000_0000_1234_5067, 1, 0x7777_7ABC));
            Assert.Equal(0x4000_0000UL | 0x3ABC_DEF0, Long4Format.LeafGpa(0x4000_0087 | (1UL << 12), 3, 0x7ABC_DEF0));
            Assert.Equal(0x3_0040_0000UL | 0x12_3456, Legacy32Format.LeafGpa(0x0040_6087, 2, 0x12_3456));
        }

        [Fact]
        public void Pte64_accessors_read_the_drawn_bit_layout()
        {
            Pte64 pte = new Pte64(0).WithPresent(true).WithWritable(true).WithUser(true).WithAccessed(true)
                .WithDirty(true).WithPageSize(true).WithNx(true).WithProtectionKey(0xA).WithAddress(0x000F_FFFF_FFFF_F123);

            Assert.Equal(0xD00F_FFFF_FFFF_F0E7UL, pte.Raw);
            Assert.True(pte.Present && pte.Writable && pte.User && pte.Accessed && pte.Dirty && pte.PageSize && pte.Nx);
            Assert.Equal(0xAU, pte.ProtectionKey);
            Assert.Equal(0xFF_FFFF_FFFFUL, pte.Pfn);
            Assert.Equal(0x000F_FFFF_C000_0000UL, pte.FrameAddress(3));
            Assert.False(pte.WithNx(false).Nx);
        }

        [Fact]
        public void Pte32_PSE_36_moves_bits_16_to_13_to_physical_bits_35_to_32()
        {
            Pte32 pde = new Pte32(0xFFC0_0000 | (0xFU << 13) | 0x87);

            Assert.Equal(0xF_FFC0_0000UL, pde.LargeFrameAddress);
            Assert.True(pde.PageSize);
            Assert.Equal(0xFFC0_0000UL + 0x1E000, pde.Address);
        }
    }
}
