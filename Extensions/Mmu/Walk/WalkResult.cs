using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Walk
{
    /// <summary>How a walk ended.</summary>
    public enum WalkOutcome
    {
        /// <summary>Translated: <see cref="WalkResult.Gpa"/> is valid.</summary>
        Ok = 0,

        /// <summary>
        /// A #PF for the guest: <see cref="WalkResult.ErrorCode"/> and <see cref="WalkResult.FaultAddress"/> (CR2)
        /// are valid.
        /// </summary>
        PageFault = 1,

        /// <summary>
        /// A fault of the outer (EPT/NPT) dimension of a nested walk, delivered to L1 as a VM-exit. The 1-D walker
        /// never produces it; <see cref="IGpaTranslator"/> implementations for nested paging do.
        /// </summary>
        VmExit = 2,

        /// <summary>
        /// #GP(0): the linear address is not canonical (SDM 3.3.7.1). KVM's emulator raises #GP in
        /// <c>__linearize</c> before any walk, never #PF; no page-table entry is read and no CR2 is written.
        /// </summary>
        GeneralProtection = 3,
    }

    /// <summary>
    /// Result of a guest page walk, a value (never an exception): the GPA on success, or the fault the guest
    /// would receive. Mirrors KVM's <c>struct guest_walker</c> outputs plus <c>struct x86_exception</c>.
    /// </summary>
    public readonly struct WalkResult : IEquatable<WalkResult>
    {
        private WalkResult(WalkOutcome outcome, ulong gpa, PfErr errorCode, ulong faultAddress, int level, Acc pteAccess,
            ulong pageSize, uint protectionKey, ExitReason exitReason = ExitReason.None, ulong exitInfo = 0, ulong gva = 0)
        {
            ExitReason = exitReason;
            ExitInfo = exitInfo;
            Gva = gva;
            Outcome = outcome;
            Gpa = gpa;
            ErrorCode = errorCode;
            FaultAddress = faultAddress;
            Level = level;
            PteAccess = pteAccess;
            PageSize = pageSize;
            ProtectionKey = protectionKey;
        }

        /// <summary>How the walk ended.</summary>
        public WalkOutcome Outcome { get; }

        /// <summary>True when <see cref="Outcome"/> is <see cref="WalkOutcome.Ok"/>.</summary>
        public bool IsOk => Outcome == WalkOutcome.Ok;

        /// <summary>Translated guest-physical address (page frame plus the offset inside the leaf page); 0 on failure.</summary>
        public ulong Gpa { get; }

        /// <summary>#PF error code (P, W, U, RSVD, I/D, PK); <see cref="PfErr.None"/> unless <see cref="WalkOutcome.PageFault"/>.</summary>
        public PfErr ErrorCode { get; }

        /// <summary>CR2 for a #PF (the faulting linear address, KVM <c>walker-&gt;fault.address</c>); the address for #GP.</summary>
        public ulong FaultAddress { get; }

        /// <summary>
        /// On success the leaf level (1 = 4 KiB, 2 = 2 MiB / 4 MiB, 3 = 1 GiB; 0 with paging off); on a fault the level
        /// whose entry stopped the walk (KVM <c>walker-&gt;level</c>; 3 for a not-present PAE PDPTE).
        /// </summary>
        public int Level { get; }

        /// <summary>
        /// Accumulated access rights of the translation (KVM <c>walker-&gt;pte_access</c> as checked by
        /// <c>permission_fault</c>, before <c>protect_clean_gpte</c>, which only shadow paging applies).
        /// </summary>
        public Acc PteAccess { get; }

        /// <summary>Bytes mapped by the leaf: 4 KiB, 2 MiB, 4 MiB or 1 GiB; 0 on failure.</summary>
        public ulong PageSize { get; }

        /// <summary>Protection key of the leaf (bits 62:59, 64-bit formats; 0 otherwise).</summary>
        public uint ProtectionKey { get; }

        /// <summary>Why the VM exit happened (<see cref="WalkOutcome.VmExit"/> only).</summary>
        public ExitReason ExitReason { get; }

        /// <summary>
        /// VM exit: the EPT-violation exit qualification (<see cref="EptViolation"/>; 0 for a misconfiguration) or the
        /// SVM <c>EXITINFO1</c> (<see cref="NestedPageFault"/>). A #PF from an EPT walk (before it is turned into an
        /// exit by the nested MMU): the qualification KVM synthesizes (<c>walker-&gt;fault.exit_qualification</c>).
        /// </summary>
        public ulong ExitInfo { get; }

        /// <summary>VM exit: the L2 guest-linear address whose translation faulted (VMCS guest-linear address).</summary>
        public ulong Gva { get; }

        /// <summary>A successful translation.</summary>
        public static WalkResult Success(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey = 0)
            => new WalkResult(WalkOutcome.Ok, gpa, PfErr.None, 0, level, pteAccess, pageSize, protectionKey);

        /// <summary>A #PF with error code and CR2.</summary>
        public static WalkResult PageFault(PfErr errorCode, ulong faultAddress, int level, Acc pteAccess = Acc.None)
            => new WalkResult(WalkOutcome.PageFault, 0, errorCode, faultAddress, level, pteAccess, 0, 0);

        /// <summary>A #GP(0) for a non-canonical linear address.</summary>
        public static WalkResult GeneralProtection(ulong address)
            => new WalkResult(WalkOutcome.GeneralProtection, 0, PfErr.None, address, 0, Acc.None, 0, 0);

        /// <summary>
        /// A failed EPT walk (KVM PTTYPE_EPT <c>walk_addr_generic</c> "error:"): the error code (RSVD marks a
        /// misconfiguration) and the synthesized exit qualification, before the nested MMU turns it into an exit.
        /// </summary>
        public static WalkResult EptFault(PfErr errorCode, ulong l2Gpa, int level, ulong exitQualification)
            => new WalkResult(WalkOutcome.PageFault, 0, errorCode, l2Gpa, level, Acc.None, 0, 0, ExitReason.None, exitQualification);

        /// <summary>
        /// A fault of the outer (EPT/NPT) dimension of a nested walk, delivered to L1 as a VM exit.
        /// </summary>
        /// <param name="reason">EPT violation, EPT misconfiguration or NPF.</param>
        /// <param name="errorCode">The inner walk's error code (NPF: <c>EXITINFO1</c> bits 31:0 plus the stage bit).</param>
        /// <param name="exitInfo">Exit qualification (VMX) or <c>EXITINFO1</c> (SVM).</param>
        /// <param name="l2Gpa">The faulting L2 guest-physical address (VMCS guest-physical address / <c>EXITINFO2</c>).</param>
        /// <param name="gva">The L2 linear address being translated.</param>
        /// <param name="level">EPT/NPT level whose entry stopped the walk.</param>
        public static WalkResult VmExit(ExitReason reason, PfErr errorCode, ulong exitInfo, ulong l2Gpa, ulong gva, int level)
            => new WalkResult(WalkOutcome.VmExit, 0, errorCode, l2Gpa, level, Acc.None, 0, 0, reason, exitInfo, gva);

        /// <inheritdoc/>
        public bool Equals(WalkResult other)
            => Outcome == other.Outcome && Gpa == other.Gpa && ErrorCode == other.ErrorCode
               && FaultAddress == other.FaultAddress && Level == other.Level && PteAccess == other.PteAccess
               && PageSize == other.PageSize && ProtectionKey == other.ProtectionKey && ExitReason == other.ExitReason
               && ExitInfo == other.ExitInfo && Gva == other.Gva;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is WalkResult other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(Outcome, Gpa, ErrorCode, FaultAddress, Level, PteAccess, PageSize);

        /// <summary>Equality.</summary>
        public static bool operator ==(WalkResult left, WalkResult right) => left.Equals(right);

        /// <summary>Inequality.</summary>
        public static bool operator !=(WalkResult left, WalkResult right) => !left.Equals(right);

        /// <summary><c>gpa=0x… level=1 size=4K acc=…</c>, <c>#PF(0x7) cr2=0x…</c> or <c>#GP(0) addr=0x…</c>.</summary>
        public override string ToString() => Outcome switch
        {
            WalkOutcome.Ok => $"gpa=0x{Gpa:x} level={Level} size=0x{PageSize:x} acc={PteAccess}",
            WalkOutcome.PageFault => $"#PF(0x{(ulong)ErrorCode:x}) cr2=0x{FaultAddress:x} level={Level}",
            WalkOutcome.GeneralProtection => $"#GP(0) addr=0x{FaultAddress:x}",
            _ => $"vmexit {ExitReason} info=0x{ExitInfo:x} gpa=0x{FaultAddress:x} gva=0x{Gva:x} level={Level}",
        };
    }
}
