using System.Collections.Concurrent;
using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Permissions
{
    /// <summary>
    /// Everything KVM precomputes to check a guest paging-structure entry and an access against it (6.12:
    /// <c>struct rsvd_bits_validate guest_rsvd_check</c>, <c>u8 permissions[16]</c> and <c>u32 pkru_mask</c> of
    /// <c>struct kvm_mmu</c>; the post-chainsaw tree gathers them as <c>struct kvm_page_format</c>).
    /// <para>
    /// Reserved masks, indexed by the entry's bit 7 and its level:
    /// <code>
    ///   mask[bit7][level-1]   bit7 = PS (large page) for levels 2..3, ignored elsewhere
    ///   reserved(pte, level) = (pte &amp; mask[pte.bit7][level-1]) != 0  ||  BadMtXwr.bit[pte &amp; 0x3f]  (EPT only)
    /// </code>
    /// Permission table, one byte per access kind, one bit per effective <see cref="Acc"/> value:
    /// <code>
    ///   index (4 bits) = pfec &gt;&gt; 1:   [3] F fetch   [2] RSVD slot = "not subject to SMAP"   [1] U user   [0] W write
    ///   Permissions[index] bit v = 1  ⇔  the access faults on a page whose Acc == v  (v = U:W:X, 0..7)
    /// </code>
    /// PKRU mask, two bits per pfec value (AD check, WD check):
    /// <code>
    ///   offset = pfec with P cleared and the RSVD slot replaced by "page is user" (Acc.User)
    ///   PkruMask bits [offset+1:offset] = WD-applies : AD-applies
    /// </code>
    /// </para>
    /// Instances are immutable and shared: <see cref="ForGuest"/> and <see cref="ForEpt"/> return the same
    /// object for the same inputs.
    /// </summary>
    public sealed class PageFormat
    {
        /// <summary>Deepest paging hierarchy (KVM PT64_ROOT_MAX_LEVEL).</summary>
        public const int MaxLevel = 5;

        // Pfec bits that describe an access (W, U, F). Bit 0 (P) is shifted out of the index, RSVD is KVM's
        // not-SMAP slot, and PK/SS/SGX and the synthetic bits above 31 are not part of the request.
        private const uint AccessPfecBits = (uint)(PfErr.Write | PfErr.User | PfErr.Fetch);
        private const uint RsvdSlot = (uint)PfErr.Rsvd;

        // Bit positions used by the branch-free PermissionFault; EncodingInvariantTests checks them against
        // Rflags.AC, PfErr.ImplicitAccess, PfErr.Rsvd and PfErr.PK.
        internal const int RflagsAcBit = 18;
        internal const int ImplicitAccessBit = 48;
        internal const int RsvdBit = 3;
        internal const int PkBit = 5;
        private const ulong Bit7 = 1UL << 7;

        // BYTE_MASK(ACC_*): bit v is set iff the Acc value v contains the access bit (KVM mmu.c
        // update_permission_bitmask). Acc.Exec = 1, Acc.Write = 2, Acc.User = 4.
        private const byte ExecAllowed = 0xAA;
        private const byte WriteAllowed = 0xCC;
        private const byte UserAllowed = 0xF0;

        private static readonly ConcurrentDictionary<GuestKey, PageFormat> s_guestFormats = new();
        private static readonly ConcurrentDictionary<EptKey, PageFormat> s_eptFormats = new();

        // [bit7 * MaxLevel + level - 1], KVM's rsvd_bits_mask[2][PT64_ROOT_MAX_LEVEL] flattened.
        private readonly ulong[] _reservedMasks;
        private readonly byte[] _permissions;

        private PageFormat(ulong[] reservedMasks, ulong badMtXwr, byte[] permissions, uint pkruMask, bool isEpt, bool executeOnly = false)
        {
            ExecuteOnly = executeOnly;
            _reservedMasks = reservedMasks;
            _permissions = permissions;
            BadMtXwr = badMtXwr;
            PkruMask = pkruMask;
            IsEpt = isEpt;
        }

        /// <summary>
        /// EPT only: bit <c>(entry &amp; 0x3f)</c> set ⇔ the memory-type/XWR combination in bits 5:0 is a
        /// misconfiguration (KVM <c>rsvd_bits_validate.bad_mt_xwr</c>); 0 for x86 formats.
        /// </summary>
        public ulong BadMtXwr { get; }

        /// <summary>Protection-key checks per access (KVM <c>pkru_mask</c>); 0 when protection keys are off.</summary>
        public uint PkruMask { get; }

        /// <summary>The 16-entry permission table (KVM <c>permissions[]</c>), indexed by <c>pfec &gt;&gt; 1</c>.</summary>
        public ReadOnlySpan<byte> Permissions => _permissions;

        /// <summary>EPT: execute-only entries are allowed (the capability the format was built for).</summary>
        public bool ExecuteOnly { get; }

        /// <summary>The format checks EPT entries (R/W/X in bits 2:0, memory type in bits 5:3).</summary>
        public bool IsEpt { get; }

        /// <summary>
        /// The format for walking guest x86 page tables in <paramref name="role"/>'s paging mode: 6.12
        /// <c>reset_guest_paging_metadata</c> = <c>reset_guest_rsvds_bits_mask</c> + <c>update_permission_bitmask(mmu,
        /// false)</c> + <c>update_pkru_bitmask</c>. With paging off KVM never walks and skips the update; the format
        /// is then empty (no reserved bits, no faults). Cached per input.
        /// </summary>
        /// <param name="role">Guest paging mode (<see cref="CpuRole.Compute"/>).</param>
        /// <param name="maxPhyAddr">Guest MAXPHYADDR, CPUID 0x80000008.EAX[7:0] (1..52).</param>
        /// <param name="gbPages">Guest CPUID has 1 GiB pages (CPUID 0x80000001.EDX[26]).</param>
        /// <param name="amd">Guest CPUID is AMD-compatible (KVM <c>guest_cpuid_is_amd_compatible</c>).</param>
        public static PageFormat ForGuest(CpuRole role, int maxPhyAddr, bool gbPages, bool amd)
        {
            ValidateMaxPhyAddr(maxPhyAddr);
            return s_guestFormats.GetOrAdd(new GuestKey(role.AsU64, maxPhyAddr, gbPages, amd), static key => CreateGuest(key));
        }

        /// <summary>
        /// The format for walking L1's EPT tables (nested EPT, 6.12 <c>kvm_init_shadow_ept_mmu</c>):
        /// <c>reset_rsvds_bits_mask_ept</c> + <c>update_permission_bitmask(mmu, true)</c>, no protection keys.
        /// In the EPT table <see cref="Acc.User"/> means readable (KVM 6.12 <c>FNAME(gpte_access)</c>), so a request
        /// with <see cref="PfErr.User"/> needs R, <see cref="PfErr.Write"/> needs W and <see cref="PfErr.Fetch"/> needs X.
        /// Cached per input.
        /// </summary>
        /// <param name="maxPhyAddr">MAXPHYADDR of the EPT's output addresses (1..52).</param>
        /// <param name="execOnly">Execute-only entries are allowed (IA32_VMX_EPT_VPID_CAP bit 0).</param>
        /// <param name="hugeLevel">Largest leaf: 1 = 4 KiB only, 2 = 2 MiB, 3 = 1 GiB.</param>
        public static PageFormat ForEpt(int maxPhyAddr, bool execOnly, int hugeLevel)
        {
            ValidateMaxPhyAddr(maxPhyAddr);
            ArgumentOutOfRangeException.ThrowIfLessThan(hugeLevel, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(hugeLevel, 3);
            return s_eptFormats.GetOrAdd(new EptKey(maxPhyAddr, execOnly, hugeLevel), static key => CreateEpt(key));
        }

        /// <summary>
        /// Bits that must be clear in a present PAE PDPTE when CR3 is loaded (KVM <c>pdptr_rsvd_bits</c>, used by
        /// <c>load_pdptrs</c>): <c>reserved_gpa_bits | bits 8:5 | bits 2:1</c>. The walker does not check PDPTEs;
        /// a violation makes the MOV to CR0/CR3/CR4 fail with #GP instead.
        /// </summary>
        /// <param name="maxPhyAddr">Guest MAXPHYADDR (1..52).</param>
        public static ulong PdptrReservedMask(int maxPhyAddr)
        {
            ValidateMaxPhyAddr(maxPhyAddr);
            return ReservedGpaBits(maxPhyAddr) | RsvdBits(5, 8) | RsvdBits(1, 2);
        }

        /// <summary>
        /// KVM <c>__is_rsvd_bits_set</c> || <c>__is_bad_mt_xwr</c>: does the present entry <paramref name="gpte"/>
        /// at <paramref name="level"/> (1..5) set a reserved bit? Branch-free, no allocation.
        /// </summary>
        public bool IsReserved(ulong gpte, int level)
        {
            int bit7 = (int)(gpte >> 7) & 1;
            ulong mask = _reservedMasks[(bit7 * MaxLevel) + level - 1];
            ulong badCombination = (BadMtXwr >> (int)(gpte & 0x3F)) & 1;
            return ((gpte & mask) | badCombination) != 0;
        }

        /// <summary>KVM <c>rsvd_bits_mask[bit7][level - 1]</c>.</summary>
        /// <param name="bit7">Bit 7 of the entry, 0 or 1.</param>
        /// <param name="level">Entry level, 1..5.</param>
        public ulong GetReservedMask(int bit7, int level)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(bit7);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(bit7, 1);
            ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
            return _reservedMasks[(bit7 * MaxLevel) + level - 1];
        }

        /// <summary>
        /// KVM 6.12 <c>permission_fault</c> (mmu.h): does the access <paramref name="pfec"/> fault on a translation
        /// whose effective rights are <paramref name="pteAccess"/> and whose protection key is
        /// <paramref name="pkey"/>? Returns 0, or <see cref="PfErr.Present"/> with <see cref="PfErr.PK"/> when the
        /// PKRU check failed. Only W/U/F and <see cref="PfErr.ImplicitAccess"/> of <paramref name="pfec"/> are read
        /// (KVM truncates it to 32 bits; other bits never reach the table). No allocation, no branches.
        /// </summary>
        /// <param name="pteAccess">Effective U/W/X rights after the walk (NX already inverted into Exec).</param>
        /// <param name="pkey">Protection key of the leaf entry, bits 62:59 (0..15).</param>
        /// <param name="pfec">The request: <see cref="PfErr.Write"/>, <see cref="PfErr.User"/> (CPL 3, explicit),
        /// <see cref="PfErr.Fetch"/>, <see cref="PfErr.ImplicitAccess"/>.</param>
        /// <param name="rflags">RFLAGS; AC lets explicit supervisor accesses bypass SMAP.</param>
        /// <param name="pkru">PKRU: bit 2k = AD, bit 2k+1 = WD of key k.</param>
        public ulong PermissionFault(Acc pteAccess, uint pkey, ulong pfec, ulong rflags, uint pkru)
        {
            int access = (int)pteAccess & (int)Acc.All;
            uint request = (uint)pfec & AccessPfecBits;

            // SDM 4.6.1; KVM permission_fault: explicit supervisor accesses with RFLAGS.AC=1 are not subject to SMAP,
            // implicit ones always are. The answer goes into the (otherwise unused) RSVD slot of the index.
            uint notSmap = (uint)(rflags >> RflagsAcBit) & ~(uint)(pfec >> ImplicitAccessBit) & 1;
            uint index = (request | (notSmap << RsvdBit)) >> 1;
            uint fault = ((uint)_permissions[index] >> access) & 1;

            // SDM 4.6.2; KVM permission_fault: AD/WD of the key, masked by what applies to this access. The mask
            // offset is the request with the RSVD slot replaced by "user page". PkruMask = 0 disables the check.
            uint pkruBits = (pkru >> (int)((pkey & 0xF) * 2)) & 3;
            int offset = (int)(request | (((uint)access & (uint)Acc.User) << 1));
            pkruBits &= PkruMask >> offset;
            uint keyFault = (pkruBits | (pkruBits >> 1)) & 1;

            // KVM: return -(u32)fault & errcode, errcode = PRESENT | (PK if the key check failed).
            ulong errorCode = (ulong)PfErr.Present | ((ulong)keyFault << PkBit);
            return (0UL - (fault | keyFault)) & errorCode;
        }

        private static PageFormat CreateGuest(GuestKey key)
        {
            CpuRole role = new CpuRole(key.Role);
            ulong[] reserved = new ulong[2 * MaxLevel];
            byte[] permissions = new byte[16];

            // KVM reset_guest_paging_metadata: nothing is (re)computed while paging is off.
            if (!role.IsPaging)
            {
                return new PageFormat(reserved, 0, permissions, 0, isEpt: false);
            }

            FillGuestReservedMasks(reserved, ReservedGpaBits(key.MaxPhyAddr), role.Level, role.IsEferNx,
                key.GbPages, role.IsCr4Pse, key.Amd);
            FillPermissions(permissions, ept: false, role.IsCr0Wp, role.IsCr4Smep, role.IsCr4Smap, role.IsEferNx);
            uint pkruMask = ComputePkruMask(role.IsCr4Pke, role.IsCr0Wp);
            return new PageFormat(reserved, 0, permissions, pkruMask, isEpt: false);
        }

        private static PageFormat CreateEpt(EptKey key)
        {
            ulong[] reserved = new ulong[2 * MaxLevel];
            byte[] permissions = new byte[16];
            ulong badMtXwr = FillEptReservedMasks(reserved, ReservedGpaBits(key.MaxPhyAddr), key.ExecOnly, key.HugeLevel);
            FillPermissions(permissions, ept: true, cr0Wp: true, cr4Smep: false, cr4Smap: false, eferNx: true);

            // KVM kvm_init_shadow_ept_mmu: context->pkru_mask = 0.
            return new PageFormat(reserved, badMtXwr, permissions, 0, isEpt: true, executeOnly: key.ExecOnly);
        }

        /// <summary>
        /// KVM 6.12 <c>__reset_rsvds_bits_mask</c> (mmu.c), spec 5.1. Levels a mode does not have stay 0.
        /// </summary>
        private static void FillGuestReservedMasks(ulong[] masks, ulong paBitsReserved, int level, bool nx,
            bool gbPages, bool pse, bool amd)
        {
            // 1 GiB pages without CPUID GBPAGES fault as reserved (PS at level 3 is a reserved bit).
            ulong gbPagesReserved = gbPages ? 0 : Bit7;

            // PAE entries have no "ignored" high bits, so bits 62:MAXPHYADDR are reserved; 4/5-level entries use
            // bits 62:52 for software and protection keys, so only 51:MAXPHYADDR are.
            ulong highReserved = paBitsReserved & (level == 3 ? RsvdBits(0, 62) : RsvdBits(0, 51));

            // SDM 4.4.2/4.5.4: with EFER.NXE=0 bit 63 (XD) is reserved. PDPTEs are handled below.
            if (!nx)
            {
                highReserved |= RsvdBits(63, 63);
            }

            // AMD APM: non-leaf PML5E/PML4E reserve bit 8 (which is G in a leaf); Intel ignores it.
            ulong nonLeafBit8Reserved = amd ? RsvdBits(8, 8) : 0;

            switch (level)
            {
                case 2:
                    // SDM 4.3: 32-bit paging has no reserved bits in PDEs pointing to tables or in PTEs.
                    // A 4 MiB PDE (CR4.PSE) carries PA bits 39:32 in bits 20:13; KVM always reports PSE-36 and
                    // reserves bits 21:17 (PA bits above 35), bit 21 being reserved by the SDM. With CR4.PSE=0
                    // bit 7 is ignored (the walker never treats the PDE as a leaf).
                    Set(masks, 1, 2, pse ? RsvdBits(17, 21) : 0);
                    break;

                case 3:
                    // SDM 4.4.1: a PDPTE reserves bit 63 (no XD in PDPTEs), bits 8:5 and 2:1. The walker never
                    // checks PDPTEs (load_pdptrs does), but KVM fills the entry anyway.
                    Set(masks, 0, 3, RsvdBits(63, 63) | highReserved | RsvdBits(5, 8) | RsvdBits(1, 2));
                    Set(masks, 0, 2, highReserved);
                    Set(masks, 0, 1, highReserved);
                    // SDM 4.4.2: a 2 MiB PDE keeps PAT in bit 12 and reserves bits 20:13.
                    Set(masks, 1, 2, highReserved | RsvdBits(13, 20));
                    Set(masks, 1, 1, highReserved);
                    break;

                case 4:
                case 5:
                    // SDM 4.5.4: PS (bit 7) is reserved in PML5Es and PML4Es; bit 7 set is not a large page.
                    Set(masks, 0, 5, highReserved | nonLeafBit8Reserved | Bit7);
                    Set(masks, 0, 4, highReserved | nonLeafBit8Reserved | Bit7);
                    Set(masks, 0, 3, highReserved | gbPagesReserved);
                    Set(masks, 0, 2, highReserved);
                    Set(masks, 0, 1, highReserved);
                    Set(masks, 1, 5, highReserved | nonLeafBit8Reserved | Bit7);
                    Set(masks, 1, 4, highReserved | nonLeafBit8Reserved | Bit7);
                    // SDM 4.5.4: a 1 GiB PDPTE reserves bits 29:13, a 2 MiB PDE bits 20:13 (bit 12 is PAT).
                    Set(masks, 1, 3, highReserved | gbPagesReserved | RsvdBits(13, 29));
                    Set(masks, 1, 2, highReserved | RsvdBits(13, 20));
                    // At level 1 bit 7 is PAT, not PS: same mask as PS=0.
                    Set(masks, 1, 1, highReserved);
                    break;
            }
        }

        /// <summary>
        /// KVM 6.12 <c>__reset_rsvds_bits_mask_ept</c> (mmu.c), spec 5.2. Returns <c>bad_mt_xwr</c>.
        /// </summary>
        private static ulong FillEptReservedMasks(ulong[] masks, ulong paBitsReserved, bool execOnly, int hugeLevel)
        {
            // SDM 29.3.2: EPT entries ignore bits 63:52 (bit 63 is suppress-#VE), so only 51:MAXPHYADDR are reserved.
            ulong highReserved = paBitsReserved & RsvdBits(0, 51);
            ulong gigaPageReserved = hugeLevel < 3 ? Bit7 : 0;
            ulong megaPageReserved = hugeLevel < 2 ? Bit7 : 0;

            // Non-leaf PML5E/PML4E: bits 7:3 reserved. Non-leaf PDPTE/PDE: bits 6:3 (memory type, IPAT).
            Set(masks, 0, 5, highReserved | RsvdBits(3, 7));
            Set(masks, 0, 4, highReserved | RsvdBits(3, 7));
            Set(masks, 0, 3, highReserved | RsvdBits(3, 6) | gigaPageReserved);
            Set(masks, 0, 2, highReserved | RsvdBits(3, 6) | megaPageReserved);
            Set(masks, 0, 1, highReserved);

            // Large leaves: 1 GiB reserves bits 29:12, 2 MiB bits 20:12; bit 7 is reserved when the size is not
            // supported. At levels 4..5 and 1 bit 7 selects nothing, so the masks repeat.
            Set(masks, 1, 5, highReserved | RsvdBits(3, 7));
            Set(masks, 1, 4, highReserved | RsvdBits(3, 7));
            Set(masks, 1, 3, highReserved | RsvdBits(12, 29) | gigaPageReserved);
            Set(masks, 1, 2, highReserved | RsvdBits(12, 20) | megaPageReserved);
            Set(masks, 1, 1, highReserved);

            // SDM 29.3.3.1 (EPT misconfigurations), indexed by bits 5:0 = memory type (5:3) : X W R (2:0).
            ulong badMtXwr = 0;
            for (int entryLow = 0; entryLow < 64; entryLow++)
            {
                int xwr = entryLow & 7;
                int memoryType = entryLow >> 3;

                // Memory types 2, 3 and 7 are reserved.
                bool badMemoryType = memoryType == 2 || memoryType == 3 || memoryType == 7;

                // Write without read (W=1, R=0) is never allowed; execute-only only with the VMX capability.
                bool badPermissions = xwr == 0b010 || xwr == 0b110 || (xwr == 0b100 && !execOnly);
                if (badMemoryType || badPermissions)
                {
                    badMtXwr |= 1UL << entryLow;
                }
            }

            return badMtXwr;
        }

        /// <summary>
        /// KVM 6.12 <c>update_permission_bitmask</c> (mmu.c), spec 4.2. Each <c>…Faults</c> byte has bit v set for
        /// every Acc value v on which the access kind faults for that reason.
        /// </summary>
        private static void FillPermissions(byte[] permissions, bool ept, bool cr0Wp, bool cr4Smep, bool cr4Smap,
            bool eferNx)
        {
            for (int index = 0; index < permissions.Length; index++)
            {
                uint pfec = (uint)index << 1;
                bool write = (pfec & (uint)PfErr.Write) != 0;
                bool user = (pfec & (uint)PfErr.User) != 0;
                bool fetch = (pfec & (uint)PfErr.Fetch) != 0;
                bool notSubjectToSmap = (pfec & RsvdSlot) != 0;

                // Writes to read-only pages, user accesses to supervisor pages, fetches from NX pages.
                byte writeFaults = write ? unchecked((byte)~WriteAllowed) : (byte)0;
                byte userFaults = user ? unchecked((byte)~UserAllowed) : (byte)0;
                byte fetchFaults = fetch ? unchecked((byte)~ExecAllowed) : (byte)0;
                byte smepFaults = 0;
                byte smapFaults = 0;

                if (!ept)
                {
                    // Supervisor access to a user page: the faults SMEP and SMAP may add.
                    byte supervisorOnUserPage = user ? (byte)0 : UserAllowed;

                    // SDM 4.6.1: with EFER.NXE=0 instructions may be fetched from any page.
                    if (!eferNx)
                    {
                        fetchFaults = 0;
                    }

                    // SDM 4.6.1: with CR0.WP=0 supervisor writes ignore R/W.
                    if (!cr0Wp && !user)
                    {
                        writeFaults = 0;
                    }

                    // SDM 4.6.1: with CR4.SMEP supervisor fetches from user pages fault.
                    if (cr4Smep && fetch)
                    {
                        smepFaults = supervisorOnUserPage;
                    }

                    // SDM 4.6.1: with CR4.SMAP supervisor data accesses to user pages fault, unless the access is
                    // explicit with RFLAGS.AC=1 (the RSVD slot). Fetches are not data accesses.
                    if (cr4Smap && !notSubjectToSmap && !fetch)
                    {
                        smapFaults = supervisorOnUserPage;
                    }
                }

                permissions[index] = (byte)(fetchFaults | userFaults | writeFaults | smepFaults | smapFaults);
            }
        }

        /// <summary>
        /// KVM 6.12 <c>update_pkru_bitmask</c> (mmu.c), spec 4.4; SDM 4.6.2. For each pfec (RSVD slot = "user
        /// page"): AD applies to data accesses to user pages; WD additionally needs a write by user code or with
        /// CR0.WP=1.
        /// </summary>
        private static uint ComputePkruMask(bool cr4Pke, bool cr0Wp)
        {
            if (!cr4Pke)
            {
                return 0;
            }

            uint mask = 0;
            for (int index = 0; index < 16; index++)
            {
                int pfec = index << 1;
                bool fetch = (pfec & (int)PfErr.Fetch) != 0;
                bool user = (pfec & (int)PfErr.User) != 0;
                bool write = (pfec & (int)PfErr.Write) != 0;
                bool userPage = (pfec & (int)PfErr.Rsvd) != 0;

                bool checkAccessDisable = !fetch && userPage;
                bool checkWriteDisable = checkAccessDisable && write && (user || cr0Wp);
                uint bits = (checkAccessDisable ? 1u : 0u) | (checkWriteDisable ? 2u : 0u);
                mask |= bits << pfec;
            }

            return mask;
        }

        /// <summary>KVM <c>rsvd_bits(s, e)</c>: bits <paramref name="low"/>..<paramref name="high"/> inclusive, 0 if high &lt; low.</summary>
        internal static ulong RsvdBits(int low, int high)
        {
            if (high < low)
            {
                return 0;
            }

            return ((2UL << (high - low)) - 1) << low;
        }

        /// <summary>KVM <c>reserved_gpa_bits</c>: bits 63..MAXPHYADDR.</summary>
        private static ulong ReservedGpaBits(int maxPhyAddr) => RsvdBits(maxPhyAddr, 63);

        private static void Set(ulong[] masks, int bit7, int level, ulong mask) =>
            masks[(bit7 * MaxLevel) + level - 1] = mask;

        private static void ValidateMaxPhyAddr(int maxPhyAddr)
        {
            // SDM 4.1.4: MAXPHYADDR is at most 52.
            ArgumentOutOfRangeException.ThrowIfLessThan(maxPhyAddr, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPhyAddr, 52);
        }

        private readonly record struct GuestKey(ulong Role, int MaxPhyAddr, bool GbPages, bool Amd);

        private readonly record struct EptKey(int MaxPhyAddr, bool ExecOnly, int HugeLevel);
    }
}
