using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// Semantics shared by the 4- and 5-level EPT formats (KVM paging_tmpl.h, <c>PTTYPE_EPT</c>): the input address
    /// is an L2 guest-physical address; entries are <see cref="EptPte"/>; present = any of R/W/X; A/D at bits 8/9
    /// and only when the EPTP enables them (<see cref="Walk.WalkContext.HaveAccessedDirty"/>); no NX inversion, no
    /// protection keys, no PDPTRs.
    /// </summary>
    internal static class EptEntries
    {
        /// <summary>
        /// KVM 6.12 FNAME(gpte_access), PTTYPE_EPT: W → ACC_WRITE, X → ACC_EXEC, R → ACC_USER ("a page table can be
        /// executable but not readable ... we repurpose ACC_USER_MASK to signify readability").
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Acc GpteAccess(ulong gpte)
        {
            ulong access = (gpte & EptPte.WritableMask)
                | ((gpte & EptPte.ExecutableMask) >> 2)
                | ((gpte & EptPte.ReadableMask) << 2);
            return (Acc)access;
        }
    }

    /// <summary>
    /// 4-level EPT (EPTP bits 5:3 = 3, KVM VMX_EPTP_PWL_4), SDM Vol. 3C 29.3.2: PML4 → PDPT → PD → PT over a 48-bit
    /// guest-physical address; 1 GiB leaves at level 3 and 2 MiB leaves at level 2 where the capability allows.
    /// <code>
    ///  47     39 38     30 29     21 20     12 11        0
    /// +---------+---------+---------+---------+-----------+
    /// | PML4    | PDPT    | PD      | PT      | offset    |   (L2 guest-physical address)
    /// +---------+---------+---------+---------+-----------+
    /// </code>
    /// </summary>
    public readonly struct Ept4Format : IPagingFormat
    {
        /// <inheritdoc/>
        public static string Name => "ept4";
        /// <inheritdoc/>
        public static int RootLevel => 4;
        /// <inheritdoc/>
        public static int LevelBits => 9;
        /// <inheritdoc/>
        public static int EntrySize => 8;
        /// <inheritdoc/>
        public static ulong NxMask => 0;
        /// <inheritdoc/>
        public static int DirtyShift => EptPte.DirtyShift;
        /// <inheritdoc/>
        public static int AccessedShift => EptPte.AccessedShift;
        /// <inheritdoc/>
        public static bool IsEpt => true;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsPresent(ulong gpte) => (gpte & EptPte.RwxMask) != 0;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Acc GpteAccess(ulong gpte) => EptEntries.GpteAccess(gpte);
        /// <inheritdoc/>
        public static bool UsesPdptrs => false;
        /// <inheritdoc/>
        public static int LinearAddressBits => 64;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Index(ulong addr, int level) => Format64.Index(addr, level);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong TableAddress(ulong gpte) => gpte & EptPte.AddressMask;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsLastGpte(int level, ulong gpte, bool cr4Pse) => Format64.IsLastGpte(level, gpte);

        /// <inheritdoc/>
        public static uint ProtectionKey(ulong gpte) => 0;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong LeafGpa(ulong gpte, int level, ulong addr) => Format64.LeafGpa(gpte, level, addr);

        /// <inheritdoc/>
        public static ulong PageSize(int level) => 1UL << (12 + (9 * (level - 1)));

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong ReadEntry(GuestMemory memory, ulong gpa) => memory.ReadAlignedU64(gpa);

        /// <inheritdoc/>
        public static bool TryWriteEntry(GuestMemory memory, ulong gpa, ulong gpte) => memory.TryWriteU64(gpa, gpte);
    }

    /// <summary>
    /// 5-level EPT (EPTP bits 5:3 = 4, KVM VMX_EPTP_PWL_5): a PML5 level above <see cref="Ept4Format"/> over a
    /// 57-bit guest-physical address (bits 56:48 index the PML5).
    /// </summary>
    public readonly struct Ept5Format : IPagingFormat
    {
        /// <inheritdoc/>
        public static string Name => "ept5";
        /// <inheritdoc/>
        public static int RootLevel => 5;
        /// <inheritdoc/>
        public static int LevelBits => 9;
        /// <inheritdoc/>
        public static int EntrySize => 8;
        /// <inheritdoc/>
        public static ulong NxMask => 0;
        /// <inheritdoc/>
        public static int DirtyShift => EptPte.DirtyShift;
        /// <inheritdoc/>
        public static int AccessedShift => EptPte.AccessedShift;
        /// <inheritdoc/>
        public static bool IsEpt => true;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsPresent(ulong gpte) => (gpte & EptPte.RwxMask) != 0;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Acc GpteAccess(ulong gpte) => EptEntries.GpteAccess(gpte);
        /// <inheritdoc/>
        public static bool UsesPdptrs => false;
        /// <inheritdoc/>
        public static int LinearAddressBits => 64;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Index(ulong addr, int level) => Format64.Index(addr, level);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong TableAddress(ulong gpte) => gpte & EptPte.AddressMask;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsLastGpte(int level, ulong gpte, bool cr4Pse) => Format64.IsLastGpte(level, gpte);

        /// <inheritdoc/>
        public static uint ProtectionKey(ulong gpte) => 0;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong LeafGpa(ulong gpte, int level, ulong addr) => Format64.LeafGpa(gpte, level, addr);

        /// <inheritdoc/>
        public static ulong PageSize(int level) => 1UL << (12 + (9 * (level - 1)));

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong ReadEntry(GuestMemory memory, ulong gpa) => memory.ReadAlignedU64(gpa);

        /// <inheritdoc/>
        public static bool TryWriteEntry(GuestMemory memory, ulong gpa, ulong gpte) => memory.TryWriteU64(gpa, gpte);
    }
}
