namespace Workbench.Mmu.Arch
{
    /// <summary>
    /// Page-fault error code bits (SDM Vol. 3A 4.7) plus KVM's synthetic bits above 31
    /// (KVM kvm_host.h PFERR_*_MASK).
    /// <code>
    ///  48       33         32        15   6  5  4    3    2 1 0
    /// IMPLICIT GUEST_PAGE GUEST_FINAL SGX SS PK I/D RSVD U W P
    /// </code>
    /// </summary>
    [Flags]
    public enum PfErr : ulong
    {
        /// <summary>No bits.</summary>
        None = 0,
        /// <summary>P: 0 = not-present page, 1 = protection violation.</summary>
        Present = 1UL << 0,
        /// <summary>W/R: the access was a write.</summary>
        Write = 1UL << 1,
        /// <summary>U/S: the access was a user-mode access.</summary>
        User = 1UL << 2,
        /// <summary>RSVD: a reserved bit was set in a paging-structure entry.</summary>
        Rsvd = 1UL << 3,
        /// <summary>I/D: the access was an instruction fetch (reported only with EFER.NXE or CR4.SMEP).</summary>
        Fetch = 1UL << 4,
        /// <summary>PK: protection-key violation.</summary>
        PK = 1UL << 5,
        /// <summary>SS: shadow-stack access.</summary>
        SS = 1UL << 6,
        /// <summary>SGX: SGX-specific access-control violation.</summary>
        Sgx = 1UL << 15,
        /// <summary>KVM: fault on the final GPA of a nested (2-D) walk.</summary>
        GuestFinal = 1UL << 32,
        /// <summary>KVM: fault while translating a guest page-table GPA in a nested (2-D) walk.</summary>
        GuestPage = 1UL << 33,
        /// <summary>KVM: implicit supervisor access (descriptor tables etc.), ignores CPL and RFLAGS.AC.</summary>
        ImplicitAccess = 1UL << 48,

        /// <summary>
        /// Model-synthetic (bit 50, outside every real error code): the final translation of a nested walk is for a
        /// user-mode linear address (U/S = 1 on every level of the guest walk). EPT with mode-based execute control
        /// checks XU (bit 10) instead of X for such fetches (SDM 29.3.3.2; post-chainsaw KVM passes the guest walk's
        /// pte_access to kvm_translate_gpa for this).
        /// </summary>
        UserLinearAddress = 1UL << 50,
    }

    /// <summary>
    /// Accumulated page access rights, KVM 6.12 layout (KVM mmu.h ACC_EXEC_MASK, ACC_WRITE_MASK, ACC_USER_MASK).
    /// <code>
    ///  2    1     0
    /// USER WRITE EXEC
    /// </code>
    /// </summary>
    [Flags]
    public enum Acc : byte
    {
        /// <summary>No access.</summary>
        None = 0,
        /// <summary>Execute allowed (NX clear).</summary>
        Exec = 1,
        /// <summary>Write allowed (R/W set).</summary>
        Write = 2,
        /// <summary>User access allowed (U/S set).</summary>
        User = 4,
        /// <summary>All rights.</summary>
        All = Exec | Write | User,
    }

    /// <summary>
    /// The raw architectural register state that drives the MMU: KVM computes every role from these
    /// (KVM mmu.c kvm_calc_cpu_role reads CR0, CR4, EFER; permission_fault reads RFLAGS.AC and PKRU).
    /// </summary>
    /// <param name="Cr0">CR0.</param>
    /// <param name="Cr3">CR3 (page-table root; PCID in bits 11:0 when CR4.PCIDE).</param>
    /// <param name="Cr4">CR4.</param>
    /// <param name="Efer">IA32_EFER.</param>
    /// <param name="Rflags">RFLAGS (AC matters for SMAP).</param>
    /// <param name="Pkru">PKRU (two bits per key: AD, WD).</param>
    public readonly record struct CpuRegisters(ulong Cr0, ulong Cr3, ulong Cr4, ulong Efer, ulong Rflags, uint Pkru);
}
