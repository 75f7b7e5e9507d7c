using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Shadow
{
    /// <summary>
    /// The host's SPTE encoding (KVM spte.h, <c>kvm_mmu_reset_all_pte_masks</c> / <c>kvm_mmu_set_ept_masks</c>): the
    /// masks <c>make_spte</c> ORs together. Two instances exist: <see cref="Legacy"/> (shadow paging on any host, and
    /// NPT: x86 page-table format) and <see cref="Ept"/> (Intel TDP and nested-EPT shadows).
    /// <code>
    ///  legacy / NPT:  63 NX | 51:12 pfn | 11 MMU-present | 10 MMU-writable | 9 host-writable | 7 PS | 6 D | 5 A | 2 U | 1 W | 0 P
    ///  EPT:           58 MMU-writable | 57 host-writable | 51:12 pfn | 11 MMU-present | 9 D | 8 A | 7 PS | 6 IPAT
    ///                 | 5:3 memory type (WB) | 2 X | 1 W | 0 R (ACC_USER means "readable" in EPT, KVM spte.c)
    /// </code>
    /// MMIO SPTEs (no memslot behind the GFN) are not MMU-present: legacy hosts mark them with bit 51 | P (a reserved
    /// bit, so the access faults with RSVD); EPT hosts with W|X and no R (0b110, an EPT misconfiguration).
    /// </summary>
    public sealed class SpteFormat
    {
        /// <summary>SPTE_MMU_PRESENT_MASK, bit 11: the SPTE maps memory (MMIO SPTEs do not have it).</summary>
        public const ulong MmuPresent = 1UL << 11;

        /// <summary>Frame bits 51:12.</summary>
        public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;

        /// <summary>PT_WRITABLE_MASK, bit 1 in both formats.</summary>
        public const ulong Writable = 1UL << 1;

        /// <summary>PS, bit 7 in both formats.</summary>
        public const ulong PageSize = 1UL << 7;

        private SpteFormat(string name, bool isEpt, ulong presentMask, ulong userMask, ulong execMask, ulong nxMask,
            ulong accessedMask, ulong dirtyMask, ulong hostWritable, ulong mmuWritable, ulong memoryType, ulong mmioValue)
        {
            Name = name;
            IsEpt = isEpt;
            PresentMask = presentMask;
            UserMask = userMask;
            ExecMask = execMask;
            NxMask = nxMask;
            AccessedMask = accessedMask;
            DirtyMask = dirtyMask;
            HostWritable = hostWritable;
            MmuWritable = mmuWritable;
            MemoryType = memoryType;
            MmioValue = mmioValue;
        }

        /// <summary>x86 page-table format: shadow paging and NPT.</summary>
        public static SpteFormat Legacy { get; } = new SpteFormat("legacy", isEpt: false, presentMask: 1, userMask: 1UL << 2,
            execMask: 0, nxMask: 1UL << 63, accessedMask: 1UL << 5, dirtyMask: 1UL << 6, hostWritable: 1UL << 9,
            mmuWritable: 1UL << 10, memoryType: 0, mmioValue: (1UL << 51) | 1);

        /// <summary>
        /// EPT format. The modelled host supports execute-only EPT, so <c>shadow_present_mask</c> has no R bit and R
        /// comes from ACC_USER (<c>shadow_user_mask</c> = R), as KVM's <c>kvm_mmu_set_ept_masks(has_exec_only)</c> sets.
        /// </summary>
        public static SpteFormat Ept { get; } = new SpteFormat("ept", isEpt: true, presentMask: 0, userMask: 1UL << 0,
            execMask: 1UL << 2, nxMask: 0, accessedMask: 1UL << 8, dirtyMask: 1UL << 9, hostWritable: 1UL << 57,
            mmuWritable: 1UL << 58, memoryType: 6UL << 3, mmioValue: 0b110);

        /// <summary>"legacy" or "ept".</summary>
        public string Name { get; }

        /// <summary>The EPT encoding.</summary>
        public bool IsEpt { get; }

        /// <summary>shadow_present_mask.</summary>
        public ulong PresentMask { get; }

        /// <summary>shadow_user_mask (EPT: R).</summary>
        public ulong UserMask { get; }

        /// <summary>shadow_x_mask (EPT X).</summary>
        public ulong ExecMask { get; }

        /// <summary>shadow_nx_mask (legacy NX).</summary>
        public ulong NxMask { get; }

        /// <summary>shadow_accessed_mask.</summary>
        public ulong AccessedMask { get; }

        /// <summary>shadow_dirty_mask.</summary>
        public ulong DirtyMask { get; }

        /// <summary>shadow_host_writable_mask.</summary>
        public ulong HostWritable { get; }

        /// <summary>shadow_mmu_writable_mask.</summary>
        public ulong MmuWritable { get; }

        /// <summary>Memory type of leaf SPTEs (EPT: WB; <c>get_mt_mask</c>).</summary>
        public ulong MemoryType { get; }

        /// <summary>The MMIO SPTE marker (<c>shadow_mmio_value</c>).</summary>
        public ulong MmioValue { get; }

        /// <summary>
        /// KVM <c>make_nonleaf_spte</c>: a link to a child table, MMU-present with every permission (P/R, W, U, X or no
        /// NX) and A, so the leaf decides.
        /// </summary>
        public ulong NonLeaf(ulong childHpa) =>
            MmuPresent | PresentMask | UserMask | Writable | ExecMask | AccessedMask | (childHpa & AddressMask);

        /// <summary>The SPTE maps memory or a table (KVM <c>is_shadow_present_pte</c>).</summary>
        public static bool IsPresent(ulong spte) => (spte & MmuPresent) != 0;

        /// <summary>An MMIO SPTE (KVM <c>is_mmio_spte</c>).</summary>
        public bool IsMmio(ulong spte) => !IsPresent(spte) && spte != 0 && (spte & MmioValue) == MmioValue;

        /// <summary>The rights a present leaf grants, as ACC bits (EPT: R → User).</summary>
        public Acc AccessOf(ulong spte)
        {
            Acc acc = Acc.None;
            if ((spte & Writable) != 0)
            {
                acc |= Acc.Write;
            }

            if ((spte & UserMask) != 0)
            {
                acc |= Acc.User;
            }

            if (IsEpt ? (spte & ExecMask) != 0 : (spte & NxMask) == 0)
            {
                acc |= Acc.Exec;
            }

            return acc;
        }
    }
}
