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
    public class Kvm612Layout : ContextLayout
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
            WalkPointer = _rootWalk; // walk_mmu
        }

        /// <inheritdoc/>
        public override string Name => ContextLayouts.Default;

        /// <inheritdoc/>
        public override MmuContext ActiveMmu => _mmu;

        /// <inheritdoc/>
        public override IReadOnlyList<MmuContext> Mmus => _mmus;

        /// <inheritdoc/>
        public override IReadOnlyList<PageWalker> Walkers => _walkers;

        /// <summary>KVM <c>mmu_is_nested</c>.</summary>
        public bool MmuIsNested => ReferenceEquals(WalkPointer, _nestedWalk);

        /// <inheritdoc/>
        public override void InitMmu(Vcpu vcpu)
        {
            CpuRole role = CpuRole.Compute(vcpu.Registers, vcpu.IsGuestMode);
            if (MmuIsNested)
            {
                // init_kvm_nested_mmu: only nested_mmu is refreshed; guest_mmu was set up by the nested entry.
                RefreshNestedWalker(vcpu, _nestedWalk, role);
            }
            else
            {
                // init_kvm_tdp_mmu / init_kvm_softmmu: root_mmu serves L1, and L2 when L1 gives it no nested TDP.
                LayoutKit.ConfigureGuestMmu(_vm, _rootWalk, _rootMmu, role);
            }

            LoadRoots(vcpu);
        }

        /// <summary>
        /// <c>init_kvm_nested_mmu</c> on L2's walker: rebuilt whenever L2's role changes. A variant that gets this wrong
        /// (<see cref="BrokenLayouts"/>) overrides it.
        /// </summary>
        protected virtual void RefreshNestedWalker(Vcpu vcpu, PageWalker nestedWalker, CpuRole role)
        {
            nestedWalker.ConfigureGuest(role);
        }

        /// <inheritdoc/>
        public override void AfterSetCpuid(Vcpu vcpu)
        {
            // kvm_mmu_after_set_cpuid: root_role.invalid = 1 and cpu_role.ext.valid = 0 in all three, then
            // kvm_mmu_reset_context.
            InvalidateRolesAfterCpuid(_mmus, _walkers);
            if (MmuIsNested)
            {
                LayoutKit.ConfigureTdpShadow(_vm, vcpu, _guestWalk, _guestMmu);
            }

            InitMmu(vcpu);
        }

        /// <summary>
        /// The invalidation step of <c>kvm_mmu_after_set_cpuid</c>; a variant that forgets it
        /// (<see cref="BrokenLayouts"/>) keeps formats built for the old MAXPHYADDR.
        /// </summary>
        protected virtual void InvalidateRolesAfterCpuid(IReadOnlyList<MmuContext> mmus, IReadOnlyList<PageWalker> walkers)
        {
            InvalidateAllRoles();
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
            LayoutKit.ConfigureTdpShadow(_vm, vcpu, _guestWalk, _guestMmu);
            Point(ref WalkPointer, _nestedWalk);
        }

        /// <inheritdoc/>
        public override void LeaveGuestMode(Vcpu vcpu)
        {
            // nested_{ept,svm}_uninit_mmu_context: mmu = walk_mmu = &root_mmu.
            Point(ref _mmu, _rootMmu);
            Point(ref WalkPointer, _rootWalk);
        }

        /// <inheritdoc/>
        public override void LoadRoots(Vcpu vcpu)
        {
            // get_guest_pgd = get_guest_cr3 and get_pdptr = kvm_pdptr_read for root_mmu and nested_mmu: the running
            // guest's CR3 and PDPTRs. root_mmu keeps L1's values while L2 runs under nested_mmu (it is idle).
            ActiveWalker.Load(vcpu.Registers.Cr3, vcpu.Pdptrs, vcpu.PdptBase);
            if (MmuIsNested && vcpu.Nested is { } nested)
            {
                LayoutKit.LoadTdpRoot(_guestWalk, nested);
            }
        }
    }
}
