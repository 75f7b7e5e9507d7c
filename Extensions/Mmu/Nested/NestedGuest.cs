using System.Numerics;
using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Nested
{
    /// <summary>Which hardware virtualization L1 uses to run L2.</summary>
    public enum NestedKind
    {
        /// <summary>Intel VMX: nested EPT, EPT violations and misconfigurations.</summary>
        Vmx = 0,

        /// <summary>AMD SVM: nested NPT, NPF exits.</summary>
        Svm = 1,
    }

    /// <summary>
    /// The EPT capabilities L0 reports to L1 (IA32_VMX_EPT_VPID_CAP as KVM's <c>nested_vmx_setup_ctls_msrs</c> fills
    /// it): execute-only entries (bit 0), accessed/dirty flags (bit 21), 2 MiB and 1 GiB leaves (bits 16/17),
    /// mode-based execute control (MBEC).
    /// </summary>
    /// <param name="AccessedDirty">EPT A/D flags supported: an EPTP may set bit 6 (KVM VMX_EPT_AD_BIT).</param>
    /// <param name="ExecuteOnly">Execute-only entries allowed (KVM VMX_EPT_EXECUTE_ONLY_BIT); otherwise XWR=100 is a misconfiguration.</param>
    /// <param name="Mbec">Mode-based execute control for EPT, supported and enabled by L1 for L2 (SDM 29.3.2): bit 2 of an
    /// EPT entry allows execution from supervisor-mode linear addresses, bit 10 (XU) from user-mode ones. KVM 6.12 does
    /// not expose it to L1; the post-chainsaw tree does (spec §9.3). The model applies it under every variant.</param>
    /// <param name="HugeLevel">Largest EPT leaf: 1 = 4 KiB only, 2 = 2 MiB, 3 = 1 GiB (KVM <c>ept_caps_to_lpage_level</c>).</param>
    public sealed record EptCapabilities(bool AccessedDirty = true, bool ExecuteOnly = true, bool Mbec = false, int HugeLevel = 3);

    /// <summary>
    /// An EPT pointer (SDM Vol. 3C 25.6.11; KVM asm/vmx.h VMX_EPTP_*).
    /// <code>
    ///  63   M M-1          12 11   7  6    5   3 2    0
    /// +-------+--------------+------+---+-------+------+
    /// | rsvd  | PML4/PML5    | rsvd |A/D| PWL-1 |  MT  |
    /// +-------+--------------+------+---+-------+------+
    /// </code>
    /// MT: 0 (UC) or 6 (WB); PWL-1: 3 (4 levels) or 4 (5 levels); A/D: accessed/dirty flags enabled.
    /// </summary>
    /// <param name="Raw">The raw EPTP.</param>
    public readonly record struct EptPointer(ulong Raw)
    {
        /// <summary>Page-walk length minus one, bits 5:3.</summary>
        public int WalkLengthMinusOne => (int)(Raw >> 3) & 7;

        /// <summary>Levels of the EPT hierarchy (4 or 5).</summary>
        public int Levels => WalkLengthMinusOne + 1;

        /// <summary>Memory type of the paging structures, bits 2:0.</summary>
        public int MemoryType => (int)(Raw & 7);

        /// <summary>Bit 6: EPT accessed/dirty flags enabled.</summary>
        public bool AccessedDirtyEnabled => (Raw & (1UL << 6)) != 0;

        /// <summary>Address of the top-level table (bits 51:12).</summary>
        public ulong Root => Raw & 0x000F_FFFF_FFFF_F000UL;

        /// <summary>
        /// KVM <c>nested_vmx_check_eptp</c>: memory type UC or WB, 4- or 5-level walk, bits 11:7 clear, no bit at or
        /// above MAXPHYADDR, A/D only when supported. Returns null or the reason (without the field name).
        /// </summary>
        public string? Check(int maxPhyAddr, EptCapabilities capabilities)
        {
            if (MemoryType is not (0 or 6))
            {
                return $"memory type {MemoryType} (bits 2:0) is neither UC (0) nor WB (6)";
            }

            if (WalkLengthMinusOne is not (3 or 4))
            {
                return $"page-walk length {WalkLengthMinusOne + 1} (bits 5:3 = {WalkLengthMinusOne}) is neither 4 nor 5 levels";
            }

            if (((Raw >> 7) & 0x1F) != 0)
            {
                return $"reserved bits 11:7 set (0x{Raw & 0xF80:x})";
            }

            ulong illegal = Raw >> maxPhyAddr;
            if (illegal != 0)
            {
                return $"bit {maxPhyAddr + BitOperations.TrailingZeroCount(illegal)} set at or above MAXPHYADDR ({maxPhyAddr})";
            }

            if (AccessedDirtyEnabled && !capabilities.AccessedDirty)
            {
                return "A/D enable (bit 6) set but the EPT capabilities have no accessed/dirty flags (nested.ept.ad is false)";
            }

            return null;
        }
    }

    /// <summary>
    /// L2 as L1 configured it (the part of VMCS12 / VMCB12 the MMU reads): how L1 virtualizes L2's memory and L2's
    /// register state at VM entry.
    /// </summary>
    /// <param name="Kind">VMX or SVM.</param>
    /// <param name="L1Tdp">L1 gives L2 nested EPT/NPT (L1's tables translate L2 GPAs); otherwise L1 shadows L2's
    /// page tables and L2 GPAs are L1 GPAs.</param>
    /// <param name="TdpRoot">EPTP12 (VMX) or nCR3 (SVM) when <paramref name="L1Tdp"/>; 0 otherwise.</param>
    /// <param name="Ept">EPT capabilities L1 sees (VMX only).</param>
    /// <param name="Registers">L2's CR0, CR3, CR4, EFER, RFLAGS, PKRU at VM entry.</param>
    public sealed record NestedGuest(NestedKind Kind, bool L1Tdp, ulong TdpRoot, EptCapabilities Ept, CpuRegisters Registers)
    {
        /// <summary>EPTP12 (VMX with nested EPT).</summary>
        public EptPointer Eptp => new EptPointer(TdpRoot);

        /// <summary>
        /// Checks what VM entry checks before any register is loaded, against L1's state and the VM. Returns null, or
        /// an error naming the experiment field (<c>nested.eptp: …</c>).
        /// </summary>
        /// <param name="vm">The VM configuration (vendor, host TDP mode, MAXPHYADDR).</param>
        /// <param name="l1">L1's registers (VMXON needs CR4.VMXE, VMRUN needs EFER.SVME).</param>
        public string? Check(VmConfig vm, in CpuRegisters l1)
        {
            ArgumentNullException.ThrowIfNull(vm);
            if (Kind == NestedKind.Vmx && vm.Vendor != Vendor.Intel)
            {
                return "nested.kind: vmx needs vendor intel (AMD CPUs have SVM)";
            }

            if (Kind == NestedKind.Svm && vm.Vendor != Vendor.Amd)
            {
                return "nested.kind: svm needs vendor amd (Intel CPUs have VMX)";
            }

            if (Kind == NestedKind.Vmx && (l1.Cr4 & Arch.Cr4.VMXE) == 0)
            {
                return "nested.kind: vmx needs L1's CR4.VMXE (bit 13) set in vcpu.cr4: VMXON raises #UD without it";
            }

            if (Kind == NestedKind.Svm && (l1.Efer & Arch.Efer.SVME) == 0)
            {
                return "nested.kind: svm needs L1's EFER.SVME (bit 12) set in vcpu.efer: VMRUN raises #UD without it";
            }

            if (L1Tdp && vm.Tdp == TdpMode.None)
            {
                // KVM offers nested EPT/NPT only when L0 itself uses TDP (nested_vmx_setup_ctls_msrs: enable_ept; svm: npt_enabled).
                return "nested.l1_tdp: nested EPT/NPT needs L0 to use TDP (vm.tdp ept or npt), not shadow paging";
            }

            if (Kind == NestedKind.Svm && Ept != new EptCapabilities())
            {
                return "nested.ept: EPT capabilities apply to vmx only";
            }

            if (Ept.HugeLevel is < 1 or > 3)
            {
                return $"nested.ept: huge level {Ept.HugeLevel} is outside 1..3";
            }

            if (!L1Tdp)
            {
                return TdpRoot != 0
                    ? $"nested.{(Kind == NestedKind.Vmx ? "eptp" : "ncr3")}: given but l1_tdp is false (L1 shadows L2's page tables)"
                    : null;
            }

            if (Kind == NestedKind.Vmx)
            {
                return Eptp.Check(vm.MaxPhyAddr, Ept) is { } problem ? "nested.eptp: " + problem : null;
            }

            // KVM nested_vmcb_check_controls: nCR3 must be a legal GPA.
            ulong illegal = TdpRoot >> vm.MaxPhyAddr;
            return illegal != 0
                ? $"nested.ncr3: bit {vm.MaxPhyAddr + BitOperations.TrailingZeroCount(illegal)} set at or above MAXPHYADDR ({vm.MaxPhyAddr})"
                : null;
        }
    }
}
