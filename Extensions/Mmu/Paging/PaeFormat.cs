using Workbench.Mmu.Arch;
using System.Runtime.CompilerServices;
using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// PAE paging, CR0.PG = 1, CR4.PAE = 1, EFER.LMA = 0 (SDM Vol. 3A 4.4; KVM <c>PTTYPE 64</c> with
    /// <c>cpu_role.base.level</c> = 3). The four PDPTEs are not read during the walk: they come from the PDPTR
    /// registers loaded by MOV to CR3/CR0/CR4 (KVM <c>load_pdptrs</c>, <c>get_pdptr</c>), contribute only the
    /// address of the page directory, and carry no permissions and no A bit. Then two levels of 512 eight-byte
    /// <see cref="Pte64"/> entries; 2 MiB pages.
    /// <code>
    ///  31 30 29       21 20       12 11          0
    /// +-----+-----------+-----------+-------------+
    /// |PDPTR| PDE index | PTE index |   offset    |   4 KiB page
    /// +-----+-----------+-----------+-------------+
    /// |PDPTR| PDE index |   offset (21 bits)      |   2 MiB page (PDE.PS)
    /// +-----+-----------+-------------------------+
    /// </code>
    /// Bits 62:52 are reserved (KVM: <c>high</c> covers bits 0..62 for PAE), so there are no protection keys.
    /// </summary>
    public readonly struct PaeFormat : IPagingFormat
    {
        /// <summary>
        /// Where the four PDPTEs are for a CR3 value: bits 51:5 ("PDPTRs are 32 byte aligned when using PAE paging";
        /// KVM <c>load_pdptrs</c> reads them at <c>cr3 &amp; ~0x1f</c>). The one rule the vCPU and every display use.
        /// </summary>
        public static ulong PdptAddress(ulong cr3) => cr3 & ~0x1FUL;

        /// <inheritdoc/>
        public static string Name => "pae";
        /// <inheritdoc/>
        public static int RootLevel => 3;
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
        public static bool UsesPdptrs => true;
        /// <inheritdoc/>
        public static int LinearAddressBits => 32;

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
