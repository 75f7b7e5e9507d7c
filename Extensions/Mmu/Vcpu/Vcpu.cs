using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu
{
    /// <summary>
    /// A modelled vCPU. Raw architectural registers (CR0, CR3, CR4, EFER, RFLAGS, PKRU) drive everything: the
    /// CPU role is computed from them as KVM's <c>kvm_calc_cpu_role</c> does, and the walk format (reserved bits,
    /// permission table, PKRU mask) is rebuilt only when the role changes (KVM compares <c>cpu_role.as_u64</c>).
    /// </summary>
    /// <remarks>
    /// Register writes are checked as MOV to CR / WRMSR are (SDM Vol. 3A 2.5, 4.1; KVM x86.c <c>kvm_set_cr0</c>,
    /// <c>kvm_set_cr3</c>, <c>kvm_set_cr4</c>, <c>set_efer</c>) and return a <see cref="RegisterWrite"/>: a
    /// rejected write is the #GP the instruction would raise and changes nothing. Segment state is not modelled;
    /// code is assumed to run in 64-bit mode whenever EFER.LMA = 1 (CS.L = LMA), which decides the MOV CR0 rules
    /// that read CS.L.
    /// </remarks>
    public sealed partial class Vcpu
    {
        private readonly Vm _vm;
        private readonly ulong[] _pdptrs = new ulong[4];
        private ulong _cr0;
        private ulong _cr3;
        private ulong _cr4;
        private ulong _efer;
        private ulong _rflags;
        private uint _pkru;
        private ulong _pdptBase;
        private CpuRole _role;
        private PageFormat _format;
        private PagingMode _mode;
        private WalkContext _context;

        internal Vcpu(Vm vm)
        {
            _vm = vm;

            // SDM 9.1.1 table 9-1: after RESET CR0 = 60000010H (CD, NW, ET), RFLAGS = 2, everything else 0
            // (KVM kvm_vcpu_reset / vmx_vcpu_reset: X86_CR0_NW | X86_CR0_CD | X86_CR0_ET).
            _cr0 = Cr0.CD | Cr0.NW | Cr0.ET;
            _rflags = Rflags.Fixed1;
            _role = CpuRole.Compute(Registers);
            _format = PageFormat.ForGuest(_role, vm.Config.MaxPhyAddr, vm.Config.GbPages, vm.Config.Vendor == Vendor.Amd);
            _mode = PagingModes.FromRole(_role);
            RebuildContext();
        }

        /// <summary>The VM this vCPU belongs to.</summary>
        public Vm Vm => _vm;

        /// <summary>Current register values.</summary>
        public CpuRegisters Registers => new CpuRegisters(_cr0, _cr3, _cr4, _efer, _rflags, _pkru);

        /// <summary>The PAE PDPTR registers, loaded by the last MOV to CR0/CR3/CR4 in PAE paging (KVM <c>pdptrs[4]</c>).</summary>
        public ReadOnlySpan<ulong> Pdptrs => _pdptrs;

        /// <summary>The CPU role of the current registers (KVM <c>cpu_role</c>).</summary>
        public CpuRole Role => _role;

        /// <summary>Reserved-bit masks, permission table and PKRU mask of the current role (KVM <c>guest_rsvd_check</c> etc.).</summary>
        public PageFormat WalkFormat => _format;

        /// <summary>The paging mode the role selects.</summary>
        public PagingMode Mode => _mode;

        /// <summary>Everything a walk reads, rebuilt on every register change.</summary>
        public ref readonly WalkContext WalkContext => ref _context;

        /// <summary>Raised by <see cref="Invlpg"/> with the invalidated linear address, for TLB / shadow-MMU models.</summary>
        public event Action<ulong>? AddressInvalidated;

        /// <summary>
        /// Performs a linear-address access the way KVM's emulator does (<c>__linearize</c> then <c>gva_to_gpa</c> via
        /// <c>walk_addr_generic</c>), including A/D updates in guest memory.
        /// </summary>
        /// <remarks>
        /// In IA-32e mode a non-canonical address (48-bit, or 57-bit with CR4.LA57) gives
        /// <see cref="WalkOutcome.GeneralProtection"/> without touching any table: the emulator raises #GP(0), not #PF
        /// (SDM 3.3.7.1; KVM emulate.c <c>__linearize</c>). Outside IA-32e mode the address is truncated to 32 bits, as
        /// <c>__linearize</c> does for non-64-bit modes.
        /// </remarks>
        /// <param name="gva">Linear address.</param>
        /// <param name="kind">Read, write or fetch.</param>
        /// <param name="cpl">Current privilege level 0..3 (3 = user).</param>
        /// <param name="implicitAccess">Implicit supervisor access (descriptor tables etc.; CPL ignored, SMAP not overridable).</param>
        /// <param name="trace">Collects every page-table read and A/D write when given.</param>
        public WalkResult Access(ulong gva, AccessKind kind, int cpl, bool implicitAccess, WalkTrace? trace = null)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cpl);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(cpl, 3);
            return Dispatch(gva, kind.AccessPfec(cpl, implicitAccess), trace, linearize: true);
        }

        /// <summary>
        /// KVM <c>gva_to_gpa</c> (<c>kvm_mmu_gva_to_gpa_read/write/…</c>): the same walk, A/D updates included, with a raw
        /// PFERR access mask (<see cref="WalkAccess.AccessPfec"/>) and no linearization (no canonical check, no truncation).
        /// </summary>
        /// <param name="gva">Guest virtual address.</param>
        /// <param name="access">PFERR bits: W, U, F, <see cref="PfErr.ImplicitAccess"/>.</param>
        /// <param name="trace">Collects every page-table read and A/D write when given.</param>
        public WalkResult Translate(ulong gva, ulong access, WalkTrace? trace = null)
        {
            return Dispatch(gva, access, trace, linearize: false);
        }

        /// <summary>
        /// INVLPG. The model has no TLB yet, so the only effect is <see cref="AddressInvalidated"/>; a non-canonical
        /// address is a no-op (KVM <c>kvm_mmu_invalidate_addr</c>: "INVLPG on a non-canonical address is a NOP").
        /// </summary>
        public void Invlpg(ulong gva)
        {
            if (IsLongMode && !IsCanonical(gva, (_cr4 & Cr4.LA57) != 0 ? 57 : 48))
            {
                return;
            }

            AddressInvalidated?.Invoke(gva);
        }

        /// <summary>True when <paramref name="address"/> is canonical for <paramref name="bits"/>-bit linear addresses (bits 63:bits-1 equal).</summary>
        public static bool IsCanonical(ulong address, int bits)
        {
            int shift = 64 - bits;
            return (ulong)((long)(address << shift) >> shift) == address;
        }

        private bool IsLongMode => (_efer & Efer.LMA) != 0;

        private WalkResult Dispatch(ulong gva, ulong pfec, WalkTrace? trace, bool linearize)
        {
            return _mode switch
            {
                PagingMode.Long4 => Run<Long4Format>(gva, pfec, trace, linearize),
                PagingMode.Long5 => Run<Long5Format>(gva, pfec, trace, linearize),
                PagingMode.Pae => Run<PaeFormat>(gva, pfec, trace, linearize),
                PagingMode.Legacy32 => Run<Legacy32Format>(gva, pfec, trace, linearize),
                _ => Run<NoPagingFormat>(gva, pfec, trace, linearize),
            };
        }

        private WalkResult Run<TFormat>(ulong gva, ulong pfec, WalkTrace? trace, bool linearize)
            where TFormat : struct, IPagingFormat
        {
            if (linearize)
            {
                if (TFormat.LinearAddressBits == 32)
                {
                    gva = (uint)gva;
                }
                else if (!IsCanonical(gva, TFormat.LinearAddressBits))
                {
                    return WalkResult.GeneralProtection(gva);
                }
            }

            if (trace is null)
            {
                NoTrace none = default;
                return GuestWalker<TFormat, NoTrace>.Walk(in _context, gva, pfec, ref none);
            }

            return GuestWalker<TFormat, WalkTrace>.Walk(in _context, gva, pfec, ref trace);
        }

        /// <summary>
        /// Recomputes the role from the registers; rebuilds the walk format only when the role changed (KVM
        /// <c>kvm_init_mmu</c> returns early when <c>cpu_role.as_u64</c> is unchanged). The walk context is rebuilt
        /// always (it also holds CR3, PDPTRs, RFLAGS and PKRU).
        /// </summary>
        private void Refresh()
        {
            CpuRole role = CpuRole.Compute(Registers);
            if (role.AsU64 != _role.AsU64)
            {
                _role = role;
                VmConfig config = _vm.Config;
                _format = PageFormat.ForGuest(role, config.MaxPhyAddr, config.GbPages, config.Vendor == Vendor.Amd);
                _mode = PagingModes.FromRole(role);
            }

            RebuildContext();
        }

        private void RebuildContext()
        {
            _context = new WalkContext(_vm.Memory, _format, _cr3, _pdptrs, _pdptBase, _rflags, _pkru,
                _role.IsCr4Pse, _role.IsEferNx || _role.IsCr4Smep);
        }
    }
}
