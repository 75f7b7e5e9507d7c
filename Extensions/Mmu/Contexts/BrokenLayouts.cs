using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// Deliberately broken organizations, shipped as examples of the refactor bugs the comparison exists to catch.
    /// Each is 6.12 with one step wrong.
    /// </summary>
    public static class BrokenLayouts
    {
        /// <summary>
        /// <c>broken-nested-wp</c>: the L2 GVA walker is "exempted" from the CR0.WP refresh, as a misreading of the
        /// comment "Exempt nested MMUs, i.e. MMUs for shadowing nEPT and nNPT, as CR0.WP is ignored in both cases"
        /// would do (the exemption is for guest_mmu; nested_mmu must honour L2's CR0.WP). After L2 flips CR0.WP alone,
        /// its walker keeps the old permission table.
        /// </summary>
        public sealed class StaleNestedWp : Kvm612Layout
        {
            /// <summary>Creates the layout.</summary>
            public StaleNestedWp(Vm vm)
                : base(vm)
            {
            }

            /// <inheritdoc/>
            public override string Name => "broken-nested-wp";

            /// <inheritdoc/>
            protected override void RefreshNestedWalker(Vcpu vcpu, PageWalker nestedWalker, CpuRole role)
            {
                // The bug: a role that differs only in the CR0.WP-derived bits is treated as unchanged.
                const uint WpBits = (1u << PageRole.Cr0WpShift) | (1u << PageRole.SmepAndNotWpShift) | (1u << PageRole.SmapAndNotWpShift);
                if (nestedWalker.CpuRole.Ext.Valid && (role.AsU64 & ~(ulong)WpBits) == (nestedWalker.CpuRole.AsU64 & ~(ulong)WpBits))
                {
                    return;
                }

                base.RefreshNestedWalker(vcpu, nestedWalker, role);
            }
        }

        /// <summary>
        /// <c>broken-cpuid-role</c>: <c>kvm_mmu_after_set_cpuid</c> without the invalidation of the cached roles, so a
        /// MAXPHYADDR change leaves every walker with the reserved-bit masks of the old MAXPHYADDR ("the cpu role did
        /// not change, nothing to do").
        /// </summary>
        public sealed class StaleCpuidRole : Kvm612Layout
        {
            /// <summary>Creates the layout.</summary>
            public StaleCpuidRole(Vm vm)
                : base(vm)
            {
            }

            /// <inheritdoc/>
            public override string Name => "broken-cpuid-role";

            /// <inheritdoc/>
            protected override void InvalidateRolesAfterCpuid(IReadOnlyList<MmuContext> mmus, IReadOnlyList<PageWalker> walkers)
            {
                // The bug: nothing is invalidated.
            }
        }
    }
}
