namespace Workbench.Mmu.Paging
{
    /// <summary>
    /// A 32-bit paging entry (4 bytes), over its raw value (SDM Vol. 3A 4.3, tables 4-4..4-6; KVM PT32_* masks).
    /// <code>
    ///  4 KiB PDE/PTE:
    ///  31                 12 11:9  8   7   6   5   4   3   2   1   0
    /// +---------------------+-----+---+---+---+---+---+---+---+---+---+
    /// |  table / page frame | ign.| G |PS | D | A |PCD|PWT|U/S|R/W| P |
    /// +---------------------+-----+---+---+---+---+---+---+---+---+---+
    ///  4 MiB PDE (CR4.PSE = 1, PS = 1):
    ///  31      22 21    M-19 ... 17  16:13   12   11:0 as above
    /// +----------+--------------------+-------+-----+
    /// | PA 31:22 | rsvd (KVM: 21:17)  |PA 35:32| PAT|
    /// +----------+--------------------+-------+-----+
    /// </code>
    /// There is no XD bit and no protection key. Bit 7 is PS only in a PDE with CR4.PSE = 1; otherwise it is
    /// ignored (PDE) or PAT (PTE). KVM models PSE-36 with 4 high bits (PA 35:32 from bits 16:13,
    /// <c>pse36_gfn_delta</c>) and treats bits 21:17 as reserved.
    /// </summary>
    /// <param name="Raw">The raw 32-bit entry.</param>
    public readonly record struct Pte32(uint Raw)
    {
        /// <summary>P, bit 0.</summary>
        public const uint PresentMask = 1U << 0;
        /// <summary>R/W, bit 1.</summary>
        public const uint WritableMask = 1U << 1;
        /// <summary>U/S, bit 2.</summary>
        public const uint UserMask = 1U << 2;
        /// <summary>A, bit 5.</summary>
        public const uint AccessedMask = 1U << 5;
        /// <summary>D, bit 6.</summary>
        public const uint DirtyMask = 1U << 6;
        /// <summary>PS, bit 7.</summary>
        public const uint PageSizeMask = 1U << 7;
        /// <summary>G, bit 8.</summary>
        public const uint GlobalMask = 1U << 8;
        /// <summary>Bits 31:12, a table's or 4 KiB page's address (KVM PT32_BASE_ADDR_MASK).</summary>
        public const uint AddressMask = 0xFFFF_F000U;
        /// <summary>Bits 31:22, a 4 MiB page's low address bits (KVM PT32_LVL_ADDR_MASK(2)).</summary>
        public const uint LargeAddressMask = 0xFFC0_0000U;
        /// <summary>PSE-36 bits 16:13 that carry PA 35:32 (KVM PT32_DIR_PSE36_MASK).</summary>
        public const uint Pse36Mask = 0xFU << Pse36Shift;
        /// <summary>Position of the PSE-36 field (KVM PT32_DIR_PSE36_SHIFT).</summary>
        public const int Pse36Shift = 13;

        /// <summary>P.</summary>
        public bool Present => (Raw & PresentMask) != 0;
        /// <summary>R/W.</summary>
        public bool Writable => (Raw & WritableMask) != 0;
        /// <summary>U/S.</summary>
        public bool User => (Raw & UserMask) != 0;
        /// <summary>A.</summary>
        public bool Accessed => (Raw & AccessedMask) != 0;
        /// <summary>D.</summary>
        public bool Dirty => (Raw & DirtyMask) != 0;
        /// <summary>Bit 7 (PS in a PDE with CR4.PSE; PAT in a PTE).</summary>
        public bool PageSize => (Raw & PageSizeMask) != 0;
        /// <summary>G.</summary>
        public bool Global => (Raw & GlobalMask) != 0;
        /// <summary>Frame number from bits 31:12.</summary>
        public ulong Pfn => (Raw & AddressMask) >> 12;
        /// <summary>Address from bits 31:12.</summary>
        public ulong Address => Raw & AddressMask;

        /// <summary>Physical base of a 4 MiB page: bits 31:22 plus PA 35:32 from bits 16:13 (PSE-36).</summary>
        public ulong LargeFrameAddress => (Raw & LargeAddressMask) | ((ulong)((Raw & Pse36Mask) >> Pse36Shift) << 32);

        /// <summary>Returns a copy with P set or cleared.</summary>
        public Pte32 WithPresent(bool value) => With(PresentMask, value);
        /// <summary>Returns a copy with R/W set or cleared.</summary>
        public Pte32 WithWritable(bool value) => With(WritableMask, value);
        /// <summary>Returns a copy with U/S set or cleared.</summary>
        public Pte32 WithUser(bool value) => With(UserMask, value);
        /// <summary>Returns a copy with A set or cleared.</summary>
        public Pte32 WithAccessed(bool value) => With(AccessedMask, value);
        /// <summary>Returns a copy with D set or cleared.</summary>
        public Pte32 WithDirty(bool value) => With(DirtyMask, value);
        /// <summary>Returns a copy with bit 7 set or cleared.</summary>
        public Pte32 WithPageSize(bool value) => With(PageSizeMask, value);
        /// <summary>Returns a copy pointing at <paramref name="address"/> (bits 31:12 replaced).</summary>
        public Pte32 WithAddress(uint address) => new Pte32((Raw & ~AddressMask) | (address & AddressMask));

        /// <summary>Flag summary.</summary>
        public override string ToString()
        {
            string flags = (Present ? " P" : " -") + (Writable ? " W" : "") + (User ? " U" : "") + (Accessed ? " A" : "")
                + (Dirty ? " D" : "") + (PageSize ? " PS" : "") + (Global ? " G" : "");
            return $"0x{Raw:x8}{flags} -> 0x{Address:x}";
        }

        private Pte32 With(uint mask, bool value) => new Pte32(value ? Raw | mask : Raw & ~mask);
    }
}
