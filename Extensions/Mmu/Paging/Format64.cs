using System.Runtime.CompilerServices;

namespace Workbench.Mmu.Paging
{
    /// <summary>Index, leaf and gfn arithmetic shared by the 8-byte formats (KVM mmu_internal.h / paging_tmpl.h, PTTYPE 64).</summary>
    internal static class Format64
    {
        /// <summary>KVM PT_INDEX for 9-bit levels: bits [12 + 9(level-1) + 8 : 12 + 9(level-1)].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Index(ulong addr, int level) => (int)(addr >> (12 + (9 * (level - 1)))) & 0x1FF;

        /// <summary>
        /// KVM FNAME(is_last_gpte), PTTYPE 64: level 1 always terminates, above it bit 7 does. Where bit 7 is not a
        /// page size (levels 4/5, level 3 without GBPAGES) it is reserved and was already reported as RSVD, so levels 4
        /// and 5 never end a walk that gets here (a constant false for the unrolled walk: no leaf code at those levels).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsLastGpte(int level, ulong gpte) => level == 1 || (level <= 3 && (gpte & Pte64.PageSizeMask) != 0);

        /// <summary>
        /// KVM <c>gpte_to_gfn_lvl(pte, level)</c> + <c>(addr &amp; PT_LVL_OFFSET_MASK(level)) &gt;&gt; PAGE_SHIFT</c>,
        /// plus the byte offset: frame bits 51:(12 + 9(level-1)) from the entry, the rest from the address.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong LeafGpa(ulong gpte, int level, ulong addr)
        {
            ulong offsetMask = (1UL << (12 + (9 * (level - 1)))) - 1;
            return (gpte & Pte64.AddressMask & ~offsetMask) | (addr & offsetMask);
        }
    }
}
