using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Paging
{
    /// <summary>Entry semantics shared by every x86 (non-EPT) paging format.</summary>
    internal static class X86Entries
    {
        /// <summary>
        /// KVM FNAME(gpte_access), PTTYPE 32/64: W and U as they are, P stands for ACC_EXEC and is cleared by NX (the
        /// accumulated value was un-inverted by the caller, so bit 63 = "some level had XD"). 32-bit entries are
        /// zero-extended, so bit 63 is never set for them.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Acc GpteAccess(ulong gpte)
        {
            ulong access = gpte & (Pte64.WritableMask | Pte64.UserMask | Pte64.PresentMask);
            access ^= gpte >> 63;
            return (Acc)access;
        }

        /// <summary>
        /// <see cref="GpteAccess"/> of the walk's AND of entries with NX inverted (KVM walk_addr_generic's
        /// <c>pt_access &amp; (pte ^ walk_nx_mask)</c>) when every entry walked was present, as at a leaf: P is then 1, so
        /// ACC_EXEC is the inverted NX itself (bit 63), or always set for a format without NX (32-bit entries).
        /// Fewer instructions than un-inverting and calling <see cref="GpteAccess"/>, on every successful walk.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Acc AccumulatedAccess(ulong invertedNxAnd, bool hasNx) =>
            (Acc)((invertedNxAnd & (Pte64.WritableMask | Pte64.UserMask)) | (hasNx ? invertedNxAnd >> 63 : Pte64.PresentMask));
    }
}
