using Workbench.Mmu.Arch;
using System.Runtime.CompilerServices;
using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// 32-bit paging, CR0.PG = 1 and CR4.PAE = 0 (SDM Vol. 3A 4.3; KVM <c>PTTYPE 32</c>, <c>paging32_*</c>).
    /// Two levels of 1024 four-byte entries; 4 MiB pages with CR4.PSE, PSE-36 high address bits.
    /// <code>
    ///  linear address:
    ///  31        22 21        12 11          0
    /// +------------+------------+-------------+
    /// | PDE index  | PTE index  |   offset    |   4 KiB page
    /// +------------+------------+-------------+
    /// | PDE index  |        offset (22 bits)  |   4 MiB page (PDE.PS, CR4.PSE)
    /// +------------+--------------------------+
    /// </code>
    /// Entries are <see cref="Pte32"/>. No XD bit (<c>walk_nx_mask</c> = 0), no protection keys.
    /// </summary>
    public readonly struct Legacy32Format : IPagingFormat
    {
        /// <inheritdoc/>
        public static string Name => "legacy32";
        /// <inheritdoc/>
        public static int RootLevel => 2;
        /// <inheritdoc/>
        public static int LevelBits => 10;
        /// <inheritdoc/>
        public static int EntrySize => 4;
        /// <inheritdoc/>
        public static ulong NxMask => 0;
        /// <inheritdoc/>
        public static int DirtyShift => 6;
        /// <inheritdoc/>
        public static int AccessedShift => Pte64.AccessedShift;
        /// <inheritdoc/>
        public static bool IsEpt => false;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsPresent(ulong gpte) => (gpte & Pte64.PresentMask) != 0;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Acc GpteAccess(ulong gpte) => X86Entries.GpteAccess(gpte);
        /// <inheritdoc/>
        public static bool UsesPdptrs => false;
        /// <inheritdoc/>
        public static int LinearAddressBits => 32;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Index(ulong addr, int level) => (int)(addr >> (12 + (10 * (level - 1)))) & 0x3FF;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong TableAddress(ulong gpte) => gpte & Pte32.AddressMask;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsLastGpte(int level, ulong gpte, bool cr4Pse)
        {
            // KVM FNAME(is_last_gpte), PTTYPE 32: "bit 7 is ignored if CR4.PSE=0, not reserved"; it is the page-size
            // bit only at level 2 (SDM 4.3: PDE bit 7 with CR4.PSE = 1 maps a 4 MiB page).
            return level == 1 || (level == 2 && cr4Pse && (gpte & Pte32.PageSizeMask) != 0);
        }

        /// <inheritdoc/>
        public static uint ProtectionKey(ulong gpte) => 0;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong LeafGpa(ulong gpte, int level, ulong addr)
        {
            if (level == 1)
            {
                return (gpte & Pte32.AddressMask) | (addr & 0xFFF);
            }

            // 4 MiB page: PA 31:22 from the PDE, 21:0 from the address; KVM adds pse36_gfn_delta (PDE bits 16:13
            // become PA 35:32) whenever the level is above 4K, since KVM always reports PSE-36 (SDM 4.3 table 4-4).
            return (gpte & Pte32.LargeAddressMask) | (addr & 0x3F_FFFF) | (((gpte & Pte32.Pse36Mask) >> Pte32.Pse36Shift) << 32);
        }

        /// <inheritdoc/>
        public static ulong PageSize(int level) => level == 1 ? 4096UL : 4UL << 20;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong ReadEntry(GuestMemory memory, ulong gpa) => memory.ReadAlignedU32(gpa);

        /// <inheritdoc/>
        public static bool TryWriteEntry(GuestMemory memory, ulong gpa, ulong gpte) => memory.TryWriteU32(gpa, (uint)gpte);
    }
}
