using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// KVM's root-role rules (spec 3.4), shared by every structure variant: the role of the root page an MMU builds,
    /// computed from the CPU role it serves.
    /// </summary>
    public static class RootRoles
    {
        /// <summary>
        /// KVM <c>kvm_mmu_get_tdp_level</c> with a host that supports 5-level TDP: "Use 5-level TDP if and only if it's
        /// useful/necessary", i.e. 4 levels when the guest MAXPHYADDR is at most 48, else 5.
        /// </summary>
        public static int TdpLevel(int guestMaxPhyAddr) => guestMaxPhyAddr <= 48 ? 4 : 5;

        /// <summary>
        /// KVM <c>kvm_calc_tdp_mmu_root_page_role</c>: direct, ACC_ALL, cr0_wp and efer_nx set, smm and guest_mode from
        /// the CPU role, A/D enabled (the modelled host has EPT A/D), level = <see cref="TdpLevel"/>.
        /// </summary>
        public static PageRole Tdp(CpuRole cpuRole, int guestMaxPhyAddr) => new PageRole(0)
            .WithAccess(Acc.All)
            .WithCr0Wp(true)
            .WithEferNx(true)
            .WithSmm(cpuRole.Base.Smm)
            .WithGuestMode(cpuRole.Base.GuestMode)
            .WithLevel(TdpLevel(guestMaxPhyAddr))
            .WithDirect(true);

        /// <summary>
        /// KVM <c>kvm_init_shadow_mmu</c>: the CPU role's base with level at least 3 ("KVM uses PAE paging whenever the
        /// guest isn't using 64-bit paging") and efer_nx forced to 1 (KVM uses NX for the CR0.WP=0 / SMEP trick and
        /// the NX-hugepage mitigation). With paging off the base is already direct.
        /// </summary>
        public static PageRole Shadow(CpuRole cpuRole) => cpuRole.Base
            .WithLevel(Math.Max(cpuRole.Base.Level, 3))
            .WithEferNx(true);

        /// <summary>
        /// KVM <c>kvm_init_shadow_npt_mmu</c>: the NPT walker's CPU role base with level = the host TDP level, and
        /// <c>passthrough</c> when a 5-level host root wraps L1's 4-level NPT.
        /// </summary>
        public static PageRole ShadowNpt(CpuRole nptRole, int guestMaxPhyAddr)
        {
            int level = TdpLevel(guestMaxPhyAddr);
            return nptRole.Base
                .WithLevel(level)
                .WithPassthrough(level == 5 && nptRole.Base.Level == 4);
        }

        /// <summary>
        /// KVM <c>svm nested_svm_init_mmu_context</c> → <c>kvm_init_shadow_npt_mmu(vcpu, X86_CR0_PG, vmcb01 CR4,
        /// vmcb01 EFER)</c>: the paging mode of L1's NPT tables is L1's own, with CR0 = PG only (WP clear in 6.12) and
        /// CR4.PKE masked out; guest_mode = 1.
        /// </summary>
        public static CpuRole NptWalker(in CpuRegisters l1)
        {
            var regs = new CpuRegisters(Cr0.PG, 0, l1.Cr4 & ~Cr4.PKE, l1.Efer, Rflags.Fixed1, 0);
            return CpuRole.Compute(regs, guestMode: true);
        }

        /// <summary>KVM <c>nonpaging/paging32/paging64_init_context</c>: the fault handler of a shadow MMU for a role.</summary>
        public static PageFaultHandler ShadowHandler(CpuRole cpuRole) =>
            !cpuRole.IsPaging ? PageFaultHandler.NonPaging : cpuRole.IsPae ? PageFaultHandler.Paging64 : PageFaultHandler.Paging32;
    }
}
