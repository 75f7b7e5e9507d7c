using System.Runtime.CompilerServices;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Walk
{
    /// <summary>
    /// Everything one walk reads besides the address: the part of KVM's <c>struct kvm_mmu</c> / <c>kvm_pagewalk</c>
    /// that <c>FNAME(walk_addr_generic)</c> uses (<c>get_guest_pgd</c>, <c>get_pdptr</c>, <c>guest_rsvd_check</c>,
    /// <c>permissions</c>, <c>pkru_mask</c>, role bits) plus the RFLAGS/PKRU values <c>permission_fault</c> reads.
    /// A <see cref="Vcpu"/> rebuilds it when a register changes; walks pass it by reference.
    /// </summary>
    public readonly struct WalkContext
    {
        /// <summary>Creates a context.</summary>
        /// <param name="memory">Guest physical memory holding the tables.</param>
        /// <param name="format">Reserved-bit and permission tables of the current role.</param>
        /// <param name="root">Guest page-table root (CR3; KVM <c>get_guest_pgd</c>).</param>
        /// <param name="pdptrs">The four PAE PDPTR registers (ignored by other formats); may be empty.</param>
        /// <param name="pdptBase">GPA the PDPTRs were loaded from (for traces).</param>
        /// <param name="rflags">RFLAGS (AC for SMAP).</param>
        /// <param name="pkru">PKRU.</param>
        /// <param name="cr4Pse">CR4.PSE (role <c>ext.cr4_pse</c>): 4 MiB pages in 32-bit paging.</param>
        /// <param name="hasPferrFetch">Report I/D in error codes: EFER.NXE or CR4.SMEP (post-series <c>has_pferr_fetch</c>).</param>
        public WalkContext(GuestMemory memory, PageFormat format, ulong root, ReadOnlySpan<ulong> pdptrs, ulong pdptBase,
            ulong rflags, uint pkru, bool cr4Pse, bool hasPferrFetch)
        {
            Memory = memory;
            MemorySize = memory.Size;
            Format = format;
            Root = root;
            Pdptr0 = pdptrs.Length > 0 ? pdptrs[0] : 0;
            Pdptr1 = pdptrs.Length > 1 ? pdptrs[1] : 0;
            Pdptr2 = pdptrs.Length > 2 ? pdptrs[2] : 0;
            Pdptr3 = pdptrs.Length > 3 ? pdptrs[3] : 0;
            PdptBase = pdptBase;
            Rflags = rflags;
            Pkru = pkru;
            Cr4Pse = cr4Pse;
            HasPferrFetch = hasPferrFetch;

            // A snapshot of format.GetReservedMask(bit7, level) so that the per-level check is inlined into the walk
            // (PageFormat.IsReserved is the reference; a test checks both agree on every input class).
            for (int bit7 = 0; bit7 < 2; bit7++)
            {
                for (int level = 1; level <= 5; level++)
                {
                    _reservedMasks[(bit7 * 5) + level - 1] = format.GetReservedMask(bit7, level);
                }
            }

            _badMtXwr = format.BadMtXwr;
        }

        private readonly ReservedMaskTable _reservedMasks;
        private readonly ulong _badMtXwr;

        /// <summary>Guest physical memory.</summary>
        public GuestMemory Memory { get; }

        /// <summary>Bytes of guest memory: table GPAs at or above it have no memslot.</summary>
        public ulong MemorySize { get; }

        /// <summary>Reserved-bit and permission tables.</summary>
        public PageFormat Format { get; }

        /// <summary>Page-table root (CR3).</summary>
        public ulong Root { get; }

        /// <summary>PDPTR 0.</summary>
        public ulong Pdptr0 { get; }

        /// <summary>PDPTR 1.</summary>
        public ulong Pdptr1 { get; }

        /// <summary>PDPTR 2.</summary>
        public ulong Pdptr2 { get; }

        /// <summary>PDPTR 3.</summary>
        public ulong Pdptr3 { get; }

        /// <summary>GPA of PDPTE 0 at load time (CR3 &amp; ~0x1f).</summary>
        public ulong PdptBase { get; }

        /// <summary>RFLAGS.</summary>
        public ulong Rflags { get; }

        /// <summary>PKRU.</summary>
        public uint Pkru { get; }

        /// <summary>CR4.PSE.</summary>
        public bool Cr4Pse { get; }

        /// <summary>EFER.NXE || CR4.SMEP: fetch faults carry I/D.</summary>
        public bool HasPferrFetch { get; }

        /// <summary>
        /// KVM <c>__is_rsvd_bits_set</c> || <c>__is_bad_mt_xwr</c> for a present entry at <paramref name="level"/>
        /// (1..5): the same answer as <see cref="PageFormat.IsReserved"/>, from masks copied at construction.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool IsReserved(ulong gpte, int level)
        {
            ulong mask = _reservedMasks[(int)(((gpte >> 7) & 1) * 5) + level - 1];
            return ((gpte & mask) | ((_badMtXwr >> (int)(gpte & 0x3F)) & 1)) != 0;
        }

        /// <summary>PDPTR <paramref name="index"/> (0..3; KVM <c>kvm_pdptr_read</c>).</summary>
        public ulong GetPdptr(int index) => index switch
        {
            0 => Pdptr0,
            1 => Pdptr1,
            2 => Pdptr2,
            _ => Pdptr3,
        };
    }

    /// <summary>KVM <c>rsvd_bits_mask[2][5]</c>, flattened (index = bit7 * 5 + level - 1).</summary>
    [InlineArray(10)]
    internal struct ReservedMaskTable
    {
        private ulong _element0;
    }
}
