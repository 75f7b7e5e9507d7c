namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// A PAE / IA-32e paging-structure entry (8 bytes), over its raw value (SDM Vol. 3A 4.4.2, 4.5.4 tables 4-15..4-20;
    /// KVM mmu.h PT_*_MASK).
    /// <code>
    ///  63  62:59  58:52   51:M        M-1:12          11:9  8   7   6   5   4   3   2   1   0
    /// +--+------+------+--------+-------------------+-----+---+---+---+---+---+---+---+---+---+
    /// |XD| PKEY | ign. | rsvd   | page frame / table| ign.| G |PS | D | A |PCD|PWT|U/S|R/W| P |
    /// +--+------+------+--------+-------------------+-----+---+---+---+---+---+---+---+---+---+
    /// </code>
    /// <list type="bullet">
    /// <item>[63] XD: execute-disable when EFER.NXE = 1, reserved otherwise.</item>
    /// <item>[62:59] protection key (leaf entries, IA-32e with CR4.PKE); reserved in PAE paging.</item>
    /// <item>[51:M] reserved above MAXPHYADDR (M).</item>
    /// <item>[7] PS: page size at levels 2 (2 MiB) and 3 (1 GiB, with GBPAGES); reserved at levels 4/5;
    ///   PAT at level 1.</item>
    /// <item>[12] PAT of a large page; large frames keep bits [51:21] (2 MiB) or [51:30] (1 GiB), bits
    ///   [20:13]/[29:13] are reserved.</item>
    /// <item>[6] D: leaf only. [8] G: leaf only.</item>
    /// </list>
    /// </summary>
    /// <param name="Raw">The raw 64-bit entry.</param>
    public readonly record struct Pte64(ulong Raw)
    {
        /// <summary>P, bit 0.</summary>
        public const ulong PresentMask = 1UL << 0;
        /// <summary>R/W, bit 1.</summary>
        public const ulong WritableMask = 1UL << 1;
        /// <summary>U/S, bit 2.</summary>
        public const ulong UserMask = 1UL << 2;
        /// <summary>PWT, bit 3.</summary>
        public const ulong WriteThroughMask = 1UL << 3;
        /// <summary>PCD, bit 4.</summary>
        public const ulong CacheDisableMask = 1UL << 4;
        /// <summary>A, bit 5.</summary>
        public const ulong AccessedMask = 1UL << 5;
        /// <summary>D, bit 6 (KVM PT_GUEST_DIRTY_SHIFT = 6).</summary>
        public const ulong DirtyMask = 1UL << 6;
        /// <summary>PS, bit 7 (PAT at level 1).</summary>
        public const ulong PageSizeMask = 1UL << 7;
        /// <summary>G, bit 8.</summary>
        public const ulong GlobalMask = 1UL << 8;
        /// <summary>PAT of a large page, bit 12.</summary>
        public const ulong LargePatMask = 1UL << 12;
        /// <summary>XD / NX, bit 63.</summary>
        public const ulong NxMask = 1UL << 63;
        /// <summary>Bit position of D.</summary>
        public const int DirtyShift = 6;
        /// <summary>Bit position of A.</summary>
        public const int AccessedShift = 5;
        /// <summary>Bit position of the protection key (KVM PT64_PKEY_SHIFT... <c>pte_flags_pkey</c>).</summary>
        public const int ProtectionKeyShift = 59;
        /// <summary>Bits 51:12, the widest possible frame (KVM PT64_BASE_ADDR_MASK).</summary>
        public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;

        /// <summary>P.</summary>
        public bool Present => (Raw & PresentMask) != 0;
        /// <summary>R/W.</summary>
        public bool Writable => (Raw & WritableMask) != 0;
        /// <summary>U/S.</summary>
        public bool User => (Raw & UserMask) != 0;
        /// <summary>PWT.</summary>
        public bool WriteThrough => (Raw & WriteThroughMask) != 0;
        /// <summary>PCD.</summary>
        public bool CacheDisable => (Raw & CacheDisableMask) != 0;
        /// <summary>A.</summary>
        public bool Accessed => (Raw & AccessedMask) != 0;
        /// <summary>D.</summary>
        public bool Dirty => (Raw & DirtyMask) != 0;
        /// <summary>PS (PAT at level 1).</summary>
        public bool PageSize => (Raw & PageSizeMask) != 0;
        /// <summary>G.</summary>
        public bool Global => (Raw & GlobalMask) != 0;
        /// <summary>XD.</summary>
        public bool Nx => (Raw & NxMask) != 0;
        /// <summary>Protection key, bits 62:59.</summary>
        public uint ProtectionKey => (uint)(Raw >> ProtectionKeyShift) & 0xF;
        /// <summary>Frame number from bits 51:12 (a table's or a 4 KiB page's).</summary>
        public ulong Pfn => (Raw & AddressMask) >> 12;
        /// <summary>Physical address from bits 51:12.</summary>
        public ulong Address => Raw & AddressMask;

        /// <summary>Base address of the page this entry maps as a leaf at <paramref name="level"/> (1..3).</summary>
        public ulong FrameAddress(int level) => Raw & AddressMask & ~((1UL << (12 + (9 * (level - 1)))) - 1);

        /// <summary>Returns a copy with P set or cleared.</summary>
        public Pte64 WithPresent(bool value) => With(PresentMask, value);
        /// <summary>Returns a copy with R/W set or cleared.</summary>
        public Pte64 WithWritable(bool value) => With(WritableMask, value);
        /// <summary>Returns a copy with U/S set or cleared.</summary>
        public Pte64 WithUser(bool value) => With(UserMask, value);
        /// <summary>Returns a copy with A set or cleared.</summary>
        public Pte64 WithAccessed(bool value) => With(AccessedMask, value);
        /// <summary>Returns a copy with D set or cleared.</summary>
        public Pte64 WithDirty(bool value) => With(DirtyMask, value);
        /// <summary>Returns a copy with PS set or cleared.</summary>
        public Pte64 WithPageSize(bool value) => With(PageSizeMask, value);
        /// <summary>Returns a copy with XD set or cleared.</summary>
        public Pte64 WithNx(bool value) => With(NxMask, value);
        /// <summary>Returns a copy with protection key <paramref name="key"/> (0..15).</summary>
        public Pte64 WithProtectionKey(uint key) => new Pte64((Raw & ~(0xFUL << ProtectionKeyShift)) | ((ulong)(key & 0xF) << ProtectionKeyShift));
        /// <summary>Returns a copy pointing at <paramref name="address"/> (bits 51:12 replaced).</summary>
        public Pte64 WithAddress(ulong address) => new Pte64((Raw & ~AddressMask) | (address & AddressMask));

        /// <summary>Flag summary such as <c>0x… P W U A D PS NX pk=3</c>.</summary>
        public override string ToString()
        {
            string flags = (Present ? " P" : " -") + (Writable ? " W" : "") + (User ? " U" : "") + (Accessed ? " A" : "")
                + (Dirty ? " D" : "") + (PageSize ? " PS" : "") + (Global ? " G" : "") + (Nx ? " NX" : "")
                + (ProtectionKey != 0 ? $" pk={ProtectionKey}" : "");
            return $"0x{Raw:x16}{flags} -> 0x{Address:x}";
        }

        private Pte64 With(ulong mask, bool value) => new Pte64(value ? Raw | mask : Raw & ~mask);
    }
}
