using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// CR0.PG = 0: linear = physical, no tables, no permission checks (KVM <c>nonpaging_gva_to_gpa</c>, which only
    /// passes the address through <c>kvm_translate_gpa</c>). Linear addresses are 32 bits wide.
    /// </summary>
    public readonly struct NoPagingFormat : IPagingFormat
    {
        /// <inheritdoc/>
        public static string Name => "nopaging";
        /// <inheritdoc/>
        public static int RootLevel => 0;
        /// <inheritdoc/>
        public static int LevelBits => 0;
        /// <inheritdoc/>
        public static int EntrySize => 0;
        /// <inheritdoc/>
        public static ulong NxMask => 0;
        /// <inheritdoc/>
        public static int DirtyShift => 0;
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
        public static int Index(ulong addr, int level) => 0;
        /// <inheritdoc/>
        public static ulong TableAddress(ulong gpte) => 0;
        /// <inheritdoc/>
        public static bool IsLastGpte(int level, ulong gpte, bool cr4Pse) => true;
        /// <inheritdoc/>
        public static uint ProtectionKey(ulong gpte) => 0;
        /// <inheritdoc/>
        public static ulong LeafGpa(ulong gpte, int level, ulong addr) => addr;
        /// <inheritdoc/>
        public static ulong PageSize(int level) => 4096;

        /// <inheritdoc/>
        public static ulong ReadEntry(GuestMemory memory, ulong gpa) => 0;

        /// <inheritdoc/>
        public static bool TryWriteEntry(GuestMemory memory, ulong gpa, ulong gpte) => false;
    }
}
