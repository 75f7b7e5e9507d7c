namespace Workbench.Mmu.Arch
{
    /// <summary>
    /// Why an L2 access ended in a VM exit to L1 (the exits a nested walk can reflect: KVM
    /// <c>nested_ept_inject_page_fault</c>, <c>nested_svm_inject_npf_exit</c>).
    /// </summary>
    public enum ExitReason
    {
        /// <summary>No exit.</summary>
        None = 0,

        /// <summary>VMX basic exit reason 48: an EPT entry forbade the access or was not present (SDM 29.3.3.2).</summary>
        EptViolation = 48,

        /// <summary>VMX basic exit reason 49: an EPT entry had reserved bits or a bad memory type / XWR (SDM 29.3.3.1).</summary>
        EptMisconfig = 49,

        /// <summary>SVM exit code 0x400 (<c>SVM_EXIT_NPF</c>): a nested page fault (APM 15.25.6).</summary>
        Npf = 0x400,
    }

    /// <summary>
    /// EPT-violation exit qualification bits (SDM Vol. 3C table 28-7; KVM asm/vmx.h <c>EPT_VIOLATION_*</c>).
    /// <code>
    ///   bit 0  read        bit 3  EPTE readable      bit 7  guest-linear address field valid
    ///   bit 1  write       bit 4  EPTE writable      bit 8  the access was the final translation of that linear
    ///   bit 2  fetch       bit 5  EPTE executable           address (0: an access to a guest paging structure)
    ///                      (3..5 = AND of R/W/X over every entry walked)
    /// </code>
    /// </summary>
    public static class EptViolation
    {
        /// <summary>Bit 0: the access was a data read (KVM sets it for every request with PFERR_USER, i.e. every nested walk).</summary>
        public const ulong AccRead = 1UL << 0;

        /// <summary>Bit 1: data write.</summary>
        public const ulong AccWrite = 1UL << 1;

        /// <summary>Bit 2: instruction fetch.</summary>
        public const ulong AccInstr = 1UL << 2;

        /// <summary>Bits 5:3 hold R/W/X of the EPT entries, ANDed over the walk (KVM EPT_VIOLATION_RWX_SHIFT).</summary>
        public const int RwxShift = 3;

        /// <summary>Bits 5:3.</summary>
        public const ulong RwxMask = 7UL << RwxShift;

        /// <summary>Bit 7: the guest-linear-address field is valid.</summary>
        public const ulong GvaIsValid = 1UL << 7;

        /// <summary>Bit 8: final translation (set) or guest paging-structure access (clear); meaningful with bit 7.</summary>
        public const ulong GvaTranslated = 1UL << 8;
    }

    /// <summary>
    /// SVM nested-page-fault exit information (APM Vol. 2 15.25.6): <c>EXITINFO1</c> is a #PF-style error code
    /// (P, W, U, RSVD, I/D) in bits 31:0 plus bit 32 when the fault happened on the final guest-physical address
    /// and bit 33 when it happened on a guest page-table access; <c>EXITINFO2</c> is the faulting guest-physical
    /// address. (KVM 6.12 sets bit 32 for every emulated NPF — its source leaves tracking the cause for later — while the post-chainsaw tree ORs
    /// the fault stage into the error code, as the hardware reports it. The model reports the hardware value.)
    /// </summary>
    public static class NestedPageFault
    {
        /// <summary>EXITINFO1 bit 32 (KVM PFERR_GUEST_FINAL_MASK).</summary>
        public const ulong GuestFinal = 1UL << 32;

        /// <summary>EXITINFO1 bit 33 (KVM PFERR_GUEST_PAGE_MASK).</summary>
        public const ulong GuestPage = 1UL << 33;
    }
}
