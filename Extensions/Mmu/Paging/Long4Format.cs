using Workbench.Mmu.Arch;
using System.Runtime.CompilerServices;
using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// 4-level IA-32e paging, EFER.LMA = 1, CR4.LA57 = 0 (SDM Vol. 3A 4.5; KVM <c>PTTYPE 64</c>, level 4).
    /// <code>
    ///  63    48 47     39 38     30 29     21 20     12 11        0
    /// +--------+---------+---------+---------+---------+-----------+
    /// | sign   | PML4    | PDPT    | PD      | PT      | offset    |   4 KiB
    /// | ext.   |         |         | PD      |  offset (21 bits)   |   2 MiB (PDE.PS)
    /// |        |         | PDPT    |    offset (30 bits)            |   1 GiB (PDPTE.PS, GBPAGES)
    /// +--------+---------+---------+---------------------------------+
    /// </code>
    /// Linear addresses must be canonical: bits 63:47 equal (SDM 3.3.7.1). PS at level 4 is reserved.
    /// </summary>
    public readonly struct Long4Format : IPagingFormat
    {
        /// <inheritdoc/>
        public static string Name => "long4";
        /// <inheritdoc/>
        public static int RootLevel => 4;
        /// <inheritdoc/>
        public static int LevelBits => 9;
        /// <inheritdoc/>
        public static int EntrySize => 8;
        /// <inheritdoc/>
        public static ulong NxMask => Pte64.NxMask;
        /// <inheritdoc/>
        public static int DirtyShift => Pte64.DirtyShift;
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
        public static int LinearAddressBits => 48;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Index(ulong addr, int level) => Format64.Index(addr, level);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong TableAddress(ulong gpte) => gpte & Pte64.AddressMask;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsLastGpte(int level, ulong gpte, bool cr4Pse) => Format64.IsLastGpte(level, gpte);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint ProtectionKey(ulong gpte) => (uint)(gpte >> Pte64.ProtectionKeyShift) & 0xF;

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
