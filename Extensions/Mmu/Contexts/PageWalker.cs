using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Contexts
{
    /// <summary>Where a walker's root comes from (KVM <c>get_guest_pgd</c>).</summary>
    public enum GuestPgdSource
    {
        /// <summary>The running guest's CR3 (<c>get_guest_cr3</c>).</summary>
        Cr3 = 0,

        /// <summary>L1's EPT pointer for L2, EPTP12 (<c>nested_ept_get_eptp</c>).</summary>
        Eptp = 1,

        /// <summary>L1's nested CR3 for L2 (<c>nested_svm_get_tdp_cr3</c>).</summary>
        NestedCr3 = 2,
    }

    /// <summary>How a failed walk is delivered (KVM <c>inject_page_fault</c>).</summary>
    public enum FaultDelivery
    {
        /// <summary>#PF into the running guest (<c>kvm_inject_page_fault</c>).</summary>
        PageFault = 0,

        /// <summary>EPT violation or misconfiguration exit to L1 (<c>nested_ept_inject_page_fault</c>).</summary>
        NestedEptExit = 1,

        /// <summary>NPF exit to L1 (<c>nested_svm_inject_npf_exit</c>).</summary>
        NestedNpfExit = 2,
    }

    /// <summary>
    /// A guest page-table walker: the walking half of KVM 6.12's <c>struct kvm_mmu</c> (<c>cpu_role</c>,
    /// <c>get_guest_pgd</c>, <c>get_pdptr</c>, <c>inject_page_fault</c>, <c>gva_to_gpa</c>, <c>guest_rsvd_check</c>,
    /// <c>permissions</c>, <c>pkru_mask</c>), which the chainsaw series pulls out as <c>struct kvm_pagewalk</c>.
    /// Every structure variant builds its objects from these; which walker serves what is the variant's choice
    /// (<see cref="ContextLayout"/>), the walk itself is <see cref="GuestWalker{TFormat, TObserver}"/> for all.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // the walks inlined here write their per-level scratch before reading it
    public sealed unsafe class PageWalker
    {
        private readonly Vm _vm;
        private WalkContext _context;
        private WalkContext _innerContext;
        private bool _configured;

        // Chosen when the mode changes (KVM: the mmu's gva_to_gpa pointer, set at context init), so an access pays
        // neither the mode switch nor a copy of the result through an extra frame.
        private delegate*<PageWalker, ulong, ulong, ulong, uint, WalkTrace?, WalkResult> _walk = &WalkAs<NoPagingFormat>;

        // The same walk ending in a CompactWalk, for the x86 formats (an EPT walk's faults carry more than it holds).
        private delegate*<PageWalker, ulong, ulong, uint, CompactWalk> _compactWalk = &CompactWalkAs<NoPagingFormat>;
        // Linearization, from the mode: truncate to 32 bits (outside IA-32e mode), then the canonical check for this
        // width (48 or 57; 64 where every address passes).
        private bool _truncateLinear = true;
        private int _canonicalBits = 64;
        private PageWalker? _translateThrough;

        /// <summary>Creates an unconfigured walker (paging off, empty format) named as its structure variant names it.</summary>
        /// <param name="name">The variant's name for the object (<c>root_mmu</c>, <c>nested_mmu</c>, <c>gva_walk</c>, …).</param>
        /// <param name="vm">The VM whose memory the walker reads.</param>
        public PageWalker(string name, Vm vm)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            ArgumentNullException.ThrowIfNull(vm);
            Name = name;
            _vm = vm;
            CpuRole = default;
            Format = PageFormat.ForGuest(default, vm.Config.MaxPhyAddr, vm.Config.GbPages, vm.Config.Vendor == Vendor.Amd);
            Mode = PagingMode.None;
            Load(0, ReadOnlySpan<ulong>.Empty, 0);
        }

        /// <summary>The variant's name for this object.</summary>
        public string Name { get; }

        /// <summary>The paging mode it walks (KVM <c>cpu_role</c>); 0 until first configured.</summary>
        public CpuRole CpuRole { get; private set; }

        /// <summary>Reserved bits, permission table and PKRU mask of <see cref="CpuRole"/> (KVM <c>kvm_page_format</c>).</summary>
        public PageFormat Format { get; private set; }

        /// <summary>The table format, i.e. which <c>gva_to_gpa</c> instantiation it runs.</summary>
        public PagingMode Mode { get; private set; }

        /// <summary>Where its root comes from.</summary>
        public GuestPgdSource PgdSource { get; set; }

        /// <summary>How its faults are delivered.</summary>
        public FaultDelivery Delivery { get; set; }

        /// <summary>
        /// The walker every table GPA and the final GPA are translated through (KVM <c>kvm_translate_gpa</c> →
        /// <c>translate_nested_gpa</c> → <c>arch.mmu-&gt;gva_to_gpa</c>); null for a 1-D walker.
        /// </summary>
        public PageWalker? TranslateThrough
        {
            get => _translateThrough;
            set
            {
                _translateThrough = value;
                _compactWalk = CompactWalkFunctionOf(Mode, value);
            }
        }

        /// <summary>The root loaded by the last <see cref="Load"/> (CR3, EPTP or nCR3).</summary>
        public ulong Root { get; private set; }

        /// <summary>How often the role changed and the format was rebuilt (KVM <c>reset_guest_paging_metadata</c> calls).</summary>
        public int Reconfigurations { get; private set; }

        /// <summary>EPT walker with mode-based execute control (XS in bit 2, XU in bit 10).</summary>
        public bool Mbec { get; private set; }

        /// <summary>EPT walker with the EPTP's accessed/dirty enable clear (KVM <c>cpu_role.base.ad_disabled</c>).</summary>
        public bool AccessedDirtyDisabled => CpuRole.Base.AdDisabled;

        /// <summary>The state its walks read, for a walk in its own dimension.</summary>
        public ref readonly WalkContext Context => ref _context;

        /// <summary>
        /// Configures the walker for an x86 paging mode (KVM <c>reset_guest_paging_metadata</c> with the role from
        /// <c>kvm_calc_cpu_role</c>): nothing happens when the role is unchanged (KVM compares <c>cpu_role.as_u64</c>).
        /// </summary>
        /// <returns>True when the role changed.</returns>
        public bool ConfigureGuest(CpuRole role)
        {
            if (_configured && role.AsU64 == CpuRole.AsU64)
            {
                return false;
            }

            VmConfig config = _vm.Config;
            return Apply(role, PageFormat.ForGuest(role, config.MaxPhyAddr, config.GbPages, config.Vendor == Vendor.Amd),
                PagingModes.FromRole(role));
        }

        /// <summary>
        /// Configures the walker for L1's EPT tables (KVM <c>kvm_init_shadow_ept_mmu</c>:
        /// <c>kvm_calc_shadow_ept_root_page_role</c>, <c>update_permission_bitmask(ept=true)</c>,
        /// <c>reset_rsvds_bits_mask_ept</c>).
        /// </summary>
        /// <returns>True when the role changed.</returns>
        public bool ConfigureEpt(EptPointer eptp, EptCapabilities capabilities)
        {
            ArgumentNullException.ThrowIfNull(capabilities);

            // KVM kvm_calc_shadow_ept_root_page_role: level from the EPTP, direct=0, has_4_byte_gpte=0,
            // ad_disabled = !A/D enable, guest_mode=1, access=ACC_ALL, smm=0; ext = {execonly, valid}.
            PageRole baseRole = new PageRole(0)
                .WithLevel(eptp.Levels)
                .WithAccess(Acc.All)
                .WithAdDisabled(!eptp.AccessedDirtyEnabled)
                .WithGuestMode(true);
            ExtRole ext = new ExtRole(0).WithValid(true).WithExecOnly(capabilities.ExecuteOnly);
            CpuRole role = new CpuRole(baseRole, ext);
            if (_configured && role.AsU64 == CpuRole.AsU64)
            {
                return false;
            }

            PageFormat format = PageFormat.ForEpt(_vm.Config.MaxPhyAddr, capabilities.ExecuteOnly, capabilities.HugeLevel);
            Mbec = capabilities.Mbec;
            return Apply(role, format, eptp.Levels == 5 ? PagingMode.Ept5 : PagingMode.Ept4);
        }

        /// <summary>
        /// Forgets the role so the next configure rebuilds everything (KVM <c>kvm_mmu_after_set_cpuid</c>:
        /// <c>cpu_role.ext.valid = 0</c>).
        /// </summary>
        public void InvalidateRole()
        {
            CpuRole = new CpuRole(CpuRole.Base, CpuRole.Ext.WithValid(false));
            _configured = false;
        }

        /// <summary>
        /// Loads the root and PDPTRs the walker starts from (what <c>get_guest_pgd</c> and <c>get_pdptr</c> return now).
        /// </summary>
        /// <param name="root">CR3, EPTP or nCR3.</param>
        /// <param name="pdptrs">PAE PDPTR registers (empty when the format has none or they come from memory).</param>
        /// <param name="pdptBase">GPA the PDPTRs were loaded from (for traces).</param>
        /// <param name="pdptrsFromMemory">PAE: read PDPTEs from memory at the root on every walk (SVM nested NPT).</param>
        public void Load(ulong root, ReadOnlySpan<ulong> pdptrs, ulong pdptBase, bool pdptrsFromMemory = false)
        {
            Root = root;
            bool pse = CpuRole.IsCr4Pse;
            bool hasPferrFetch = CpuRole.IsEferNx || CpuRole.IsCr4Smep;
            bool haveAd = !Mode.IsEpt() || !CpuRole.Base.AdDisabled;
            bool mbec = Mode.IsEpt() && Mbec;
            _context = new WalkContext(_vm.Memory, Format, root, pdptrs, pdptBase, pse, hasPferrFetch, haveAd,
                TranslateThrough is null ? 0 : 1, pdptrsFromMemory, mbec);
            _innerContext = new WalkContext(_vm.Memory, Format, root, pdptrs, pdptBase, pse, hasPferrFetch, haveAd, 2, pdptrsFromMemory, mbec);
        }

        /// <summary>The state its walks read when it translates another walker's GPAs (trace dimension 2).</summary>
        internal ref readonly WalkContext InnerContext => ref _innerContext;

        /// <summary>
        /// KVM <c>gva_to_gpa</c>: walks <paramref name="address"/> (a linear address, or an L2 GPA for an EPT/NPT
        /// walker) for <paramref name="access"/>, with A/D updates, translating through
        /// <see cref="TranslateThrough"/> when set. Faults come back as values: #PF, or a VM exit when the outer
        /// dimension failed.
        /// </summary>
        /// <param name="address">Address to translate (no linearization: see <see cref="Linearize"/>).</param>
        /// <param name="access">PFERR bits W, U, F, <see cref="PfErr.ImplicitAccess"/>.</param>
        /// <param name="rflags">The running guest's RFLAGS (AC).</param>
        /// <param name="pkru">The running guest's PKRU.</param>
        /// <param name="trace">Collects every paging-structure access of both dimensions when given.</param>
        public WalkResult GvaToGpa(ulong address, ulong access, ulong rflags, uint pkru, WalkTrace? trace = null)
        {
            return _walk(this, address, access, rflags, pkru, trace);
        }

        /// <summary>
        /// Whether <see cref="AccessCompact"/> may be used: a 1-D walker (no <see cref="TranslateThrough"/>) of an
        /// x86 format, whose accesses only translate or raise #PF or #GP.
        /// </summary>
        internal bool CanWalkCompact => _compactWalk != null;

        /// <summary>
        /// <see cref="Linearize"/> then <see cref="GvaToGpa"/> without a trace, returning the 16-byte
        /// <see cref="CompactWalk"/> (same walk, same A/D updates; its <c>ToResult()</c> is what linearizing and
        /// walking return). Only when <see cref="CanWalkCompact"/>.
        /// </summary>
        /// <param name="address">The address to linearize and walk.</param>
        /// <param name="accessWithNotSmap">The access's PFERR bits with KVM's <c>not_smap</c> in the RSVD bit
        /// (<see cref="WalkContext.NotSmap"/>): RFLAGS matters only to that test, and done by the caller it leaves the
        /// walk one register freer.</param>
        /// <param name="pkru">The running guest's PKRU.</param>
        internal CompactWalk AccessCompact(ulong address, ulong accessWithNotSmap, uint pkru)
        {
            return _compactWalk(this, address, accessWithNotSmap, pkru);
        }

        // Null for a 2-D walker (its walks can end in a VM exit) and for EPT formats: Vcpu.Access then takes the full walk.
        // Each linearizes first (Vcpu.Access leaves that to it).
        private static delegate*<PageWalker, ulong, ulong, uint, CompactWalk> CompactWalkFunctionOf(PagingMode mode,
            PageWalker? translateThrough) => translateThrough is not null ? null : mode switch
        {
            PagingMode.Long4 => &CompactWalkAs<Long4Format>,
            PagingMode.Long5 => &CompactWalkAs<Long5Format>,
            PagingMode.Pae => &CompactWalkAs<PaeFormat>,
            PagingMode.Legacy32 => &CompactWalkAs<Legacy32Format>,
            PagingMode.Ept4 or PagingMode.Ept5 => null,
            _ => &CompactWalkAs<NoPagingFormat>,
        };

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static CompactWalk CompactWalkAs<TFormat>(PageWalker walker, ulong address, ulong accessWithNotSmap, uint pkru)
            where TFormat : struct, IPagingFormat
        {
            // KVM emulate.c __linearize (see Linearize) with the mode a constant: the mode's truncation or canonical check
            // is one or two instructions here, where the caller tested per-walker fields.
            if (TFormat.LinearAddressBits == 32)
            {
                address = (uint)address;
            }
            else if (!Vcpu.IsCanonical(address, TFormat.LinearAddressBits))
            {
                return CompactWalk.GeneralProtection(address);
            }

            Unsafe.SkipInit(out NoTrace none); // no state: nothing to initialize
            IdentityGpaTranslator identity = default;
            return GuestWalker<TFormat, NoTrace>.Walk<IdentityGpaTranslator, CompactWalkEnd, CompactWalk>(in walker._context,
                address, accessWithNotSmap, 0, pkru, ref none, ref identity);
        }

        private static delegate*<PageWalker, ulong, ulong, ulong, uint, WalkTrace?, WalkResult> WalkFunctionOf(PagingMode mode) => mode switch
        {
            PagingMode.Long4 => &WalkAs<Long4Format>,
            PagingMode.Long5 => &WalkAs<Long5Format>,
            PagingMode.Pae => &WalkAs<PaeFormat>,
            PagingMode.Legacy32 => &WalkAs<Legacy32Format>,
            PagingMode.Ept4 => &WalkAs<Ept4Format>,
            PagingMode.Ept5 => &WalkAs<Ept5Format>,
            _ => &WalkAs<NoPagingFormat>,
        };

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static WalkResult WalkAs<TFormat>(PageWalker walker, ulong address, ulong access, ulong rflags, uint pkru, WalkTrace? trace)
            where TFormat : struct, IPagingFormat
            => walker.Walk<TFormat>(address, access, rflags, pkru, trace);

        /// <summary>The linear-address width <see cref="Linearize"/> checks in <paramref name="mode"/> (32: truncation).</summary>
        private static int LinearAddressBitsOf(PagingMode mode) => mode switch
        {
            PagingMode.Long4 => Long4Format.LinearAddressBits,
            PagingMode.Long5 => Long5Format.LinearAddressBits,
            PagingMode.Ept4 => Ept4Format.LinearAddressBits,
            PagingMode.Ept5 => Ept5Format.LinearAddressBits,
            PagingMode.Pae => PaeFormat.LinearAddressBits,
            PagingMode.Legacy32 => Legacy32Format.LinearAddressBits,
            _ => NoPagingFormat.LinearAddressBits,
        };

        /// <summary><see cref="Linearize"/> without building the #GP result: false when it would be a #GP(0).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        internal bool TryLinearize(ref ulong address)
        {
            if (_truncateLinear)
            {
                address = (uint)address;
            }

            return Vcpu.IsCanonical(address, _canonicalBits);
        }

        /// <summary>
        /// What the CPU does to a linear address before any walk (KVM emulate.c <c>__linearize</c>): outside IA-32e
        /// mode it is truncated to 32 bits; in IA-32e mode a non-canonical address (48 bits, or 57 with LA57) is a
        /// #GP(0). Returns false with the #GP result in <paramref name="fault"/>.
        /// </summary>
        public bool Linearize(ref ulong address, out WalkResult fault)
        {
            fault = default;
            if (!TryLinearize(ref address))
            {
                fault = WalkResult.GeneralProtection(address);
                return false;
            }

            return true;
        }

        /// <summary>
        /// Translates a guest-physical address of the walker's input space (an L2 GPA for a 2-D walker) to the
        /// memory it reads, as <c>kvm_translate_gpa</c> does for <c>load_pdptrs</c>; identity for a 1-D walker.
        /// </summary>
        public bool TryTranslateGpa(ulong gpa, ulong access, out ulong realGpa, out WalkResult fault)
        {
            if (TranslateThrough is null)
            {
                realGpa = gpa;
                fault = default;
                return true;
            }

            fault = TranslateThrough.TranslateAsInner(gpa, access, gva: 0, trace: null);
            realGpa = fault.Gpa;
            return fault.IsOk;
        }

        /// <inheritdoc/>
        public override string ToString() => $"{Name}: {Mode.DisplayName()} role 0x{CpuRole.AsU64:x} root 0x{Root:x}";

        /// <summary>
        /// This walker as the outer dimension of another (KVM <c>translate_nested_gpa</c>): "NPT walks are always
        /// user-walks" (U added), traced as dimension 2, failures delivered as this walker's exits.
        /// </summary>
        internal WalkResult TranslateAsInner(ulong gpa, ulong access, ulong gva, WalkTrace? trace)
        {
            if (trace is null)
            {
                Unsafe.SkipInit(out NoTrace none); // no state: nothing to initialize
                return TranslateAsInner(gpa, access, gva, ref none);
            }

            return TranslateAsInner(gpa, access, gva, ref trace);
        }

        /// <summary>
        /// <see cref="TranslateAsInner{TObserver}"/> for a walker whose format is known at the call site (the 2-D walk
        /// chooses it once per walk, not once per table address): no mode switch.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        internal WalkResult TranslateAsInner<TFormat, TObserver>(ulong gpa, ulong access, ulong gva, ref TObserver observer)
            where TFormat : struct, IPagingFormat
            where TObserver : IWalkObserver
        {
            WalkResult inner = GuestWalker<TFormat, TObserver>.Walk(in _innerContext, gpa, access | (ulong)PfErr.User, 0, 0, ref observer);
            return inner.IsOk ? inner : NestedFaults.Deliver(Delivery, inner, access | (ulong)PfErr.User, gva);
        }

        /// <summary>
        /// The GPA <see cref="TranslateAsInner{TFormat, TObserver}"/> returns on success, null where it faults, without
        /// a trace: no 72-byte result per table address of a 2-D walk. A faulting walk writes no A/D bit (KVM sets
        /// them only once every check passed), so walking again with <see cref="TranslateAsInner{TFormat, TObserver}"/>
        /// gives that fault.
        /// </summary>
        // One frame per table address of a 2-D walk, holding the inlined inner walk (not inlined itself: the outer
        // walk would then hold five copies of it).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        internal ulong? TranslateAsInnerGpa<TFormat>(ulong gpa, ulong access)
            where TFormat : struct, IPagingFormat
        {
            Unsafe.SkipInit(out NoTrace none); // no state: nothing to initialize
            IdentityGpaTranslator identity = default;

            // As TranslateAsInner: "NPT walks are always user-walks".
            return GuestWalker<TFormat, NoTrace>.Walk<IdentityGpaTranslator, GpaOnlyEnd, ulong?>(in _innerContext, gpa,
                access | (ulong)PfErr.User, 0, 0, ref none, ref identity);
        }

        internal WalkResult TranslateAsInner<TObserver>(ulong gpa, ulong access, ulong gva, ref TObserver observer)
            where TObserver : IWalkObserver
        {
            return Mode switch
            {
                PagingMode.Ept4 => TranslateAsInner<Ept4Format, TObserver>(gpa, access, gva, ref observer),
                PagingMode.Ept5 => TranslateAsInner<Ept5Format, TObserver>(gpa, access, gva, ref observer),
                PagingMode.Long4 => TranslateAsInner<Long4Format, TObserver>(gpa, access, gva, ref observer),
                PagingMode.Long5 => TranslateAsInner<Long5Format, TObserver>(gpa, access, gva, ref observer),
                PagingMode.Pae => TranslateAsInner<PaeFormat, TObserver>(gpa, access, gva, ref observer),
                PagingMode.Legacy32 => TranslateAsInner<Legacy32Format, TObserver>(gpa, access, gva, ref observer),
                _ => TranslateAsInner<NoPagingFormat, TObserver>(gpa, access, gva, ref observer),
            };
        }

        private bool Apply(CpuRole role, PageFormat format, PagingMode mode)
        {
            CpuRole = role;
            Format = format;
            Mode = mode;
            _walk = WalkFunctionOf(mode);
            _compactWalk = CompactWalkFunctionOf(mode, TranslateThrough);
            int linearAddressBits = LinearAddressBitsOf(mode);
            _truncateLinear = linearAddressBits == 32;
            _canonicalBits = linearAddressBits is 48 or 57 ? linearAddressBits : 64;
            _configured = true;
            Reconfigurations++;
            return true;
        }

        // Not inlined: inlined into Walk<TFormat> the seven of them with their walks exceeded the JIT's inlining budget
        // for that one method, and the walks' own per-level code was then called instead of inlined (2-D walks 85 → 115 ns).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private WalkResult WalkNested<TFormat, TOuterFormat>(PageWalker outer, ulong address, ulong access, ulong rflags, uint pkru, WalkTrace? trace)
            where TFormat : struct, IPagingFormat
            where TOuterFormat : struct, IPagingFormat
        {
            if (trace is not null)
            {
                return WalkNestedTraced<TFormat, TOuterFormat>(outer, address, access, rflags, pkru, trace);
            }

            var translator = new NestedTdpTranslator<TOuterFormat>(outer, address);
            Unsafe.SkipInit(out NoTrace none); // no state: nothing to initialize
            return GuestWalker<TFormat, NoTrace>.Walk(in _context, address, access, rflags, pkru, ref none, ref translator);
        }

        // Its own method for the same reason: one 2-D walk per method fits the inlining budget, two did not.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private WalkResult WalkNestedTraced<TFormat, TOuterFormat>(PageWalker outer, ulong address, ulong access, ulong rflags, uint pkru, WalkTrace trace)
            where TFormat : struct, IPagingFormat
            where TOuterFormat : struct, IPagingFormat
        {
            var translator = new NestedTdpTranslator<TOuterFormat>(outer, address);
            return GuestWalker<TFormat, WalkTrace>.Walk(in _context, address, access, rflags, pkru, ref trace, ref translator);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private WalkResult Walk<TFormat>(ulong address, ulong access, ulong rflags, uint pkru, WalkTrace? trace)
            where TFormat : struct, IPagingFormat
        {
            if (TranslateThrough is { } outer)
            {
                // The outer format is fixed for the whole walk: pick its walker once (KVM calls
                // mmu->translate_gpa → the outer mmu's gva_to_gpa, one indirect call per table address).
                return outer.Mode switch
                {
                    PagingMode.Ept4 => WalkNested<TFormat, Ept4Format>(outer, address, access, rflags, pkru, trace),
                    PagingMode.Ept5 => WalkNested<TFormat, Ept5Format>(outer, address, access, rflags, pkru, trace),
                    PagingMode.Long4 => WalkNested<TFormat, Long4Format>(outer, address, access, rflags, pkru, trace),
                    PagingMode.Long5 => WalkNested<TFormat, Long5Format>(outer, address, access, rflags, pkru, trace),
                    PagingMode.Pae => WalkNested<TFormat, PaeFormat>(outer, address, access, rflags, pkru, trace),
                    PagingMode.Legacy32 => WalkNested<TFormat, Legacy32Format>(outer, address, access, rflags, pkru, trace),
                    _ => WalkNested<TFormat, NoPagingFormat>(outer, address, access, rflags, pkru, trace),
                };
            }

            if (trace is null)
            {
                Unsafe.SkipInit(out NoTrace none); // no state: nothing to initialize
                return GuestWalker<TFormat, NoTrace>.Walk(in _context, address, access, rflags, pkru, ref none);
            }

            return GuestWalker<TFormat, WalkTrace>.Walk(in _context, address, access, rflags, pkru, ref trace);
        }
    }
}
