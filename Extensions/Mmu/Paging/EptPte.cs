namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// An EPT paging-structure entry (8 bytes), over its raw value (SDM Vol. 3C 29.3.2 tables 29-1..29-6; KVM
    /// asm/vmx.h VMX_EPT_*).
    /// <code>
    ///  63  62:52   51:M      M-1:12       11  10   9   8   7    6    5:3   2   1   0
    /// +---+------+------+----------------+---+---+---+---+---+----+------+---+---+---+
    /// |SVE| ign. | rsvd | frame / table  |ign|XU | D | A |PS |IPAT| MT   | X | W | R |
    /// +---+------+------+----------------+---+---+---+---+---+----+------+---+---+---+
    /// </code>
    /// <list type="bullet">
    /// <item>[2:0] R, W, X. The entry is present when any of them is set (KVM <c>FNAME(is_present_gpte)</c>:
    ///   <c>pte &amp; 7</c>); W without R, and X alone without the execute-only capability, are misconfigurations.</item>
    /// <item>[5:3] memory type of a leaf (0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3, 7 are misconfigurations); reserved
    ///   in non-leaf entries, as IPAT is (KVM <c>__reset_rsvds_bits_mask_ept</c>).</item>
    /// <item>[6] IPAT (ignore guest PAT), leaf only. [7] PS: 2 MiB at level 2, 1 GiB at level 3.</item>
    /// <item>[8] A, [9] D: only when EPTP bit 6 enables accessed/dirty flags; otherwise ignored.</item>
    /// <item>[10] XU: user-mode execute under mode-based execute control (MBEC); ignored without it.</item>
    /// <item>[63] suppress #VE.</item>
    /// </list>
    /// </summary>
    /// <param name="Raw">The raw 64-bit entry.</param>
    public readonly record struct EptPte(ulong Raw)
    {
        /// <summary>R, bit 0.</summary>
        public const ulong ReadableMask = 1UL << 0;

        /// <summary>W, bit 1.</summary>
        public const ulong WritableMask = 1UL << 1;

        /// <summary>X, bit 2 (supervisor execute under MBEC).</summary>
        public const ulong ExecutableMask = 1UL << 2;

        /// <summary>R | W | X (KVM VMX_EPT_RWX_MASK).</summary>
        public const ulong RwxMask = 7;

        /// <summary>Memory type, bits 5:3.</summary>
        public const int MemoryTypeShift = 3;

        /// <summary>IPAT, bit 6.</summary>
        public const ulong IgnorePatMask = 1UL << 6;

        /// <summary>PS, bit 7.</summary>
        public const ulong PageSizeMask = 1UL << 7;

        /// <summary>Accessed flag position (KVM VMX_EPT_ACCESS_BIT).</summary>
        public const int AccessedShift = 8;

        /// <summary>Dirty flag position (KVM VMX_EPT_DIRTY_BIT).</summary>
        public const int DirtyShift = 9;

        /// <summary>XU, bit 10 (KVM VMX_EPT_USER_EXECUTABLE_MASK).</summary>
        public const ulong UserExecutableMask = 1UL << 10;

        /// <summary>Suppress #VE, bit 63.</summary>
        public const ulong SuppressVeMask = 1UL << 63;

        /// <summary>Frame / table address bits 51:12.</summary>
        public const ulong AddressMask = Pte64.AddressMask;

        /// <summary>Memory type WB (6), the usual leaf type.</summary>
        public const int MemoryTypeWriteBack = 6;

        /// <summary>R.</summary>
        public bool Readable => (Raw & ReadableMask) != 0;

        /// <summary>W.</summary>
        public bool Writable => (Raw & WritableMask) != 0;

        /// <summary>X.</summary>
        public bool Executable => (Raw & ExecutableMask) != 0;

        /// <summary>Present: any of R, W, X.</summary>
        public bool Present => (Raw & RwxMask) != 0;

        /// <summary>Memory type (bits 5:3).</summary>
        public int MemoryType => (int)(Raw >> MemoryTypeShift) & 7;

        /// <summary>IPAT.</summary>
        public bool IgnorePat => (Raw & IgnorePatMask) != 0;

        /// <summary>PS.</summary>
        public bool PageSize => (Raw & PageSizeMask) != 0;

        /// <summary>A (meaningful only with EPT A/D enabled).</summary>
        public bool Accessed => (Raw & (1UL << AccessedShift)) != 0;

        /// <summary>D (meaningful only with EPT A/D enabled).</summary>
        public bool Dirty => (Raw & (1UL << DirtyShift)) != 0;

        /// <summary>XU (meaningful only with MBEC).</summary>
        public bool UserExecutable => (Raw & UserExecutableMask) != 0;

        /// <summary>Frame or table address.</summary>
        public ulong Address => Raw & AddressMask;
    }
}
