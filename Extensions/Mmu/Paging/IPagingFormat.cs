using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// One guest paging format, the C# form of paging_tmpl.h's <c>PTTYPE</c> parameters (KVM mmu/paging_tmpl.h:
    /// <c>pt_element_t</c>, <c>PT_LEVEL_BITS</c>, <c>PT_GUEST_DIRTY_SHIFT</c>, <c>gpte_to_gfn_lvl</c>,
    /// <c>is_last_gpte</c>, <c>gpte_pkeys</c>). Implementations are empty structs with static members only, so
    /// <c>GuestWalker&lt;TFormat, …&gt;</c> gets one JIT-specialised copy per format, like <c>FNAME()</c>.
    /// </summary>
    public interface IPagingFormat
    {
        /// <summary>Name for traces and tests ("long4", "pae", …).</summary>
        static abstract string Name { get; }

        /// <summary>
        /// Root level of the role (KVM <c>cpu_role.base.level</c>): 0 paging off, 2 32-bit, 3 PAE, 4, 5.
        /// </summary>
        static abstract int RootLevel { get; }

        /// <summary>Index bits per level: 10 for 32-bit paging, 9 otherwise (KVM PT_LEVEL_BITS).</summary>
        static abstract int LevelBits { get; }

        /// <summary>Bytes per entry: 4 or 8 (<c>sizeof(pt_element_t)</c>).</summary>
        static abstract int EntrySize { get; }

        /// <summary>Bit 63 for 64-bit entries, 0 for 32-bit ones (KVM <c>walk_nx_mask</c>).</summary>
        static abstract ulong NxMask { get; }

        /// <summary>Position of the dirty bit (KVM PT_GUEST_DIRTY_SHIFT: 6 for x86 formats, 9 for EPT).</summary>
        static abstract int DirtyShift { get; }

        /// <summary>Position of the accessed bit (KVM PT_GUEST_ACCESSED_SHIFT: 5 for x86 formats, 8 for EPT).</summary>
        static abstract int AccessedShift { get; }

        /// <summary>
        /// EPT entries (KVM <c>PTTYPE_EPT</c>): a failed walk also produces an EPT-violation exit qualification
        /// (<see cref="Arch.EptViolation"/>), and accessed/dirty bits exist only when the EPTP enables them.
        /// </summary>
        static abstract bool IsEpt { get; }

        /// <summary>
        /// KVM <c>FNAME(is_present_gpte)</c>: bit 0 (P) for x86 formats; any of bits 2:0 (R, W, X) for EPT.
        /// </summary>
        static abstract bool IsPresent(ulong gpte);

        /// <summary>
        /// KVM <c>FNAME(gpte_access)</c>: the <see cref="Arch.Acc"/> rights an entry (or the AND of a walk's entries,
        /// NX already un-inverted) grants. x86: W and U as they are, P stands for Exec and bit 63 (XD) clears it. EPT
        /// (6.12): R → <see cref="Arch.Acc.User"/> ("we repurpose ACC_USER_MASK to signify readability"), W → Write,
        /// X → Exec.
        /// </summary>
        static abstract Arch.Acc GpteAccess(ulong gpte);

        /// <summary>The first level comes from the PDPTR registers instead of memory (PAE).</summary>
        static abstract bool UsesPdptrs { get; }

        /// <summary>
        /// Width of linear addresses: 32 for 32-bit modes (the emulator truncates, KVM emulate.c <c>__linearize</c>),
        /// 48 or 57 for IA-32e, where the address must be canonical.
        /// </summary>
        static abstract int LinearAddressBits { get; }

        /// <summary>Index of <paramref name="addr"/> in the table at <paramref name="level"/> (KVM PT_INDEX).</summary>
        static abstract int Index(ulong addr, int level);

        /// <summary>Address of the table an entry points to (KVM <c>gpte_to_gfn</c> &lt;&lt; 12); also applied to CR3.</summary>
        static abstract ulong TableAddress(ulong gpte);

        /// <summary>
        /// KVM <c>FNAME(is_last_gpte)</c>: level 1 always ends the walk; above, bit 7 ends it. 32-bit paging honours
        /// bit 7 only at level 2 and only with CR4.PSE = 1 (otherwise it is ignored, not reserved).
        /// </summary>
        static abstract bool IsLastGpte(int level, ulong gpte, bool cr4Pse);

        /// <summary>Protection key of a leaf (bits 62:59; 0 for 32-bit entries; KVM <c>FNAME(gpte_pkeys)</c>).</summary>
        static abstract uint ProtectionKey(ulong gpte);

        /// <summary>
        /// The GPA an access to <paramref name="addr"/> reaches through leaf <paramref name="gpte"/> at
        /// <paramref name="level"/>: frame plus the offset inside the page, plus PSE-36 high bits for 4 MiB pages
        /// (KVM <c>gpte_to_gfn_lvl</c> + PT_LVL_OFFSET_MASK + <c>pse36_gfn_delta</c>).
        /// </summary>
        static abstract ulong LeafGpa(ulong gpte, int level, ulong addr);

        /// <summary>Bytes mapped by a leaf at <paramref name="level"/>.</summary>
        static abstract ulong PageSize(int level);

        /// <summary>
        /// Reads one entry (4 or 8 bytes, zero-extended). The caller guarantees <paramref name="gpa"/> is inside
        /// memory; entries are naturally aligned, so the whole entry is.
        /// </summary>
        static abstract ulong ReadEntry(GuestMemory memory, ulong gpa);

        /// <summary>Writes one entry back (A/D update).</summary>
        static abstract bool TryWriteEntry(GuestMemory memory, ulong gpa, ulong gpte);
    }
}
