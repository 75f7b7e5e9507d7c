using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Walk
{
    /// <summary>
    /// Everything one walker reads besides the access itself: the part of KVM's <c>struct kvm_mmu</c> /
    /// <c>kvm_pagewalk</c> that <c>FNAME(walk_addr_generic)</c> uses (<c>get_guest_pgd</c>, <c>get_pdptr</c>,
    /// <c>guest_rsvd_check</c>, <c>permissions</c>, <c>pkru_mask</c>, role bits). Per-access state (RFLAGS.AC and
    /// PKRU, which <c>permission_fault</c> reads from the vCPU) is passed to each walk instead, so writing them
    /// rebuilds nothing. The owning <see cref="Contexts.PageWalker"/> rebuilds it when its role or root changes.
    /// </summary>
    public readonly unsafe struct WalkContext
    {
        /// <summary>Creates a context.</summary>
        /// <param name="memory">Guest physical memory holding the tables.</param>
        /// <param name="format">Reserved-bit and permission tables of the current role.</param>
        /// <param name="root">Guest page-table root (CR3; KVM <c>get_guest_pgd</c>).</param>
        /// <param name="pdptrs">The four PAE PDPTR registers (ignored by other formats); may be empty.</param>
        /// <param name="pdptBase">GPA the PDPTRs were loaded from (for traces).</param>
        /// <param name="cr4Pse">CR4.PSE (role <c>ext.cr4_pse</c>): 4 MiB pages in 32-bit paging.</param>
        /// <param name="hasPferrFetch">Report I/D in error codes: EFER.NXE or CR4.SMEP (post-series <c>has_pferr_fetch</c>).</param>
        /// <param name="haveAccessedDirty">KVM <c>PT_HAVE_ACCESSED_DIRTY</c>: always for x86 formats (the walk ignores
        /// this for them, as KVM's is a constant there); for EPT only when the EPTP enables A/D
        /// (<c>!cpu_role.base.ad_disabled</c>).</param>
        /// <param name="pdptrsFromMemory">PAE only: read the PDPTEs from memory at <paramref name="root"/> on every walk
        /// instead of using <paramref name="pdptrs"/> (SVM nested NPT, KVM <c>nested_svm_get_tdp_pdptr</c>).</param>
        /// <param name="mbec">EPT only: mode-based execute control (bit 2 = supervisor execute, bit 10 = user execute, and
        /// bit 10 alone makes an entry present).</param>
        /// <param name="dimension">Trace dimension of this walker's reads: 0 for a 1-D walk, 1 for the guest tables of a
        /// 2-D walk, 2 for the EPT/NPT tables walked to translate its GPAs.</param>
        public WalkContext(GuestMemory memory, PageFormat format, ulong root, ReadOnlySpan<ulong> pdptrs, ulong pdptBase,
            bool cr4Pse, bool hasPferrFetch, bool haveAccessedDirty = true, int dimension = 0, bool pdptrsFromMemory = false,
            bool mbec = false)
        {
            Mbec = mbec;
            PdptrsFromMemory = pdptrsFromMemory;
            HaveAccessedDirty = haveAccessedDirty;
            Dimension = dimension;
            Memory = memory;
            MemorySize = memory.Size;
            FlatMemory = memory.FlatBase;
            Format = format;
            Root = root;
            for (int i = 0; i < 4; i++)
            {
                _pdptrs[i] = pdptrs.Length > i ? pdptrs[i] : 0;
            }

            PdptBase = pdptBase;
            Cr4Pse = cr4Pse;
            HasPferrFetch = hasPferrFetch;

            // A snapshot of format.GetReservedMask(bit7, level) so that the per-level check is inlined into the walk
            // (PageFormat.IsReserved is the reference; a test checks both agree on every input class).
            for (int bit7 = 0; bit7 < 2; bit7++)
            {
                for (int level = 1; level <= 5; level++)
                {
                    _reservedMasks[(int)ReservedMaskSlot(level, (ulong)bit7)] = format.GetReservedMask(bit7, level);
                }
            }

            _badMtXwr = format.BadMtXwr;

            // The same for the permission table and the PKRU mask (PageFormat.PermissionFault is the reference).
            format.Permissions.CopyTo(_permissions);
            _pkruMask = format.PkruMask;
        }

        private readonly ReservedMaskTable _reservedMasks;
        private readonly ulong _badMtXwr;
        private readonly PermissionTable _permissions;
        private readonly uint _pkruMask;
        private readonly PdptrTable _pdptrs;

        /// <summary>Guest physical memory.</summary>
        public GuestMemory Memory { get; }

        /// <summary>Host address of GPA 0 when the memory is one flat mapping (KVM: the memslot's userspace_addr); null otherwise.</summary>
        internal byte* FlatMemory { get; }

        /// <summary>Bytes of guest memory: table GPAs at or above it have no memslot.</summary>
        public ulong MemorySize { get; }

        /// <summary>Reserved-bit and permission tables.</summary>
        public PageFormat Format { get; }

        /// <summary>Page-table root (CR3).</summary>
        public ulong Root { get; }

        /// <summary>PDPTR 0.</summary>
        public ulong Pdptr0 => _pdptrs[0];

        /// <summary>PDPTR 1.</summary>
        public ulong Pdptr1 => _pdptrs[1];

        /// <summary>PDPTR 2.</summary>
        public ulong Pdptr2 => _pdptrs[2];

        /// <summary>PDPTR 3.</summary>
        public ulong Pdptr3 => _pdptrs[3];

        /// <summary>GPA of PDPTE 0 at load time (CR3 &amp; ~0x1f).</summary>
        public ulong PdptBase { get; }

        /// <summary>EPT with mode-based execute control (SDM 29.3.2: XS in bit 2, XU in bit 10).</summary>
        public bool Mbec { get; }

        /// <summary>PAE: PDPTEs are read from memory at <see cref="Root"/> on every walk (SVM nested NPT).</summary>
        public bool PdptrsFromMemory { get; }

        /// <summary>Accessed/dirty flags exist and are set by the walk (KVM <c>PT_HAVE_ACCESSED_DIRTY</c>).</summary>
        public bool HaveAccessedDirty { get; }

        /// <summary>Trace dimension (0 = 1-D walk, 1 = guest tables of a 2-D walk, 2 = its EPT/NPT tables).</summary>
        public int Dimension { get; }

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
            ulong mask = ReservedMask(gpte, level);
            return ((gpte & mask) | ((_badMtXwr >> (int)(gpte & 0x3F)) & 1)) != 0;
        }

        /// <summary>
        /// KVM <c>permission_fault</c>'s <c>not_smap</c> in the RSVD slot of the permission index: explicit supervisor
        /// accesses with RFLAGS.AC=1 are not subject to SMAP, implicit ones always are (SDM 4.6.1).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static ulong NotSmap(ulong pfec, ulong rflags) =>
            NotSmapIfExplicit(rflags) & ~(pfec >> (PageFormat.ImplicitAccessBit - PageFormat.RsvdBit));

        /// <summary><see cref="NotSmap"/> of an explicit access (RFLAGS.AC alone), for a caller that knows the access is explicit.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static ulong NotSmapIfExplicit(ulong rflags) =>
            (rflags >> (PageFormat.RflagsAcBit - PageFormat.RsvdBit)) & (1UL << PageFormat.RsvdBit);

        /// <summary>
        /// KVM <c>permission_fault</c>: the same answer as <see cref="PageFormat.PermissionFault"/>, from the table copied
        /// at construction, and without the protection-key arithmetic when the role has no key checks
        /// (<c>pkru_mask</c> = 0: CR4.PKE off, or an EPT/NPT format).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong PermissionFault(Acc pteAccess, uint pkey, ulong pfec, ulong rflags, uint pkru)
        {
            int access = (int)pteAccess & (int)Acc.All;

            // SDM 4.6.1: explicit supervisor accesses with RFLAGS.AC=1 are not subject to SMAP, implicit ones are
            // (the answer goes into the RSVD slot of the index, as in PageFormat). The compact walk's caller has put it
            // there already, as KVM ORs PFERR_RSVD_MASK into the pfec it indexes with, and passes RFLAGS 0 (a request never
            // has RSVD otherwise).
            ulong requestAndNotSmap = (pfec & (ulong)(PfErr.Write | PfErr.User | PfErr.Rsvd | PfErr.Fetch)) | NotSmap(pfec, rflags);
            nuint index = (nuint)(requestAndNotSmap >> 1); // W, U, RSVD, F: 0..15
            uint fault = ((uint)Unsafe.Add(ref Unsafe.AsRef(in _permissions[0]), index) >> access) & 1;
            if (_pkruMask == 0)
            {
                // PFERR_PRESENT_MASK is bit 0: the fault bit is the error code.
                return fault * (ulong)PfErr.Present;
            }

            // SDM 4.6.2: AD/WD of the key, masked by what applies to this access (the mask's offset is the request with
            // the RSVD slot replaced by "user page").
            ulong request = pfec & (ulong)(PfErr.Write | PfErr.User | PfErr.Fetch);
            uint pkruBits = (pkru >> (int)((pkey & 0xF) * 2)) & 3;
            int offset = (int)request | (((int)access & (int)Acc.User) << 1);
            pkruBits &= _pkruMask >> offset;
            uint keyFault = (pkruBits | (pkruBits >> 1)) & 1;
            ulong errorCode = (ulong)PfErr.Present | ((ulong)keyFault << PageFormat.PkBit);
            return (0UL - (fault | keyFault)) & errorCode;
        }

        /// <summary>Address of the top-level table the root points to (CR3 / EPTP / nCR3 bits 51:12).</summary>
        public ulong TableGpaOfRoot() => Root & 0x000F_FFFF_FFFF_F000UL;

        /// <summary>
        /// <see cref="IsReserved"/> without the EPT-only memory-type/XWR term: x86 formats have <c>bad_mt_xwr</c> = 0
        /// (KVM FNAME(is_bad_mt_xwr) is "return false" for them), so the walk of an x86 format skips the shift.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool IsReservedX86(ulong gpte, int level) => (gpte & ReservedMask(gpte, level)) != 0;

        /// <summary><c>rsvd_bits_mask[bit 7][level - 1]</c>; <paramref name="level"/> is 1..5 (a format's levels), so unchecked.</summary>
        /// <remarks>
        /// Both masks of the level are loaded and one is selected by bit 7 (a conditional move), rather than loading the
        /// mask at an address computed from the entry: that second load, dependent on the entry, lengthened every level's
        /// chain from the entry load to its check by a load latency.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong ReservedMask(ulong gpte, int level)
        {
            // Both from the table's start with constant offsets (no address formed first for the level's pair).
            ref ulong masks = ref Unsafe.AsRef(in _reservedMasks[0]);
            ulong withoutBit7 = Unsafe.Add(ref masks, ReservedMaskSlot(level, 0));
            ulong withBit7 = Unsafe.Add(ref masks, ReservedMaskSlot(level, 1));
            return (gpte & (1UL << 7)) != 0 ? withBit7 : withoutBit7;
        }

        /// <summary>
        /// Where <c>rsvd_bits_mask[bit7][level - 1]</c> is kept: the two masks of a level side by side, so that with the
        /// level a constant (the walk is unrolled) the slot is bit 7 plus a constant.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static nuint ReservedMaskSlot(int level, ulong bit7) => (nuint)(((uint)(level - 1) * 2) + bit7);

        /// <summary>PDPTR <paramref name="index"/> (0..3; KVM <c>kvm_pdptr_read</c>).</summary>
        /// <remarks>An indexed load, not a switch: the index comes from address bits 31:30 and changes from walk to walk.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong GetPdptr(int index) => Unsafe.Add(ref Unsafe.AsRef(in _pdptrs[0]), (nuint)((uint)index & 3));
    }

    /// <summary>The four PAE PDPTR registers (KVM <c>mmu-&gt;pdptrs[4]</c>).</summary>
    [InlineArray(4)]
    internal struct PdptrTable
    {
        private ulong _element0;
    }

    /// <summary>KVM <c>permissions[16]</c>: bit <c>acc</c> of entry <c>pfec &gt;&gt; 1</c> set means the access faults.</summary>
    [InlineArray(16)]
    internal struct PermissionTable
    {
        private byte _element0;
    }

    /// <summary>KVM <c>rsvd_bits_mask[2][5]</c>, flattened (index = (level - 1) * 2 + bit7).</summary>
    [InlineArray(10)]
    internal struct ReservedMaskTable
    {
        private ulong _element0;
    }
}
