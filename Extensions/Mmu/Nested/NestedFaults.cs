using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Nested
{
    /// <summary>Turns a failed EPT/NPT walk into what L1 sees (the outer walker's <c>inject_page_fault</c>).</summary>
    public static class NestedFaults
    {
        /// <summary>
        /// Delivers <paramref name="inner"/>, a failed walk of L1's EPT/NPT tables for an L2 GPA, as
        /// <paramref name="delivery"/> says.
        /// </summary>
        /// <param name="delivery">The walker's <c>inject_page_fault</c>.</param>
        /// <param name="inner">The failed walk: error code, L2 GPA, level, and for EPT the synthesized qualification.</param>
        /// <param name="access">The request it was walked for (with GUEST_PAGE or GUEST_FINAL).</param>
        /// <param name="gva">The L2 linear address being translated.</param>
        public static WalkResult Deliver(FaultDelivery delivery, in WalkResult inner, ulong access, ulong gva)
        {
            switch (delivery)
            {
                case FaultDelivery.NestedEptExit:
                    // KVM nested_ept_inject_page_fault: RSVD in the error code → EPT misconfiguration with
                    // qualification 0; otherwise an EPT violation with the walker's qualification (for a synthesized
                    // fault GVA_IS_VALID / GVA_TRANSLATED come from the synthesized value too);
                    // vmcs12->guest_physical_address = fault->address.
                    if ((inner.ErrorCode & PfErr.Rsvd) != 0)
                    {
                        return WalkResult.VmExit(ExitReason.EptMisconfig, inner.ErrorCode, 0, inner.FaultAddress, gva, inner.Level);
                    }

                    return WalkResult.VmExit(ExitReason.EptViolation, inner.ErrorCode, inner.ExitInfo, inner.FaultAddress, gva, inner.Level);

                case FaultDelivery.NestedNpfExit:
                {
                    // APM 15.25.6: EXITINFO1 = the #PF-style error code in bits 31:0, bit 32 for a fault on the final
                    // GPA, bit 33 for a fault on a guest page-table access; EXITINFO2 = the L2 GPA.
                    ulong stage = access & (NestedPageFault.GuestFinal | NestedPageFault.GuestPage);
                    ulong exitInfo1 = ((ulong)inner.ErrorCode & 0xFFFF_FFFFUL) | stage;
                    return WalkResult.VmExit(ExitReason.Npf, (PfErr)exitInfo1, exitInfo1, inner.FaultAddress, gva, inner.Level);
                }

                default:
                    return inner;
            }
        }
    }
}
