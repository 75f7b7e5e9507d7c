using Workbench.Mmu.Nested;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// The 2010 organization of Joerg Roedel's nested-paging series (seed 004, KVM 2.6.36): one
    /// <c>struct kvm_mmu mmu</c> — L1's paging state, and while L2 runs with nested paging the shadow of L1's NPT
    /// (re-initialised on every nested entry and exit) — plus <c>nested_mmu</c> for L2's paging mode, and a
    /// <c>walk_mmu</c> pointer. "The gva_to_gpa functions are exchanged between mmu and nested_mmu":
    /// <c>nested_mmu.gva_to_gpa</c> walks L2's tables and translates every GPA through <c>mmu</c>, which then walks L1's
    /// NPT. (2010 had nested NPT only; nested EPT is organized the same way here so the variant runs everywhere.)
    /// </summary>
    public sealed class Kvm2010Layout : ContextLayout
    {
        private readonly Vm _vm;
        private readonly PageWalker _walk;
        private readonly PageWalker _nestedWalk;
        private readonly MmuContext _mmu;
        private readonly MmuContext _nestedMmu;
        private readonly MmuContext[] _mmus;
        private readonly PageWalker[] _walkers;

        /// <summary>Creates the objects; <c>walk_mmu</c> designates <c>mmu</c>.</summary>
        public Kvm2010Layout(Vm vm)
        {
            _vm = vm;
            _walk = new PageWalker("mmu", vm);
            _nestedWalk = new PageWalker("nested_mmu", vm) { TranslateThrough = _walk };
            _mmu = new MmuContext("mmu", _walk);
            _nestedMmu = new MmuContext("nested_mmu", _nestedWalk);
            _mmus = [_mmu, _nestedMmu];
            _walkers = [_walk, _nestedWalk];
            WalkPointer = _walk; // walk_mmu
        }

        /// <summary>In 2010 <c>arch.mmu</c> is the object itself, not a pointer; <c>walk_mmu</c> is the one pointer.</summary>
        public override IReadOnlyList<Experiments.ContextPointerCard> Pointers => [new Experiments.ContextPointerCard("walk_mmu", ActiveWalker.Name)];

        /// <inheritdoc/>
        public override string Name => "2010";

        /// <inheritdoc/>
        public override MmuContext ActiveMmu => _mmu;

        /// <inheritdoc/>
        public override IReadOnlyList<MmuContext> Mmus => _mmus;

        /// <inheritdoc/>
        public override IReadOnlyList<PageWalker> Walkers => _walkers;

        private bool MmuIsNested => ReferenceEquals(WalkPointer, _nestedWalk);

        /// <inheritdoc/>
        public override void InitMmu(Vcpu vcpu)
        {
            CpuRole role = CpuRole.Compute(vcpu.Registers, vcpu.IsGuestMode);
            if (MmuIsNested)
            {
                _nestedWalk.ConfigureGuest(role);
            }
            else
            {
                LayoutKit.ConfigureGuestMmu(_vm, _walk, _mmu, role);
            }

            LoadRoots(vcpu);
        }

        /// <inheritdoc/>
        public override void AfterSetCpuid(Vcpu vcpu)
        {
            InvalidateAllRoles();

            if (MmuIsNested)
            {
                LayoutKit.ConfigureTdpShadow(_vm, vcpu, _walk, _mmu);
            }

            InitMmu(vcpu);
        }

        /// <inheritdoc/>
        public override void EnterGuestMode(Vcpu vcpu)
        {
            if (vcpu.Nested is not { L1Tdp: true })
            {
                return;
            }

            // nested_svm_init_mmu_context (2010): kvm_init_shadow_mmu on arch.mmu with L1's state, then get_cr3 =
            // nested_svm_get_tdp_cr3, inject_page_fault = nested_svm_inject_npf_exit; walk_mmu = &nested_mmu. The one
            // MMU object now describes L1's NPT; L1's own paging state is gone until the exit re-initialises it.
            LayoutKit.ConfigureTdpShadow(_vm, vcpu, _walk, _mmu);
            Point(ref WalkPointer, _nestedWalk);
        }

        /// <inheritdoc/>
        public override void LeaveGuestMode(Vcpu vcpu)
        {
            // nested_svm_uninit_mmu_context: walk_mmu = &mmu; kvm_mmu_reset_context re-initialises mmu for L1 (InitMmu,
            // after L1's registers are back).
            Point(ref WalkPointer, _walk);
        }

        /// <inheritdoc/>
        public override void LoadRoots(Vcpu vcpu)
        {
            if (MmuIsNested && vcpu.Nested is { } nested)
            {
                LayoutKit.LoadCr3Root(_nestedWalk, vcpu);
                LayoutKit.LoadTdpRoot(_walk, nested);
                return;
            }

            LayoutKit.LoadCr3Root(_walk, vcpu);
        }
    }
}
