using Workbench.Mmu.Nested;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// KVM 6.12's organization (spec 7.1; arch/x86/include/asm/kvm_host.h, mmu/mmu.c, vmx/nested.c, svm/nested.c):
    /// three <c>struct kvm_mmu</c> — <c>root_mmu</c> (L1's MMU, TDP or shadow; also L2's when L1 gives it no nested
    /// TDP), <c>guest_mmu</c> (shadows L1's EPT/NPT for L2), <c>nested_mmu</c> (walk-only: L2's tables, every GPA
    /// translated through <c>guest_mmu</c>) — and two pointers: <c>arch.mmu</c> (faults, loaded root) and
    /// <c>walk_mmu</c> (gva_to_gpa). <c>mmu_is_nested</c> ⇔ <c>walk_mmu == &amp;nested_mmu</c>.
    /// </summary>
    public sealed class Kvm612Layout : ContextLayout
    {
        private readonly Vm _vm;
        private readonly PageWalker _rootWalk;
        private readonly PageWalker _guestWalk;
        private readonly PageWalker _nestedWalk;
        private readonly MmuContext _rootMmu;
        private readonly MmuContext _guestMmu;
        private readonly MmuContext _nestedMmu;
        private readonly MmuContext[] _mmus;
        private readonly PageWalker[] _walkers;
        private MmuContext _mmu;
        private PageWalker _walkMmu;

        /// <summary>KVM <c>kvm_mmu_create</c>: both pointers designate <c>root_mmu</c>.</summary>
        public Kvm612Layout(Vm vm)
        {
            _vm = vm;
            _rootWalk = new PageWalker("root_mmu", vm);
            _guestWalk = new PageWalker("guest_mmu", vm);
            _nestedWalk = new PageWalker("nested_mmu", vm)
            {
                // kvm_translate_gpa: "if (mmu != &vcpu->arch.nested_mmu) return gpa" — only nested_mmu translates,
                // through arch.mmu, which is guest_mmu whenever nested_mmu is in use.
                TranslateThrough = _guestWalk,
            };
            _rootMmu = new MmuContext("root_mmu", _rootWalk);
            _guestMmu = new MmuContext("guest_mmu", _guestWalk);
            _nestedMmu = new MmuContext("nested_mmu", _nestedWalk);
            _mmus = [_rootMmu, _guestMmu, _nestedMmu];
            _walkers = [_rootWalk, _guestWalk, _nestedWalk];
            _mmu = _rootMmu;
            _walkMmu = _rootWalk;
        }

        /// <inheritdoc/>
        public override string Name => ContextLayouts.Default;

        /// <inheritdoc/>
        public override MmuContext ActiveMmu => _mmu;

        /// <inheritdoc/>
        public override PageWalker ActiveWalker => _walkMmu;

        /// <inheritdoc/>
        public override IReadOnlyList<MmuContext> Mmus => _mmus;

        /// <inheritdoc/>
        public override IReadOnlyList<PageWalker> Walkers => _walkers;

        /// <summary>KVM <c>mmu_is_nested</c>.</summary>
        public bool MmuIsNested => ReferenceEquals(_walkMmu, _nestedWalk);

        /// <inheritdoc/>
        public override void InitMmu(Vcpu vcpu)
        {
            CpuRole role = CpuRole.Compute(vcpu.Registers, vcpu.IsGuestMode);
            if (MmuIsNested)
            {
                // init_kvm_nested_mmu: only nested_mmu is refreshed; guest_mmu was set up by the nested entry.
                _nestedWalk.ConfigureGuest(role);
            }
            else if (_vm.Config.Tdp != TdpMode.None)
            {
                // init_kvm_tdp_mmu: page_fault = kvm_tdp_page_fault, sync_spte = NULL, gva_to_gpa by guest mode.
                _rootWalk.ConfigureGuest(role);
                _rootMmu.Configure(RootRoles.Tdp(role, _vm.Config.MaxPhyAddr), PageFaultHandler.Tdp, hasSyncSpte: false);
            }
            else
            {
                // init_kvm_softmmu → kvm_init_shadow_mmu → shadow_mmu_init_context.
                _rootWalk.ConfigureGuest(role);
                _rootMmu.Configure(RootRoles.Shadow(role), RootRoles.ShadowHandler(role), hasSyncSpte: role.IsPaging);
            }

            LoadRoots(vcpu);
        }

        /// <inheritdoc/>
        public override void AfterSetCpuid(Vcpu vcpu)
        {
            // kvm_mmu_after_set_cpuid: root_role.invalid = 1 and cpu_role.ext.valid = 0 in all three, then
            // kvm_mmu_reset_context.
            foreach (MmuContext mmu in _mmus)
            {
                mmu.InvalidateRootRole();
            }

            foreach (PageWalker walker in _walkers)
            {
                walker.InvalidateRole();
            }

            if (MmuIsNested)
            {
                ConfigureGuestMmu(vcpu);
            }

            InitMmu(vcpu);
        }

        /// <inheritdoc/>
        public override void EnterGuestMode(Vcpu vcpu)
        {
            NestedGuest nested = vcpu.Nested ?? throw new InvalidOperationException("no nested guest to enter");
            if (!nested.L1Tdp)
            {
                // Without nested EPT/NPT nothing is switched: root_mmu serves L2 with role.guest_mode = 1
                // (kvm_init_mmu after the L2 registers are loaded).
                return;
            }

            // nested_ept_init_mmu_context / nested_svm_init_mmu_context.
            Point(ref _mmu, _guestMmu);
            ConfigureGuestMmu(vcpu);
            Point(ref _walkMmu, _nestedWalk);
        }

        /// <inheritdoc/>
        public override void LeaveGuestMode(Vcpu vcpu)
        {
            // nested_{ept,svm}_uninit_mmu_context: mmu = walk_mmu = &root_mmu.
            Point(ref _mmu, _rootMmu);
            Point(ref _walkMmu, _rootWalk);
        }

        /// <inheritdoc/>
        public override void LoadRoots(Vcpu vcpu)
        {
            // get_guest_pgd = get_guest_cr3 and get_pdptr = kvm_pdptr_read for root_mmu and nested_mmu: the running
            // guest's CR3 and PDPTRs. root_mmu keeps L1's values while L2 runs under nested_mmu (it is idle).
            _walkMmu.Load(vcpu.Registers.Cr3, vcpu.Pdptrs, vcpu.PdptBase);
            if (MmuIsNested && vcpu.Nested is { } nested)
            {
                LoadGuestMmuRoot(nested);
            }
        }

        private void ConfigureGuestMmu(Vcpu vcpu)
        {
            NestedGuest nested = vcpu.Nested!;
            if (nested.Kind == NestedKind.Vmx)
            {
                // kvm_init_shadow_ept_mmu(execonly, huge level, A/D, EPTP); get_guest_pgd = nested_ept_get_eptp;
                // inject_page_fault = nested_ept_inject_page_fault.
                _guestWalk.ConfigureEpt(nested.Eptp, nested.Ept);
                _guestMmu.Configure(_guestWalk.CpuRole.Base, PageFaultHandler.Ept, hasSyncSpte: true);
                _guestWalk.PgdSource = GuestPgdSource.Eptp;
                _guestWalk.Delivery = FaultDelivery.NestedEptExit;
            }
            else
            {
                // kvm_init_shadow_npt_mmu(X86_CR0_PG, vmcb01 CR4, vmcb01 EFER, nCR3); get_guest_pgd =
                // nested_svm_get_tdp_cr3, get_pdptr = nested_svm_get_tdp_pdptr, inject = nested_svm_inject_npf_exit.
                CpuRole nptRole = RootRoles.NptWalker(vcpu.L1Registers);
                _guestWalk.ConfigureGuest(nptRole);
                _guestMmu.Configure(RootRoles.ShadowNpt(nptRole, _vm.Config.MaxPhyAddr), RootRoles.ShadowHandler(nptRole), hasSyncSpte: true);
                _guestWalk.PgdSource = GuestPgdSource.NestedCr3;
                _guestWalk.Delivery = FaultDelivery.NestedNpfExit;
            }

            LoadGuestMmuRoot(nested);
        }

        private void LoadGuestMmuRoot(NestedGuest nested)
        {
            if (nested.Kind == NestedKind.Vmx)
            {
                _guestWalk.Load(nested.TdpRoot, ReadOnlySpan<ulong>.Empty, 0);
                return;
            }

            // nested_svm_get_tdp_pdptr: PAE NPT tables take their PDPTEs from memory at nCR3 on every use.
            _guestWalk.Load(nested.TdpRoot, ReadOnlySpan<ulong>.Empty, nested.TdpRoot, pdptrsFromMemory: true);
        }
    }
}
