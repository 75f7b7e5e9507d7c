using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Tests.Permissions
{
    /// <summary>Guest paging modes as the tests set them up through CR0/CR4/EFER.</summary>
    public enum GuestPagingMode
    {
        Off,
        Legacy32,
        Legacy32Pse,
        Pae,
        Long4,
        Long5,
    }

    public class ReservedBitTests
    {
        // Expected masks are written out by hand from SDM Vol. 3A 4.3-4.5 and spec 5.1, not computed.
        // Bits 51:36 = 0x000F_FFF0_0000_0000, 51:46 = 0x000F_C000_0000_0000, 62:36 = 0x7FFF_FFF0_0000_0000,
        // 62:52 = 0x7FF0_0000_0000_0000; 29:13 = 0x3FFF_E000; 20:13 = 0x001F_E000; 21:17 = 0x003E_0000;
        // PDPTE bits 8:5 | 2:1 = 0x1E6.
        [Theory]
        // 32-bit paging: nothing reserved except PSE-36's bits 21:17 in a 4 MiB PDE.
        [InlineData(GuestPagingMode.Legacy32, 36, true, true, false, 0, 2, 0x0000_0000_0000_0000UL)]
        [InlineData(GuestPagingMode.Legacy32, 36, true, true, false, 1, 2, 0x0000_0000_0000_0000UL)]
        [InlineData(GuestPagingMode.Legacy32, 36, false, true, false, 0, 1, 0x0000_0000_0000_0000UL)]
        [InlineData(GuestPagingMode.Legacy32Pse, 36, true, true, false, 1, 2, 0x0000_0000_003E_0000UL)]
        [InlineData(GuestPagingMode.Legacy32Pse, 52, true, true, false, 1, 2, 0x0000_0000_003E_0000UL)]
        [InlineData(GuestPagingMode.Legacy32Pse, 36, true, true, false, 0, 2, 0x0000_0000_0000_0000UL)]
        [InlineData(GuestPagingMode.Legacy32Pse, 36, true, true, false, 1, 1, 0x0000_0000_0000_0000UL)]
        // PAE: bits 62:MAXPHYADDR reserved; PDPTE adds 63, 8:5, 2:1; 2 MiB PDE adds 20:13; no NX adds 63.
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 0, 3, 0xFFFF_FFF0_0000_01E6UL)]
        [InlineData(GuestPagingMode.Pae, 36, false, true, false, 0, 3, 0xFFFF_FFF0_0000_01E6UL)]
        [InlineData(GuestPagingMode.Pae, 52, true, true, false, 0, 3, 0xFFF0_0000_0000_01E6UL)]
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 0, 2, 0x7FFF_FFF0_0000_0000UL)]
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 1, 2, 0x7FFF_FFF0_001F_E000UL)]
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 0, 1, 0x7FFF_FFF0_0000_0000UL)]
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 1, 1, 0x7FFF_FFF0_0000_0000UL)]
        [InlineData(GuestPagingMode.Pae, 36, false, true, false, 0, 2, 0xFFFF_FFF0_0000_0000UL)]
        [InlineData(GuestPagingMode.Pae, 36, false, true, false, 1, 2, 0xFFFF_FFF0_001F_E000UL)]
        [InlineData(GuestPagingMode.Pae, 52, true, true, false, 0, 1, 0x7FF0_0000_0000_0000UL)]
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 0, 4, 0x0000_0000_0000_0000UL)]
        // 4-level: bits 51:MAXPHYADDR; bit 7 reserved at L4/L5; 1 GiB leaf 29:13; 2 MiB leaf 20:13.
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0, 4, 0x000F_C000_0000_0080UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 1, 4, 0x000F_C000_0000_0080UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0, 3, 0x000F_C000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 1, 3, 0x000F_C000_3FFF_E000UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0, 2, 0x000F_C000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 1, 2, 0x000F_C000_001F_E000UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0, 1, 0x000F_C000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 1, 1, 0x000F_C000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long4, 36, true, true, false, 1, 3, 0x000F_FFF0_3FFF_E000UL)]
        [InlineData(GuestPagingMode.Long4, 52, true, true, false, 0, 1, 0x0000_0000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long4, 52, true, true, false, 1, 2, 0x0000_0000_001F_E000UL)]
        [InlineData(GuestPagingMode.Long4, 52, true, true, false, 0, 4, 0x0000_0000_0000_0080UL)]
        // No 1 GiB pages: PS at level 3 is reserved, in both halves.
        [InlineData(GuestPagingMode.Long4, 46, true, false, false, 0, 3, 0x000F_C000_0000_0080UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, false, false, 1, 3, 0x000F_C000_3FFF_E080UL)]
        // EFER.NXE = 0: bit 63 reserved everywhere.
        [InlineData(GuestPagingMode.Long4, 46, false, true, false, 0, 1, 0x800F_C000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long4, 46, false, true, false, 0, 4, 0x800F_C000_0000_0080UL)]
        [InlineData(GuestPagingMode.Long4, 46, false, true, false, 1, 2, 0x800F_C000_001F_E000UL)]
        // AMD: bit 8 reserved in PML4E/PML5E.
        [InlineData(GuestPagingMode.Long4, 46, true, true, true, 0, 4, 0x000F_C000_0000_0180UL)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, true, 0, 3, 0x000F_C000_0000_0000UL)]
        [InlineData(GuestPagingMode.Long5, 46, true, true, true, 1, 5, 0x000F_C000_0000_0180UL)]
        [InlineData(GuestPagingMode.Long5, 46, true, true, false, 0, 5, 0x000F_C000_0000_0080UL)]
        [InlineData(GuestPagingMode.Long5, 52, false, false, true, 0, 5, 0x8000_0000_0000_0180UL)]
        [InlineData(GuestPagingMode.Long5, 52, false, false, true, 1, 3, 0x8000_0000_3FFF_E080UL)]
        // Paging off: KVM never walks, nothing is reserved.
        [InlineData(GuestPagingMode.Off, 36, true, true, false, 0, 1, 0x0000_0000_0000_0000UL)]
        public void Reserved_mask_matches_the_SDM_for_mode_and_level(
            GuestPagingMode mode, int maxPhyAddr, bool nx, bool gbPages, bool amd, int bit7, int level, ulong expected)
        {
            PageFormat format = PageFormat.ForGuest(Role(mode, nx), maxPhyAddr, gbPages, amd);

            Assert.Equal(expected, format.GetReservedMask(bit7, level));
        }

        [Theory]
        // PML4E with PS set: bit 7 is reserved at level 4.
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x0000_0000_0000_1083UL, 4, true)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x0000_0000_0000_1003UL, 4, false)]
        // 1 GiB page: reserved without GBPAGES, fine with it; bit 13 set in a 1 GiB leaf is reserved.
        [InlineData(GuestPagingMode.Long4, 46, true, false, false, 0x0000_0000_4000_0083UL, 3, true)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x0000_0000_4000_0083UL, 3, false)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x0000_0000_4000_2083UL, 3, true)]
        // XD bit: reserved unless EFER.NXE.
        [InlineData(GuestPagingMode.Long4, 46, false, true, false, 0x8000_0000_0000_1003UL, 1, true)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x8000_0000_0000_1003UL, 1, false)]
        // Address bit 46 is beyond MAXPHYADDR 46 but not beyond 52.
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x0000_4000_0000_1003UL, 1, true)]
        [InlineData(GuestPagingMode.Long4, 52, true, true, false, 0x0000_4000_0000_1003UL, 1, false)]
        // Bits 62:52 are protection key / software bits in 4-level entries, never reserved.
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x7FF0_0000_0000_1003UL, 1, false)]
        // ... but reserved in PAE entries, where only bits 51:MAXPHYADDR can hold an address.
        [InlineData(GuestPagingMode.Pae, 52, true, true, false, 0x0008_0000_0000_1003UL, 1, false)]
        [InlineData(GuestPagingMode.Pae, 52, true, true, false, 0x0100_0000_0000_1003UL, 1, true)]
        // 2 MiB page: PAT in bit 12 is fine, bit 13 is reserved.
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 0x0000_0000_0020_1083UL, 2, false)]
        [InlineData(GuestPagingMode.Pae, 36, true, true, false, 0x0000_0000_0020_2083UL, 2, true)]
        // PSE-36: a 4 MiB PDE with PA bit 36 (PDE bit 17) set is reserved; PA bits 35:32 (16:13) are not.
        [InlineData(GuestPagingMode.Legacy32Pse, 36, false, true, false, 0x0000_0000_0002_0083UL, 2, true)]
        [InlineData(GuestPagingMode.Legacy32Pse, 36, false, true, false, 0x0000_0000_0001_E083UL, 2, false)]
        // CR4.PSE = 0: bit 7 is ignored, so the same PDE has no reserved bits.
        [InlineData(GuestPagingMode.Legacy32, 36, false, true, false, 0x0000_0000_0002_0083UL, 2, false)]
        // AMD reserves bit 8 in a PML4E, Intel ignores it.
        [InlineData(GuestPagingMode.Long4, 46, true, true, true, 0x0000_0000_0000_1103UL, 4, true)]
        [InlineData(GuestPagingMode.Long4, 46, true, true, false, 0x0000_0000_0000_1103UL, 4, false)]
        // Bit 8 in a leaf PTE is G, fine on AMD too.
        [InlineData(GuestPagingMode.Long4, 46, true, true, true, 0x0000_0000_0000_1103UL, 1, false)]
        public void Is_reserved_detects_reserved_bits_in_sample_entries(
            GuestPagingMode mode, int maxPhyAddr, bool nx, bool gbPages, bool amd, ulong entry, int level, bool expected)
        {
            PageFormat format = PageFormat.ForGuest(Role(mode, nx), maxPhyAddr, gbPages, amd);

            Assert.Equal(expected, format.IsReserved(entry, level));
        }

        [Fact]
        public void Is_reserved_agrees_with_the_masks_for_every_bit_and_level()
        {
            foreach (GuestPagingMode mode in Enum.GetValues<GuestPagingMode>())
            {
                PageFormat format = PageFormat.ForGuest(Role(mode, nx: false), 40, gbPages: false, amd: true);
                for (int level = 1; level <= PageFormat.MaxLevel; level++)
                {
                    for (int bit = 0; bit < 64; bit++)
                    {
                        ulong entry = 1UL << bit;
                        ulong mask = format.GetReservedMask(bit == 7 ? 1 : 0, level);
                        Assert.Equal((mask & entry) != 0, format.IsReserved(entry, level));
                    }
                }
            }
        }

        [Theory]
        [InlineData(36, 0xFFFF_FFF0_0000_01E6UL)]
        [InlineData(46, 0xFFFF_C000_0000_01E6UL)]
        [InlineData(52, 0xFFF0_0000_0000_01E6UL)]
        public void Pdptr_reserved_mask_is_reserved_gpa_bits_plus_bits_8_to_5_and_2_to_1(int maxPhyAddr, ulong expected)
        {
            Assert.Equal(expected, PageFormat.PdptrReservedMask(maxPhyAddr));
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(2, 1)]
        [InlineData(0, 6)]
        [InlineData(-1, 1)]
        public void Get_reserved_mask_rejects_indices_outside_the_table(int bit7, int level)
        {
            PageFormat format = PageFormat.ForGuest(Role(GuestPagingMode.Long4, nx: true), 46, true, false);

            Assert.Throws<ArgumentOutOfRangeException>(() => format.GetReservedMask(bit7, level));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(53)]
        public void Formats_reject_a_MAXPHYADDR_above_52_or_below_1(int maxPhyAddr)
        {
            CpuRole role = Role(GuestPagingMode.Long4, nx: true);

            Assert.Throws<ArgumentOutOfRangeException>(() => PageFormat.ForGuest(role, maxPhyAddr, true, false));
            Assert.Throws<ArgumentOutOfRangeException>(() => PageFormat.ForEpt(maxPhyAddr, false, 3));
            Assert.Throws<ArgumentOutOfRangeException>(() => PageFormat.PdptrReservedMask(maxPhyAddr));
        }

        [Fact]
        public void Guest_formats_are_cached_per_role_and_cpuid_inputs()
        {
            CpuRole role = Role(GuestPagingMode.Long4, nx: true);

            PageFormat first = PageFormat.ForGuest(role, 46, gbPages: true, amd: false);

            Assert.Same(first, PageFormat.ForGuest(role, 46, gbPages: true, amd: false));
            Assert.NotSame(first, PageFormat.ForGuest(role, 45, gbPages: true, amd: false));
            Assert.NotSame(first, PageFormat.ForGuest(role, 46, gbPages: false, amd: false));
            Assert.NotSame(first, PageFormat.ForGuest(role, 46, gbPages: true, amd: true));
            Assert.NotSame(first, PageFormat.ForGuest(Role(GuestPagingMode.Long5, nx: true), 46, true, false));
        }

        internal static CpuRole Role(GuestPagingMode mode, bool nx)
        {
            ulong efer = nx ? Efer.NXE : 0;
            ulong cr0 = Cr0.PE | Cr0.PG | Cr0.WP;
            CpuRegisters regs = mode switch
            {
                GuestPagingMode.Off => new CpuRegisters(Cr0.PE, 0, 0, efer, Rflags.Fixed1, 0),
                GuestPagingMode.Legacy32 => new CpuRegisters(cr0, 0, 0, efer, Rflags.Fixed1, 0),
                GuestPagingMode.Legacy32Pse => new CpuRegisters(cr0, 0, Cr4.PSE, efer, Rflags.Fixed1, 0),
                GuestPagingMode.Pae => new CpuRegisters(cr0, 0, Cr4.PAE, efer, Rflags.Fixed1, 0),
                GuestPagingMode.Long4 => new CpuRegisters(cr0, 0, Cr4.PAE, efer | Efer.LME | Efer.LMA, Rflags.Fixed1, 0),
                _ => new CpuRegisters(cr0, 0, Cr4.PAE | Cr4.LA57, efer | Efer.LME | Efer.LMA, Rflags.Fixed1, 0),
            };
            return CpuRole.Compute(regs);
        }
    }
}
