using System.Diagnostics;
using System.Text;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Sweeps;

/// <summary>The expectation of a case from its flags and the PTE/PDE as laid (the shape of <see cref="AccessOracle.Expect"/>).</summary>
internal delegate AccessExpectation AccessOracleFunction(AccessCase flags, ulong pteBefore, ulong pdeBefore);

/// <summary>
/// Runs access.c's main loop against the real model: for every legal case, lay the PTE/PDE/PDPTE into guest
/// memory, load the registers, perform the access (twice with "twice") through <c>Vcpu.Access</c>, read the
/// PTE and PDE back and compare with <see cref="AccessOracle"/>.
/// </summary>
/// <remarks>
/// One VM serves every case, as access.c reuses its page tables: each case rewrites the entries on its walk
/// (a handful of 8-byte stores) and reloads the registers only when a CPU flag changed; those flags sit in
/// the high bits, so in access.c's order they change rarely. The loop allocates nothing per case.
/// </remarks>
public sealed class AccessSweep
{
    private const int ProgressCheckInterval = 4096;
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromMilliseconds(250);

    private readonly Vm _vm;
    private readonly Vcpu _vcpu;
    private readonly GuestMemory _memory;

    // The per-case path's addresses and fixed entries, in fields (computed once; not indexed from an array).
    private readonly ulong _pteAddress;
    private readonly ulong _pdeAddress;
    private readonly ulong _pdpteAddress;
    private readonly ulong _pml4eAddress;
    private readonly ulong _pml5eAddress;
    private readonly ulong _pml4e;
    private readonly ulong _pml5e;
    private readonly AccessOracleFunction? _oracle;
    private AccessCase _loadedRegisterFlags;
    private bool _registersLoaded;
    private long _legalCases = -1;

    /// <summary>Creates a sweep (and its VM) for <paramref name="options"/>.</summary>
    public AccessSweep(AccessSweepOptions options)
        : this(options, oracle: null)
    {
    }

    /// <summary>A sweep checked by another oracle (tests inject broken ones to see mismatches reported).</summary>
    internal AccessSweep(AccessSweepOptions options, AccessOracleFunction? oracle)
    {
        ArgumentNullException.ThrowIfNull(options);
        _oracle = oracle;
        Options = options;
        Space = new AccessCaseSpace(options.MaxPhyAddr, options.Pku);
        Layout = new AccessLayout(options.Levels);
        TdpMode tdp = options.Tdp ?? TdpMode.None;
        Vm vm = Vm.Create(new VmConfig(tdp == TdpMode.Npt ? Vendor.Amd : Vendor.Intel, options.MaxPhyAddr, AccessLayout.MinimumMemory, tdp), options.Layout);
        vm.BuildsPageTables = options.BuildsPageTables;
        _vm = vm;
        _vcpu = vm.Vcpu;
        _memory = vm.Memory;
        _pteAddress = Layout.EntryAddress(1);
        _pdeAddress = Layout.EntryAddress(2);
        _pdpteAddress = Layout.EntryAddress(3);
        _pml4eAddress = Layout.EntryAddress(4);
        _pml4e = Layout.Entry(AccessCase.None, 4);
        if (Layout.Levels == 5)
        {
            _pml5eAddress = Layout.EntryAddress(5);
            _pml5e = Layout.Entry(AccessCase.None, 5);
        }

        _memory.TryWriteU64(AccessLayout.DataPhys, AccessLayout.DataWord);
    }

    /// <summary>What this sweep covers.</summary>
    public AccessSweepOptions Options { get; }

    /// <summary>The flag space (MAXPHYADDR and PKU rules).</summary>
    public AccessCaseSpace Space { get; }

    /// <summary>Where the cases live in guest memory.</summary>
    public AccessLayout Layout { get; }

    /// <summary>
    /// Runs the selected cases. Stops at the first mismatch unless <see cref="AccessSweepOptions.KeepGoing"/>.
    /// </summary>
    /// <param name="progress">Called from the loop at most every 250 ms (and not at all for short runs).</param>
    /// <param name="cancellationToken">Stops the loop early; the result counts the cases run so far.</param>
    public AccessSweepResult Run(Action<AccessSweepProgress>? progress = null, CancellationToken cancellationToken = default)
        => Run(progress, s_progressInterval, cancellationToken);

