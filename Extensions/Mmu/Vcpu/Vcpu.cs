using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Nested;
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
        private readonly ContextLayout _layout;
        private readonly ulong[] _pdptrs = new ulong[4];
        private ulong _cr0;
        private ulong _cr3;
        private ulong _cr4;
        private ulong _efer;
        private ulong _rflags;
        private uint _pkru;
        private ulong _pdptBase;

        // Nested state: the L2 L1 configured (VMCS12 / VMCB12), whether L2 runs, and the other level's registers
        // (vmcs01 / vmcb01 save area while L2 runs).
        private NestedGuest? _nested;
        private WalkTrace? _scratchTrace;
        private bool _guestMode;
        private SavedState _otherLevel;

        internal Vcpu(Vm vm, string layout)
        {
            _vm = vm;

            // SDM 9.1.1 table 9-1: after RESET CR0 = 60000010H (CD, NW, ET), RFLAGS = 2, everything else 0
            // (KVM kvm_vcpu_reset / vmx_vcpu_reset: X86_CR0_NW | X86_CR0_CD | X86_CR0_ET).
            _cr0 = Cr0.CD | Cr0.NW | Cr0.ET;
            _rflags = Rflags.Fixed1;
            _layout = ContextLayouts.Create(layout, vm);
            _layout.InitMmu(this);
        }

        /// <summary>The VM this vCPU belongs to.</summary>
        public Vm Vm => _vm;

        /// <summary>Register values of the running guest (L2's while <see cref="IsGuestMode"/>).</summary>
        public CpuRegisters Registers => new CpuRegisters(_cr0, _cr3, _cr4, _efer, _rflags, _pkru);

        /// <summary>L1's registers: the running ones, or the saved ones (vmcs01 / vmcb01) while L2 runs.</summary>
        public CpuRegisters L1Registers => _guestMode ? _otherLevel.Registers : Registers;

        /// <summary>The PAE PDPTR registers of the running guest, loaded by the last MOV to CR0/CR3/CR4 in PAE paging (KVM <c>pdptrs[4]</c>).</summary>
        public ReadOnlySpan<ulong> Pdptrs => _pdptrs;

        /// <summary>GPA the PDPTRs were loaded from (CR3 &amp; ~0x1F; for traces).</summary>
        public ulong PdptBase => _pdptBase;

        /// <summary>The vCPU runs L2 (KVM <c>is_guest_mode</c>).</summary>
        public bool IsGuestMode => _guestMode;

        /// <summary>1 while L1 runs, 2 while L2 runs.</summary>
        public int Level => _guestMode ? 2 : 1;

        /// <summary>The L2 guest L1 configured, or null (no nested guest).</summary>
        public NestedGuest? Nested => _nested;

        /// <summary>The MMU organization (structure variant): its objects, pointers and who serves what.</summary>
        public ContextLayout Contexts => _layout;

        /// <summary>The CPU role of the walker that serves the running guest's accesses (KVM <c>walk_mmu-&gt;cpu_role</c>).</summary>
        public CpuRole Role => ActiveWalker.CpuRole;

        /// <summary>Reserved-bit masks, permission table and PKRU mask of <see cref="Role"/>.</summary>
        public PageFormat WalkFormat => ActiveWalker.Format;

        /// <summary>The paging mode of the running guest's walker.</summary>
        public PagingMode Mode => ActiveWalker.Mode;

        /// <summary>Everything a walk of the running guest reads.</summary>
        public ref readonly WalkContext WalkContext => ref ActiveWalker.Context;

        /// <summary>The walker <see cref="Access"/> walks with now.</summary>
        /// <remarks>The layout's walk-pointer field where it keeps one (every shipped layout): a virtual call to
        /// <see cref="ContextLayout.ActiveWalker"/> on every access cost about 1 ns.</remarks>
        internal PageWalker ActiveWalker
        {
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            get => _layout.WalkPointer ?? _layout.ActiveWalker;
        }

        /// <summary>Raised by <see cref="Invlpg"/> with the invalidated linear address, for TLB / shadow-MMU models.</summary>
        public event Action<ulong>? AddressInvalidated;

        /// <summary>
        /// Performs a linear-address access of the running guest the way KVM's emulator does (<c>__linearize</c> then
        /// <c>walk_mmu-&gt;gva_to_gpa</c>), including A/D updates in guest memory, and delivers its fault: a #PF
        /// stays with the running guest; an EPT/NPT fault of L2 is a VM exit, after which L1 runs
        /// (<c>nested_vmx_vmexit</c> / <c>nested_svm_vmexit</c>).
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
        // Inlined into its callers: the common access (a valid CPL, the layout's walk pointer, no SPTEs to build) is a
        // few tests around the walk's indirect call; a 1-D walk returns two registers, so a caller reading one field of
        // the result gets it from a register. The rest (throwing on a bad CPL, the virtual ActiveWalker, the SPTE
        // path) is one call out of line: with no other calls in the inlined block, the caller's loop keeps its values
        // in registers. See docs/benchmarks.md.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public WalkResult Access(ulong gva, AccessKind kind, int cpl, bool implicitAccess, WalkTrace? trace = null)
        {
            PageWalker? walker = _layout.WalkPointer;
            if ((uint)cpl <= 3 && walker is not null && !_vm.BuildsPageTables)
            {
                ulong pfec = kind.AccessPfec(cpl, implicitAccess);
                if (trace is null && walker.CanWalkCompact)
                {
                    // A 1-D x86 access cannot end in a VM exit: the 16-byte result, widened once here. The walk
                    // function linearizes, with its mode's rule a constant.
                    return walker.AccessCompact(gva, WithNotSmap(pfec, implicitAccess), _pkru).ToResult();
                }

                if (walker.TryLinearize(ref gva))
                {
                    return WalkLinear(walker, gva, pfec, trace);
                }
            }

            // Including a #GP: its result is built out of line too.
            return AccessOutOfLine(gva, kind, cpl, implicitAccess, trace);
        }

        /// <summary>
        /// The compact walk's access: <paramref name="pfec"/> with KVM's <c>not_smap</c> (RFLAGS.AC, for an explicit access)
        /// in its RSVD bit, computed here where whether the access is implicit is usually a constant.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private ulong WithNotSmap(ulong pfec, bool implicitAccess) =>
            pfec | (implicitAccess ? 0 : WalkContext.NotSmapIfExplicit(_rflags));

        /// <summary><see cref="Access"/> outside its inlined common case: a bad CPL, a layout without a walk pointer, SPTEs to build, #GP.</summary>
        [System.Runtime.CompilerServices.SkipLocalsInit] // the walk's result, inlined here, is written before it is read
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private WalkResult AccessOutOfLine(ulong gva, AccessKind kind, int cpl, bool implicitAccess, WalkTrace? trace)
        {
            if ((uint)cpl > 3)
            {
                ThrowCplOutOfRange(cpl);
            }

            PageWalker walker = ActiveWalker;
            ulong pfec = kind.AccessPfec(cpl, implicitAccess);
            if (_vm.BuildsPageTables)
            {
                return AccessBuildingPageTables(walker, gva, pfec, trace);
            }

            if (trace is null && walker.CanWalkCompact)
            {
                return walker.AccessCompact(gva, WithNotSmap(pfec, implicitAccess), _pkru).ToResult();
            }

            return walker.TryLinearize(ref gva) ? WalkLinear(walker, gva, pfec, trace) : WalkResult.GeneralProtection(gva);
        }

        /// <summary>The walk of a linear address without SPTEs to build; a VM exit of L2 then goes to L1.</summary>
        [System.Runtime.CompilerServices.SkipLocalsInit] // the result is written by the walk; zeroing it first cost ~1 ns
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private WalkResult WalkLinear(PageWalker walker, ulong linear, ulong pfec, WalkTrace? trace)
        {
            WalkResult walkOnly = walker.GvaToGpa(linear, pfec, _rflags, _pkru, trace);
            if (walkOnly.Outcome == WalkOutcome.VmExit && _guestMode)
            {
                ExitToL1();
            }

            return walkOnly;
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void ThrowCplOutOfRange(int cpl) =>
            throw new ArgumentOutOfRangeException(nameof(cpl), cpl, "The CPL is 0..3.");

        /// <summary><see cref="Access"/> when KVM builds SPTEs for what the walk found (kept apart: the walk-only path stays small).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private WalkResult AccessBuildingPageTables(PageWalker walker, ulong gva, ulong pfec, WalkTrace? trace)
        {
            if (!walker.TryLinearize(ref gva))
            {
                return WalkResult.GeneralProtection(gva);
            }

            // The shadow/TDP MMU needs every entry the walk read (where the hardware walk goes through SPTEs).
            WalkTrace recorded = trace ?? (_scratchTrace ??= new WalkTrace());
            int firstEntry = recorded.Count;
            WalkResult result = walker.GvaToGpa(gva, pfec, _rflags, _pkru, recorded);
            if (result.IsOk)
            {
                _vm.Mmu.OnSuccessfulAccess(this, _layout.ActiveMmu, gva, pfec, result, recorded, firstEntry);
            }
            else if (result.Outcome == WalkOutcome.VmExit && _guestMode)
            {
                ExitToL1();
            }

            if (trace is null)
            {
                recorded.Clear();
            }

            return result;
        }

        /// <summary>
        /// KVM <c>gva_to_gpa</c> (<c>kvm_mmu_gva_to_gpa_read/write/…</c>) through <c>walk_mmu</c>: the same walk, A/D
        /// updates included, with a raw PFERR access mask (<see cref="WalkAccess.AccessPfec"/>), no linearization (no
        /// canonical check, no truncation) and no fault delivery.
        /// </summary>
        /// <param name="gva">Guest virtual address.</param>
        /// <param name="access">PFERR bits: W, U, F, <see cref="PfErr.ImplicitAccess"/>.</param>
        /// <param name="trace">Collects every page-table read and A/D write when given.</param>
        public WalkResult Translate(ulong gva, ulong access, WalkTrace? trace = null)
        {
            return ActiveWalker.GvaToGpa(gva, access, _rflags, _pkru, trace);
        }

        /// <summary>
        /// INVLPG. The model has no TLB yet, so the only effect is <see cref="AddressInvalidated"/>; a non-canonical
        /// address is a no-op (KVM <c>kvm_mmu_invalidate_addr</c>: "INVLPG on a non-canonical address is a NOP").
        /// </summary>
        // Compiled fully optimized at its first call: the access sweep invalidates once per case, and its ReadyToRun
        // code (interface calls through indirection cells) cost three times the final code for the first second or so.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Invlpg(ulong gva)
        {
            // (_efer read directly: the JIT left IsLongMode as a call in this method.)
            if ((_efer & Efer.LMA) != 0 && !IsCanonical(gva, (_cr4 & Cr4.LA57) != 0 ? 57 : 48))
            {
                return;
            }

            // kvm_mmu_invlpg → kvm_mmu_invalidate_addr(walk_mmu, gva, all roots): resync unsync entries on the path
            // (nothing for a TDP MMU or nested_mmu, which have no sync_spte). walk_mmu is the context whose walker is
            // the active one.
            MmuContext? walkMmu = ContextWalkedBy(_layout.Mmus, ActiveWalker);

            // kvm_mmu_invalidate_addr: "if (!mmu->sync_spte) return;" before it looks at any root.
            if (walkMmu is not null && walkMmu.HasSyncSpte)
            {
                _vm.Mmu.InvalidateAddress(this, walkMmu, gva);
            }

            AddressInvalidated?.Invoke(gva);
        }

        /// <summary>The context whose walker is <paramref name="walker"/> (KVM: <c>walk_mmu</c> is a whole kvm_mmu).</summary>
        private static MmuContext? ContextWalkedBy(IReadOnlyList<MmuContext> mmus, PageWalker walker)
        {
            // Every shipped layout keeps its contexts in an array: a span of it, not IReadOnlyList's interface calls (two
            // per context, per case in the access sweep). Other lists are copied.
            ReadOnlySpan<MmuContext> contexts = mmus is MmuContext[] array ? array : [.. mmus];
            foreach (MmuContext mmu in contexts)
            {
                if (ReferenceEquals(mmu.Walker, walker))
                {
                    return mmu;
                }
            }

            return null;
        }

        /// <summary>True when <paramref name="address"/> is canonical for <paramref name="bits"/>-bit linear addresses (bits 63:bits-1 equal; every address for 64).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public static bool IsCanonical(ulong address, int bits)
        {
            int shift = 64 - bits;
            return (ulong)((long)(address << shift) >> shift) == address;
        }

        /// <summary>
        /// A guest 8-byte store of <paramref name="value"/> at <paramref name="gva"/> through its paging: the write access
        /// (A/D updates, SPTEs), then the memory write. When the page is a shadowed guest page table whose SPTE could
        /// not be made writable, KVM emulated the store and <c>kvm_mmu_track_write</c> updated the shadow pages.
        /// </summary>
        /// <returns>The access; memory is written only when it succeeded.</returns>
        public WalkResult Store(ulong gva, ulong value, int cpl = 0, WalkTrace? trace = null)
        {
            WalkResult access = Access(gva, AccessKind.Write, cpl, implicitAccess: false, trace);
            if (!access.IsOk || !_vm.Memory.TryWriteU64(access.Gpa & ~7UL, value))
            {
                return access;
            }

            if (_vm.BuildsPageTables)
            {
                _vm.Mmu.TrackWrite(access.Gpa & ~7UL, 8);
            }

            return access;
        }

        /// <summary>
        /// Nested VM entry into a new L2 (VMLAUNCH / VMRUN): checks what VM entry checks (<see cref="NestedGuest.Check"/>,
        /// then L2's registers as <see cref="LoadState"/> does), saves L1's registers, switches the MMU contexts
        /// (<see cref="ContextLayout.EnterGuestMode"/>) and loads L2's registers. On failure nothing changes and the
        /// error names the experiment field (<c>nested.eptp: …</c>, <c>nested.vcpu.cr4: …</c>).
        /// </summary>
        public RegisterWrite EnterNested(NestedGuest guest)
        {
            ArgumentNullException.ThrowIfNull(guest);
            if (_guestMode)
            {
                return RegisterWrite.Fail("nested: the vCPU already runs L2");
            }

            if (guest.Check(_vm.Config, Registers) is { } problem)
            {
                return RegisterWrite.Fail(problem);
            }

            NestedGuest? previous = _nested;
            _nested = guest;
            RegisterWrite entry = EnterL2(guest.Registers);
            if (!entry.Ok)
            {
                _nested = previous;
            }

            return entry;
        }

        /// <summary>
        /// Runs L2 again after a VM exit (VMRESUME / VMRUN with the L2 state saved at the exit). A no-op when L2 runs.
        /// </summary>
        public RegisterWrite ResumeL2()
        {
            if (_guestMode)
            {
                return RegisterWrite.Success;
            }

            if (_nested is null)
            {
                return RegisterWrite.Fail("level: there is no L2 guest (no \"nested\" configuration)");
            }

            return EnterL2(_nested.Registers);
        }

        /// <summary>
        /// Nested VM exit: L2's registers are saved into <see cref="Nested"/> (VMCS12 / VMCB12 guest state), L1's
        /// restored, and the MMU contexts switched back (<see cref="ContextLayout.LeaveGuestMode"/>). A no-op in L1.
        /// </summary>
        public void ExitToL1()
        {
            if (!_guestMode)
            {
                return;
            }

            _nested = _nested! with { Registers = Registers };
            SavedState l1 = _otherLevel;
            _guestMode = false;
            _layout.LeaveGuestMode(this);
            Restore(l1);
            Refresh();
        }

        /// <summary>
        /// A CPUID change that feeds the MMU (KVM <c>kvm_mmu_after_set_cpuid</c>): every role is invalidated and the
        /// contexts are rebuilt from the new configuration.
        /// </summary>
        internal void AfterSetCpuid()
        {
            _layout.AfterSetCpuid(this);
        }

        private bool IsLongMode => (_efer & Efer.LMA) != 0;

        private RegisterWrite EnterL2(CpuRegisters l2)
        {
            SavedState l1 = Save();
            _guestMode = true;
            _otherLevel = l1;
            _layout.EnterGuestMode(this);
            RegisterWrite load = LoadState(l2);
            if (!load.Ok)
            {
                // VM entry fails on invalid guest state: L1 keeps running, nothing changed.
                _guestMode = false;
                _layout.LeaveGuestMode(this);
                Restore(l1);
                Refresh();
                return RegisterWrite.Fail("nested.vcpu." + load.Error);
            }

            return load;
        }

        private SavedState Save() => new SavedState(Registers, _pdptrs[0], _pdptrs[1], _pdptrs[2], _pdptrs[3], _pdptBase);

        private void Restore(in SavedState state)
        {
            _cr0 = state.Registers.Cr0;
            _cr3 = state.Registers.Cr3;
            _cr4 = state.Registers.Cr4;
            _efer = state.Registers.Efer;
            _rflags = state.Registers.Rflags;
            _pkru = state.Registers.Pkru;
            _pdptrs[0] = state.Pdptr0;
            _pdptrs[1] = state.Pdptr1;
            _pdptrs[2] = state.Pdptr2;
            _pdptrs[3] = state.Pdptr3;
            _pdptBase = state.PdptBase;
        }

        /// <summary>
        /// KVM <c>kvm_init_mmu</c> after a register change: the layout recomputes roles from the running guest's
        /// registers (rebuilding formats only when a role changed) and reloads roots.
        /// </summary>
        private void Refresh()
        {
            _layout.InitMmu(this);
        }

        private readonly record struct SavedState(CpuRegisters Registers, ulong Pdptr0, ulong Pdptr1, ulong Pdptr2, ulong Pdptr3, ulong PdptBase);
    }
}
