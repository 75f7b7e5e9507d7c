using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// The 2026 "chainsaw" organization (seeds 000-002, spec §7.2, §9): <c>struct kvm_mmu</c> split into walkers
    /// (<c>struct kvm_pagewalk</c>) and page-table builders. Two walkers per vCPU — the GVA walker (always the running
    /// guest's CR3 tables: L1's, or L2's translating every GPA through the other walker) and the walker of L1's EPT/NPT
    /// — and two MMUs, <c>root_mmu</c> (always shadows / serves the GVA walker) and <c>guest_mmu</c> (always shadows the
    /// EPT/NPT walker). <c>walk_mmu</c> and <c>nested_mmu</c> are gone; <c>arch.mmu</c> still points at one of the
    /// MMUs. v1 (RFC, May 2026) names the walkers <c>cpu_walk</c> / <c>tdp_walk</c>, v2 (June 2026) <c>gva_walk</c> /
    /// <c>ngpa_walk</c>; v2 also gives each walker and each MMU its own <c>kvm_page_format</c>.
    /// </summary>
    public sealed class ChainsawLayout : ContextLayout
    {
        private readonly Vm _vm;
        private readonly string _name;
        private readonly PageWalker _gvaWalk;
        private readonly PageWalker _tdpWalk;
        private readonly MmuContext _rootMmu;
        private readonly MmuContext _guestMmu;
        private readonly MmuContext[] _mmus;
        private readonly PageWalker[] _walkers;
        private MmuContext _mmu;

        /// <summary>Creates the v1 or v2 organization.</summary>
        /// <param name="vm">The VM.</param>
        /// <param name="version">1: cpu_walk / tdp_walk; 2: gva_walk / ngpa_walk.</param>
        public ChainsawLayout(Vm vm, int version)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(version, 2);
            _vm = vm;
            _name = version == 1 ? "chainsaw-v1" : "chainsaw-v2";
            _gvaWalk = new PageWalker(version == 1 ? "cpu_walk" : "gva_walk", vm);
            _tdpWalk = new PageWalker(version == 1 ? "tdp_walk" : "ngpa_walk", vm);
            _rootMmu = new MmuContext("root_mmu", _gvaWalk);
            _guestMmu = new MmuContext("guest_mmu", _tdpWalk);
            _mmus = [_rootMmu, _guestMmu];
            _walkers = [_gvaWalk, _tdpWalk];
            _mmu = _rootMmu;
            WalkPointer = _gvaWalk; // no walk pointer after the series: gva_to_gpa always walks with gva_walk
        }

        /// <inheritdoc/>
        public override string Name => _name;

        /// <inheritdoc/>
        public override MmuContext ActiveMmu => _mmu;

        /// <inheritdoc/>
        public override IReadOnlyList<MmuContext> Mmus => _mmus;

        /// <inheritdoc/>
        public override IReadOnlyList<PageWalker> Walkers => _walkers;

        /// <summary>Only <c>arch.mmu</c> is left: the GVA walker is fixed, <c>walk_mmu</c> is gone (seed 001).</summary>
        public override IReadOnlyList<Experiments.ContextPointerCard> Pointers => [new Experiments.ContextPointerCard("mmu", _mmu.Name)];

        /// <summary>Post-series <c>mmu_is_nested</c>: <c>arch.mmu == &amp;guest_mmu</c>.</summary>
        public bool MmuIsNested => ReferenceEquals(_mmu, _guestMmu);

        /// <inheritdoc/>
        public override void InitMmu(Vcpu vcpu)
        {
            // kvm_init_mmu (post): always init_kvm_page_walk(gva_walk, role of the current registers); root_mmu only
            // when not nested.
            CpuRole role = CpuRole.Compute(vcpu.Registers, vcpu.IsGuestMode);
            if (MmuIsNested)
            {
                _gvaWalk.ConfigureGuest(role);
            }
            else
            {
                LayoutKit.ConfigureGuestMmu(_vm, _gvaWalk, _rootMmu, role);
            }

            LoadRoots(vcpu);
        }

        /// <inheritdoc/>
        public override void AfterSetCpuid(Vcpu vcpu)
        {
            // kvm_mmu_after_set_cpuid (post): root_mmu, guest_mmu, ngpa_walk, gva_walk.
            InvalidateAllRoles();

            if (MmuIsNested)
            {
                LayoutKit.ConfigureTdpShadow(_vm, vcpu, _tdpWalk, _guestMmu);
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

            // mmu = &guest_mmu (w → ngpa_walk); the GVA walker stays the GVA walker but now walks L2's tables through
            // ngpa_walk (kvm_translate_gpa: "mmu_is_nested && w != ngpa_walk").
            Point(ref _mmu, _guestMmu);
            LayoutKit.ConfigureTdpShadow(_vm, vcpu, _tdpWalk, _guestMmu);
            _gvaWalk.TranslateThrough = _tdpWalk;
        }

        /// <inheritdoc/>
        public override void LeaveGuestMode(Vcpu vcpu)
        {
            Point(ref _mmu, _rootMmu);
            _gvaWalk.TranslateThrough = null;
        }

        /// <inheritdoc/>
        public override void LoadRoots(Vcpu vcpu)
        {
            LayoutKit.LoadCr3Root(_gvaWalk, vcpu);
            if (MmuIsNested && vcpu.Nested is { } nested)
            {
                LayoutKit.LoadTdpRoot(_tdpWalk, nested);
            }
        }
    }
}