    /// <summary>Like <see cref="Run(Action{AccessSweepProgress}?, CancellationToken)"/> with a chosen progress interval.</summary>
    /// <param name="progress">Called from the loop every 4096 cases once <paramref name="progressInterval"/> has passed.</param>
    /// <param name="progressInterval">Minimum time between two reports (zero: every 4096 cases).</param>
    /// <param name="cancellationToken">Stops the loop early; the result counts the cases run so far.</param>
    /// <param name="onCase">Called with every case run and what the model did (e.g. to tally outcomes for charts).</param>
    // Fully optimized from the first call, like the per-case methods: it is called once per sweep and spends the whole
    // sweep in its loop, so its ReadyToRun code (the enumeration not inlined) would be what a short sweep times.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public AccessSweepResult Run(Action<AccessSweepProgress>? progress, TimeSpan progressInterval, CancellationToken cancellationToken = default, Action<AccessCase, AccessObservation>? onCase = null)
    {
        // Counting walks the whole enumeration once (a few ms without PKU); keep it for later runs.
        long legal = _legalCases >= 0 ? _legalCases : _legalCases = Space.CountLegal();
        AccessShard shard = Options.EffectiveShard;
        long planned = (legal - shard.Index + shard.Count - 1) / shard.Count;
        if (Options.Limit is long limit && limit < planned)
        {
            planned = Math.Max(0, limit);
        }

        long run = 0;
        long mismatches = 0;
        long ordinal = 0;
        AccessMismatch? first = null;
        var stopwatch = Stopwatch.StartNew();
        TimeSpan lastReport = TimeSpan.Zero;
        AccessCase flags = AccessCase.None;
        do
        {
            if (run >= planned || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (!shard.Includes(ordinal++))
            {
                continue;
            }

            run++;
            bool agrees = RunAndCheck(flags, out AccessExpectation expected, out AccessObservation observed, out string? reason);
            onCase?.Invoke(flags, observed);
            if (!agrees)
            {
                mismatches++;
                if (first is null)
                {
                    stopwatch.Stop();
                    first = DescribeMismatch(flags, expected, observed, reason!);
                    stopwatch.Start();
                }

                if (!Options.KeepGoing)
                {
                    break;
                }
            }

            if (progress is not null && (run % ProgressCheckInterval) == 0 && stopwatch.Elapsed - lastReport >= progressInterval)
            {
                lastReport = stopwatch.Elapsed;
                progress(new AccessSweepProgress(run, planned, lastReport));
            }
        }
        while (Space.TryBump(ref flags));

        stopwatch.Stop();
        return new AccessSweepResult(Options, legal, planned, run, mismatches, stopwatch.Elapsed, first);
    }

    /// <summary>Runs one case and compares it with the oracle.</summary>
    /// <returns><see langword="true"/> when the model agrees.</returns>
    // Fully optimized from the first case (no ReadyToRun or tier-0 code while tiering catches up): with --jobs every
    // job would run the slow code for the same wall time. See docs/benchmarks.md.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool RunAndCheck(AccessCase flags, out AccessExpectation expected, out AccessObservation observed, out string? reason)
    {
        ExecuteInto(flags, trace: null, out observed, out ulong pteBefore, out ulong pdeBefore, out string? setupError);
        // Two assignments, not one conditional expression: joined, both results went through one temporary and a
        // 32-byte copy of it (the store-forwarding stall ExecuteInto avoids).
        if (_oracle is null)
        {
            expected = AccessOracle.Expect(flags, pteBefore, pdeBefore);
        }
        else
        {
            expected = _oracle(flags, pteBefore, pdeBefore);
        }

        if (setupError is null
            && AccessChecker.Agrees(flags, expected, observed, AccessLayout.DataPhys, AccessLayout.TestAddress)
            && !(_vm.BuildsPageTables && _vm.Mmu.RetryFailures.Count > 0))
        {
            // The common case, with no string built (and none stored: a constant null needs no GC write barrier).
            reason = null;
            return true;
        }

        reason = Disagreement(flags, expected, observed, setupError);
        return reason is null;
    }

    /// <summary>Why a case failed: the setup error, the checker's first difference, or a shadow/TDP retry failure.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private string? Disagreement(AccessCase flags, in AccessExpectation expected, in AccessObservation observed, string? setupError)
    {
        string? reason = setupError ?? AccessChecker.Compare(flags, expected, observed, AccessLayout.DataPhys, AccessLayout.TestAddress);
        if (reason is null && _vm.BuildsPageTables && _vm.Mmu.RetryFailures.Count > 0)
        {
            // The guest-visible result is right, but the SPTEs KVM built for it would not let the access through.
            reason = "shadow/TDP MMU: " + _vm.Mmu.RetryFailures[0];
            _vm.Mmu.RetryFailures.Clear();
        }

        return reason;
    }

    /// <summary>
    /// Lays out <paramref name="flags"/>, performs its access(es) and reads the PTE/PDE back.
    /// </summary>
    /// <param name="flags">The case.</param>
    /// <param name="trace">Receives the walk of every access (null: the untraced fast path).</param>
    /// <param name="pteBefore">The PTE as laid (0 with a 2 MiB PDE).</param>
    /// <param name="pdeBefore">The PDE as laid.</param>
    /// <param name="setupError">Why the case could not be set up (the model refused the registers or memory).</param>
    public AccessObservation Execute(AccessCase flags, WalkTrace? trace, out ulong pteBefore, out ulong pdeBefore, out string? setupError)
    {
        ExecuteInto(flags, trace, out AccessObservation observed, out pteBefore, out pdeBefore, out setupError);
        return observed;
    }

    /// <summary>
    /// <see cref="Execute"/> writing the observation through <paramref name="observed"/>: returned by value, it went
    /// through a temporary that <see cref="RunAndCheck"/> then copied to its <c>out</c> parameter with 32-byte loads of
    /// what had just been written as 8-byte stores, which the CPU cannot forward (a stall per case, 10-15 % of the
    /// sweep in a profile).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void ExecuteInto(AccessCase flags, WalkTrace? trace, out AccessObservation observed, out ulong pteBefore, out ulong pdeBefore, out string? setupError)
    {
        setupError = null;
        AccessCase registerFlags = flags & AccessLayout.RegisterFlags;
        if (!_registersLoaded || registerFlags != _loadedRegisterFlags)
        {
            RegisterWrite write = _vcpu.LoadState(AccessReproduction.Registers(flags, Layout));
            if (!write.Ok)
            {
                _registersLoaded = false;
                setupError = $"the model refused the case's registers: {write.Error}";
                pteBefore = 0;
                pdeBefore = 0;
                observed = default;
                return;
            }

            _registersLoaded = true;
            _loadedRegisterFlags = registerFlags;
        }

        // access.c ac_test_setup_ptes writes every entry of the walk, top down. Entries above the PDE are
        // rewritten too so that A bits set by the previous case's walk do not leak into this one. Those above
        // the PDPTE never change: they were computed once, in the constructor.
        bool largePage = (flags & AccessCase.PdePse) != 0;
        bool stored = true;
        if (Layout.Levels == 5)
        {
            stored &= _memory.TryWriteU64(_pml5eAddress, _pml5e);
        }

        stored &= _memory.TryWriteU64(_pml4eAddress, _pml4e);
        stored &= _memory.TryWriteU64(_pdpteAddress, Layout.Pdpte(flags));
        pdeBefore = Layout.Pde(flags);
        stored &= _memory.TryWriteU64(_pdeAddress, pdeBefore);
        pteBefore = 0;
        if (!largePage)
        {
            pteBefore = AccessLayout.Pte(flags);
            stored &= _memory.TryWriteU64(_pteAddress, pteBefore);
        }

        if (!stored)
        {
            setupError = "guest memory refused a paging-entry store";
            observed = default;
            return;
        }

        if (_vm.BuildsPageTables)
        {
            // access.c's stores into its page tables are guest writes: shadowed tables are write-protected, so KVM
            // emulates them and kvm_mmu_track_write drops the SPTEs that shadow the entries.
            for (int level = Layout.Levels; level >= 1; level--)
            {
                _vm.Mmu.TrackWrite(Layout.EntryAddress(level), 8);
            }
        }

        // access.c ac_set_expected_status: invlpg(at->virt) before every case.
        _vcpu.Invlpg(AccessLayout.TestAddress);

        if ((flags & AccessCase.AccessTwice) != 0)
        {
            // The first, supervisor read's outcome is not checked (access.c sets fault = 0 after it).
            _vcpu.Access(AccessLayout.TestAddress, AccessKind.Read, 0, false, trace);
        }

        WalkResult result = _vcpu.Access(
            AccessLayout.TestAddress,
            AccessReproduction.KindOf(flags),
            AccessReproduction.CplOf(flags),
            false,
            trace);

        _memory.TryReadU64(_pdeAddress, out ulong pdeAfter);
        ulong pteAfter = 0;
        if (!largePage)
        {
            _memory.TryReadU64(_pteAddress, out pteAfter);
        }

        bool fault = result.Outcome == WalkOutcome.PageFault;
        observed = new AccessObservation(
            result.Outcome,
            fault ? (ulong)result.ErrorCode : 0,
            fault ? result.FaultAddress : 0,
            result.Outcome == WalkOutcome.Ok ? result.Gpa : 0,
            pteAfter,
            pdeAfter);
    }

    /// <summary>
    /// Builds the report of a disagreement: reproduction line, mapping, and the model's walk trace
    /// (the case is run again with tracing on).
    /// </summary>
    public AccessMismatch DescribeMismatch(AccessCase flags, AccessExpectation expected, AccessObservation observed, string reason)
    {
        string line = AccessReproduction.ToJsonLine(AccessReproduction.Build(flags, Layout, Options.MaxPhyAddr));

        var mapping = new StringBuilder();
        for (int level = Layout.Levels; level >= AccessLayout.LeafLevel(flags); level--)
        {
            // access.c dump_mapping prints "------L%d I%lu: %lx" per level.
            mapping.Append($"    L{level} I{AccessLayout.Index(AccessLayout.TestAddress, level)} @0x{Layout.EntryAddress(level):x}: 0x{Layout.Entry(flags, level):x}\n");
        }

        var trace = new WalkTrace();
        Execute(flags, trace, out _, out _, out string? setupError);
        var dump = new StringBuilder();
        if (setupError is not null)
        {
            dump.Append("    (").Append(setupError).Append(")\n");
        }

        foreach (TraceEntry entry in trace.Entries)
        {
            dump.Append("    ").Append(entry.ToString()).Append('\n');
        }

        if (trace.Count == 0)
        {
            dump.Append("    (no paging-structure accesses)\n");
        }

        return new AccessMismatch(flags, Layout.Levels, Options.MaxPhyAddr, reason, expected, observed, line, mapping.ToString(), dump.ToString());
    }
}
