using Workbench.Mmu.Nested;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// The KVM initialisation steps every organization performs on its own objects (mmu.c): what an MMU for L1/L2
    /// looks like with TDP or shadow paging, and what the shadow of L1's EPT/NPT looks like. Layouts decide which
    /// objects these steps apply to and when; the steps themselves exist once.
    /// </summary>
    public static class LayoutKit
    {
        /// <summary>
        /// KVM <c>init_kvm_tdp_mmu</c> (L0 TDP) or <c>init_kvm_softmmu</c> → <c>kvm_init_shadow_mmu</c>: the walker walks
        /// the running guest's CR3 tables in <paramref name="role"/>, the MMU builds TDP or shadow tables.
        /// </summary>
        public static void ConfigureGuestMmu(Vm vm, PageWalker walker, MmuContext mmu, CpuRole role)
        {
            ArgumentNullException.ThrowIfNull(vm);
            ArgumentNullException.ThrowIfNull(walker);
            ArgumentNullException.ThrowIfNull(mmu);
            walker.ConfigureGuest(role);
            walker.PgdSource = GuestPgdSource.Cr3;
            walker.Delivery = FaultDelivery.PageFault;
            if (vm.Config.Tdp != TdpMode.None)
            {
                // page_fault = kvm_tdp_page_fault, sync_spte = NULL.
                mmu.Configure(RootRoles.Tdp(role, vm.Config.MaxPhyAddr), PageFaultHandler.Tdp, hasSyncSpte: false);
            }
            else
            {
                mmu.Configure(RootRoles.Shadow(role), RootRoles.ShadowHandler(role), hasSyncSpte: role.IsPaging);
            }
        }

        /// <summary>
        /// KVM <c>nested_ept_init_mmu_context</c> → <c>kvm_init_shadow_ept_mmu</c> (get_guest_pgd = EPTP12, inject =
        /// nested EPT exit) or <c>nested_svm_init_mmu_context</c> → <c>kvm_init_shadow_npt_mmu</c> (L1's CR4/EFER, CR0 =
        /// PG; get_guest_pgd = nCR3, inject = NPF): <paramref name="walker"/> walks L1's EPT/NPT tables and
        /// <paramref name="mmu"/> shadows them.
        /// </summary>
        public static void ConfigureTdpShadow(Vm vm, Vcpu vcpu, PageWalker walker, MmuContext mmu)
        {
            ArgumentNullException.ThrowIfNull(vm);
            ArgumentNullException.ThrowIfNull(vcpu);
            NestedGuest nested = vcpu.Nested ?? throw new InvalidOperationException("no nested guest");
            walker.TranslateThrough = null;
            if (nested.Kind == NestedKind.Vmx)
            {
                walker.ConfigureEpt(nested.Eptp, nested.Ept);
                mmu.Configure(walker.CpuRole.Base, PageFaultHandler.Ept, hasSyncSpte: true);
                walker.PgdSource = GuestPgdSource.Eptp;
                walker.Delivery = FaultDelivery.NestedEptExit;
            }
            else
            {
                CpuRole nptRole = RootRoles.NptWalker(vcpu.L1Registers);
                walker.ConfigureGuest(nptRole);
                mmu.Configure(RootRoles.ShadowNpt(nptRole, vm.Config.MaxPhyAddr), RootRoles.ShadowHandler(nptRole), hasSyncSpte: true);
                walker.PgdSource = GuestPgdSource.NestedCr3;
                walker.Delivery = FaultDelivery.NestedNpfExit;
            }

            LoadTdpRoot(walker, nested);
        }

        /// <summary>Loads EPTP12 / nCR3 into a walker of L1's EPT/NPT tables (SVM PAE NPT reads its PDPTEs from memory each time).</summary>
        public static void LoadTdpRoot(PageWalker walker, NestedGuest nested)
        {
            ArgumentNullException.ThrowIfNull(walker);
            ArgumentNullException.ThrowIfNull(nested);
            if (nested.Kind == NestedKind.Vmx)
            {
                walker.Load(nested.TdpRoot, ReadOnlySpan<ulong>.Empty, 0);
            }
            else
            {
                // nested_svm_get_tdp_pdptr: PAE NPT tables take their PDPTEs from memory at nCR3 on every use.
                walker.Load(nested.TdpRoot, ReadOnlySpan<ulong>.Empty, nested.TdpRoot, pdptrsFromMemory: true);
            }
        }

        /// <summary>Loads the running guest's CR3 and PDPTRs into a walker of CR3-rooted tables (<c>get_guest_cr3</c>, <c>kvm_pdptr_read</c>).</summary>
        public static void LoadCr3Root(PageWalker walker, Vcpu vcpu)
        {
            ArgumentNullException.ThrowIfNull(walker);
            ArgumentNullException.ThrowIfNull(vcpu);
            walker.Load(vcpu.Registers.Cr3, vcpu.Pdptrs, vcpu.PdptBase);
        }
    }
}
