using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Shadow;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>Which set of page tables a mapping goes into.</summary>
public enum MapTables
{
    /// <summary>The running level's own tables (rooted at its CR3): L2's when an L2 exists, else L1's.</summary>
    Guest,

    /// <summary>L1's own tables (rooted at L1's CR3), also when an L2 exists.</summary>
    L1,

    /// <summary>L1's EPT or NPT tables for L2 (L2 GPA → L1 GPA).</summary>
    Tdp,
}

/// <summary>One 64-bit word a mapping wrote.</summary>
/// <param name="Gpa">Where (an L1 guest-physical address).</param>
/// <param name="Before">Its value before.</param>
/// <param name="After">Its value after.</param>
public readonly record struct MemoryWrite(ulong Gpa, ulong Before, ulong After);

/// <summary>What a mapping did: which tables, the range, the leaf bits, and every word written (tables included).</summary>
/// <param name="Guest">The guest's name.</param>
/// <param name="Tables">Which tables.</param>
/// <param name="Mode">Their format.</param>
/// <param name="Address">The input address (GVA, or L2 GPA for EPT/NPT tables).</param>
/// <param name="Target">The output address (GPA, or L1 GPA).</param>
/// <param name="Size">Bytes mapped by the leaf.</param>
/// <param name="Leaf">The raw leaf entry written.</param>
/// <param name="Writes">Every word written, in order: new tables' entries, the leaf, and L1's EPT/NPT backing.</param>
/// <param name="AsSteps">The words went into <c>poke</c> steps (the guest had run steps already) rather than its initial memory.</param>
public sealed record MapReport(string Guest, MapTables Tables, PagingMode Mode, ulong Address, ulong Target, ulong Size, ulong Leaf, ImmutableArray<MemoryWrite> Writes, bool AsSteps);

/// <summary>
/// An experiment built and run one command at a time, as a notebook does: <c>#!mmu-guest</c> creates it,
/// <c>#!mmu-map</c> writes page tables into guest memory (placing tables as an OS would), <c>#!mmu-access</c> and the
/// other steps run on a live VM. Everything it does is recorded as an <see cref="Experiment"/> — initial memory and
/// registers, the L2 guest, then steps — and every step runs through <see cref="ExperimentRunner.RunStep"/>, so the
/// saved experiment replays bit for bit (<see cref="ExperimentRunner.Run"/> gives the same results).
/// <para>
/// Before the first step, changes edit the initial state and the VM is rebuilt from it; after, memory writes become
/// <c>poke</c> steps. Page tables are taken top-down from the highest 4 KiB page below min(memory, 4 GiB), as Linux's
/// memblock allocates top-down, and skip pages that hold data or were mapped as data.
/// </para>
/// </summary>
public sealed class LiveExperiment
{
    private const ulong PageSize = 4096;
    private const ulong FourGiB = 1UL << 32;

    private readonly SortedDictionary<ulong, ulong> _initialMemory = new();
    private readonly List<ExperimentStep> _steps = new();
    private readonly List<StepResult> _results = new();
    private readonly List<(ulong Start, ulong End)> _l1Claimed = new();
    private readonly List<(ulong Start, ulong End)> _l2Claimed = new();
    private readonly Dictionary<ulong, ulong> _l2Backing = new();
    private CpuRegisters _vcpu;
    private NestedGuest? _nested;
    private Vm? _vm;
    private ulong _l1Cursor;
    private ulong _l2Cursor;
    private List<MemoryWrite>? _writeLog;

    private LiveExperiment(string name, VmConfig config, string variant)
    {
        Name = name;
        Config = config;
        Variant = variant;
        _l1Cursor = Math.Min(config.MemorySize, FourGiB);
        _l2Cursor = FourGiB;
    }

    /// <summary>The guest's name (the experiment's <c>"name"</c>).</summary>
    public string Name { get; }

    /// <summary>The VM's configuration.</summary>
    public VmConfig Config { get; }

    /// <summary>The context organization it runs under.</summary>
    public string Variant { get; }

    /// <summary>The friendly paging of L1 (from its registers).</summary>
    public GuestPaging L1Paging => GuestPagingNames.Of(_vcpu);

    /// <summary>The L2 guest, if one was built.</summary>
    public NestedGuest? Nested => _nested;

    /// <summary>Steps run so far.</summary>
    public int StepCount => _steps.Count;

    /// <summary>The results of the steps run so far.</summary>
    public IReadOnlyList<StepResult> Results => _results;

    /// <summary>The live VM (rebuilt from the initial state when that changed).</summary>
    public Vm Vm => _vm ??= ExperimentRunner.CreateVm(Experiment with { Steps = [] }, Variant);

    /// <summary>Everything done so far, as an experiment file would hold it.</summary>
    public Experiment Experiment => new()
    {
        Name = Name,
        Vm = Config,
        Memory = [.. _initialMemory.Where(w => w.Value != 0).Select(w => new MemoryEntry(w.Key, w.Value))],
        Vcpu = _vcpu,
        Nested = _nested,
        Steps = [.. _steps],
    };

    /// <summary>The card of the guest as it stands.</summary>
    public GuestCard Card => GuestCard.Of(Name, Vm, _steps.Count);

    /// <summary>
    /// Creates a guest: the VM, its L1 vCPU with <paramref name="setup"/>'s registers, and (with paging on) an empty
    /// top-level table at CR3.
    /// </summary>
    /// <exception cref="ExperimentFormatException">A setting is invalid (the field names it: <c>maxphyaddr</c>, <c>pke</c>, …).</exception>
    public static LiveExperiment Create(string name, VmConfig config, GuestSetup setup, string variant = ContextLayouts.Default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(setup);
        if (config.Check() is { } problem)
        {
            throw new ExperimentFormatException(problem.Field, problem.Message);
        }

        if (!ContextLayouts.Exists(variant))
        {
            throw new ExperimentFormatException("variant", $"'{variant}' is not registered; registered: {string.Join(", ", ContextLayouts.Names)}");
        }

        if (setup.Check() is { } switchProblem)
        {
            throw new ExperimentFormatException(switchProblem.Field, switchProblem.Message);
        }

        var live = new LiveExperiment(name, config, variant);
        ulong cr3 = setup.Paging == GuestPaging.None ? 0 : live.AllocateL1Page();
        live._vcpu = setup.Registers(cr3);
        live.CheckVm();
        return live;
    }

    /// <summary>
    /// Replays an experiment (from a file) into a live guest that can go on: its memory and registers, its L2, then
    /// each step in order.
    /// </summary>
    /// <exception cref="ExperimentFormatException">The experiment is invalid or a step cannot run.</exception>
    public static LiveExperiment Replay(Experiment experiment, string variant = ContextLayouts.Default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (ExperimentValidator.Validate(experiment) is { } invalid)
        {
            throw invalid;
        }

        var live = new LiveExperiment(experiment.Name ?? "experiment", experiment.Vm, variant)
        {
            _vcpu = experiment.Vcpu,
            _nested = experiment.Nested,
        };
        foreach (MemoryEntry entry in experiment.Memory)
        {
            live._initialMemory[entry.Gpa] = entry.Value;
        }

        live.CheckVm();
        foreach (ExperimentStep step in experiment.Steps)
        {
            live.Run(step);
        }

        return live;
    }

    /// <summary>
    /// Builds an L2 inside this guest and enters it (VM entry): L1 gets CR4.VMXE (VMX) or EFER.SVME (SVM), L2's own
    /// tables get an empty top-level table, and with <paramref name="l1Tdp"/> L1 gets EPT (VMX) or NPT (SVM) tables
    /// for L2 that back each L2 table page with an L1 page. Only before the first step: the experiment format
    /// enters L2 before its steps.
    /// </summary>
    /// <exception cref="ExperimentFormatException">The L2 cannot be built (names the field).</exception>
    public void EnterNested(NestedKind kind, bool l1Tdp, GuestSetup l2, EptCapabilities ept, int eptLevels = 4)
    {
        ArgumentNullException.ThrowIfNull(l2);
        ArgumentNullException.ThrowIfNull(ept);
        if (_steps.Count > 0)
        {
            throw new ExperimentFormatException("nested", $"the guest '{Name}' has run {_steps.Count} step(s); build the L2 right after creating the guest and mapping its memory (experiments enter L2 before their steps)");
        }

        if (_nested is not null)
        {
            throw new ExperimentFormatException("nested", $"the guest '{Name}' has an L2 already; create a new guest for another one");
        }

        if (l2.Check() is { } problem)
        {
            throw new ExperimentFormatException(problem.Field, problem.Message);
        }

        if (eptLevels is not (4 or 5))
        {
            throw new ExperimentFormatException("ept-levels", $"{eptLevels} is neither 4 nor 5");
        }

        bool vmx = kind == NestedKind.Vmx;
        if (vmx != (Config.Vendor == Vendor.Intel))
        {
            // Checked first: the CR4.VMXE / EFER.SVME this sets would otherwise be refused as a reserved bit.
            throw new ExperimentFormatException("kind", vmx ? "vmx needs vendor intel (AMD CPUs have SVM)" : "svm needs vendor amd (Intel CPUs have VMX)");
        }

        if (!vmx && ept != new EptCapabilities())
        {
            throw new ExperimentFormatException("ept", "EPT capabilities (--ept-ad, --execonly, --mbec) apply to a VMX L2 only; SVM's NPT has none");
        }

        // Everything below is undone if the L2 cannot be entered, so a refused L2 leaves the guest as it was.
        var memoryBefore = new SortedDictionary<ulong, ulong>(_initialMemory);
        var claimedBefore = (_l1Claimed.ToList(), _l2Claimed.ToList(), new Dictionary<ulong, ulong>(_l2Backing), _l1Cursor, _l2Cursor);
        CpuRegisters l1Before = _vcpu;
        try
        {
            _vcpu = vmx ? _vcpu with { Cr4 = _vcpu.Cr4 | Cr4.VMXE } : _vcpu with { Efer = _vcpu.Efer | Efer.SVME };
            ulong tdpRoot = 0;
            if (l1Tdp)
            {
                ulong root = AllocateL1Page();
                tdpRoot = vmx ? root | ((ulong)(eptLevels - 1) << 3) | 6 | (ept.AccessedDirty ? 1UL << 6 : 0) : root;
            }

            // The L2 needs its TDP root before its tables can be allocated through it.
            _nested = new NestedGuest(kind, l1Tdp, tdpRoot, ept, Experiment.DefaultRegisters);
            ulong l2Cr3 = l2.Paging == GuestPaging.None ? 0 : AllocateL2Page();
            _nested = _nested with { Registers = l2.Registers(l2Cr3) };
            _vm = null;
            _ = Vm;
        }
        catch (ExperimentFormatException)
        {
            _vcpu = l1Before;
            _nested = null;
            _initialMemory.Clear();
            foreach (var (gpa, value) in memoryBefore)
            {
                _initialMemory[gpa] = value;
            }

            _l1Claimed.Clear();
            _l1Claimed.AddRange(claimedBefore.Item1);
            _l2Claimed.Clear();
            _l2Claimed.AddRange(claimedBefore.Item2);
            _l2Backing.Clear();
            foreach (var (page, backing) in claimedBefore.Item3)
            {
                _l2Backing[page] = backing;
            }

            (_l1Cursor, _l2Cursor) = (claimedBefore.Item4, claimedBefore.Item5);
            _vm = null;
            throw;
        }
    }

    /// <summary>
    /// Maps [<paramref name="address"/>, +<paramref name="size"/>) to <paramref name="target"/> in the chosen tables,
    /// creating tables on the way. For L2's tables under L1's EPT/NPT, the target L2 GPA is backed by L1 memory too
    /// (unless L1's tables map it already), as a hypervisor backs its guest's memory.
    /// </summary>
    /// <param name="tables">Which tables.</param>
    /// <param name="address">GVA (or L2 GPA for <see cref="MapTables.Tdp"/>), aligned to <paramref name="size"/>.</param>
    /// <param name="target">GPA (or L1 GPA), aligned to <paramref name="size"/>.</param>
    /// <param name="size">4K, 2M, 4M (32-bit with PSE) or 1G.</param>
    /// <param name="leafBits">The leaf's bits (x86: P, R/W, U/S, A, D, NX…; EPT: R, W, X, XU, memory type, A, D).</param>
    /// <param name="protectionKey">Protection key (x86 4/5-level and PAE leaves).</param>
    /// <exception cref="ExperimentFormatException">The mapping is impossible (names the field).</exception>
    public MapReport Map(MapTables tables, ulong address, ulong target, ulong size, ulong leafBits, int protectionKey = 0)
    {
        (PageTableBuilder builder, bool l2Space) = Builder(tables);
        bool asSteps = _steps.Count > 0;
        _writeLog = new List<MemoryWrite>();
        try
        {
            if (builder.Kind.IsEpt())
            {
                builder.MapEpt(address, target, size, (EptFlags)leafBits);
            }
            else
            {
                builder.Map(address, target, size, (PteFlags)leafBits, protectionKey);
            }

            (l2Space ? _l2Claimed : _l1Claimed).Add((target, target + size));
            if (l2Space)
            {
                BackL2Range(target, size);
            }

            ulong leaf = ReadLeaf(builder, l2Space, address, size);
            return new MapReport(Name, tables, builder.Kind, address, target, size, leaf, [.. _writeLog], asSteps);
        }
        catch (Exception problem) when (problem is ArgumentException or InvalidOperationException)
        {
            throw new ExperimentFormatException(FieldOf(problem), problem is ArgumentException argument ? StripParamName(argument) : problem.Message);
        }
        finally
        {
            _writeLog = null;
        }
    }

    /// <summary>Runs a step on the live VM and records it; a step that cannot run is not recorded.</summary>
    /// <exception cref="ExperimentFormatException">The step cannot run in this state (names the field).</exception>
    public StepResult Run(ExperimentStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        int index = _steps.Count;
        StepResult result;
        try
        {
            result = ExperimentRunner.RunStep(Vm, step, index, _nested is null ? 1 : 2, new RunOptions(Trace: true, Layout: Variant));
        }
        catch (ExperimentFormatException)
        {
            // The failed step may have switched levels: rebuild the VM from what was recorded, so live = replay.
            RebuildFromSteps();
            throw;
        }

        _steps.Add(step);
        _results.Add(result);
        return result;
    }

    /// <summary>
    /// Runs an access (or a store) and reports it with the SPTEs KVM built or changed for it.
    /// </summary>
    public AccessReport Access(ExperimentStep step)
    {
        if (step is not (AccessStep or StoreStep))
        {
            throw new ArgumentException("an access or store step", nameof(step));
        }

        int level = step.Level ?? (_nested is null ? 1 : 2);
        Dictionary<(string, ulong, int, uint, int), ulong> before = SpteSnapshot(out HashSet<(string, ulong, int, uint)> pagesBefore);
        var result = (AccessResult)Run(step);
        PagingMode mode = GuestSetup.ModeOf(GuestPagingNames.Of(LevelRegisters(level)));
        PagingMode nestedMode = level == 2 && _nested!.L1Tdp ? TdpTablesMode() : PagingMode.None;
        var changes = ImmutableArray.CreateBuilder<SpteChange>();
        var formats = new Dictionary<string, string>();
        foreach (var (key, value) in SpteSnapshot(out _, formats))
        {
            ulong old = before.GetValueOrDefault(key);
            if (old != value)
            {
                changes.Add(new SpteChange(key.Item1, key.Item2, key.Item3, key.Item4, !pagesBefore.Contains((key.Item1, key.Item2, key.Item3, key.Item4)), key.Item5, old, value, formats[key.Item1]));
            }
        }

        return new AccessReport(Name, step, level, mode, nestedMode, result.Walk, result.Trace, result.Contexts ?? default, changes.ToImmutable());
    }

    /// <summary>
    /// A <c>gva_to_gpa</c> through one walker of the organization, for inspection: it is not a step, and the A/D
    /// bits the walk set are written back to their old values (KVM's emulator walks do set them; this shows what
    /// they would set without changing the guest).
    /// </summary>
    /// <param name="gva">The address.</param>
    /// <param name="access">PFERR_* bits of the access (W, U, F).</param>
    /// <param name="walker">The walker's name (default: the one serving the running guest).</param>
    /// <exception cref="ExperimentFormatException">No walker has that name (field <c>walker</c>).</exception>
    public WalkReport Walk(ulong gva, ulong access, string? walker = null)
    {
        ContextLayout layout = Vm.Vcpu.Contexts;
        PageWalker chosen = walker is null
            ? layout.ActiveWalker
            : layout.FindWalker(walker) ?? throw new ExperimentFormatException("walker", $"'{walker}' is not a walker of {layout.Name}; its walkers: {string.Join(", ", layout.Walkers.Select(w => w.Name))}");
        var trace = new WalkTrace();
        CpuRegisters registers = Vm.Vcpu.Registers;
        WalkResult result = chosen.GvaToGpa(gva, access, registers.Rflags, registers.Pkru, trace);
        UndoWrites(trace.Entries);
        return new WalkReport(Name, chosen.Name, gva, access, result, [.. trace.Entries], chosen.Mode, chosen.TranslateThrough?.Mode ?? PagingMode.None);
    }

    /// <summary>Every MMU object's roots, shadow pages and SPTEs (the active one first); not a step.</summary>
    public DumpReport Dump()
    {
        ContextLayout layout = Vm.Vcpu.Contexts;
        IEnumerable<MmuContext> order = new[] { layout.ActiveMmu }.Concat(layout.Mmus.Where(m => !ReferenceEquals(m, layout.ActiveMmu)));
        return new DumpReport(Name, layout.Name, [.. order.Where(m => m.Root is not null || m.PrevRoots.Count > 0).Select(m => MmuDump.Of(Vm, m))]);
    }

    /// <summary>The GPA of the entry translating <paramref name="address"/> at <paramref name="level"/> in the chosen tables (L1 GPA), or null.</summary>
    public ulong? EntryGpa(MapTables tables, ulong address, int level)
    {
        (PageTableBuilder builder, bool l2Space) = Builder(tables);
        ulong? entry = builder.EntryGpa(address, level);
        return entry is { } gpa && l2Space ? TranslateL2(gpa) : entry;
    }

    /// <summary>Reads a 64-bit word of L1 guest-physical memory as it stands (initial memory before the first step).</summary>
    public ulong ReadL1(ulong gpa) =>
        _steps.Count == 0 ? _initialMemory.GetValueOrDefault(gpa & ~7UL) : Vm.Memory.TryReadU64(gpa & ~7UL, out ulong value) ? value : 0;

    /// <summary>Writes a 64-bit word of L1 memory: into the initial memory before the first step, as a <c>poke</c> step after.</summary>
    /// <exception cref="ExperimentFormatException">The address is outside guest memory (field <c>gpa</c>).</exception>
    public void WriteL1(ulong gpa, ulong value)
    {
        ulong word = gpa & ~7UL;
        if (word > Config.MemorySize - 8)
        {
            throw new ExperimentFormatException("gpa", $"0x{gpa:x} is outside guest memory (0 .. 0x{Config.MemorySize - 1:x})");
        }

        _writeLog?.Add(new MemoryWrite(word, ReadL1(word), value));
        if (_steps.Count == 0)
        {
            _initialMemory[word] = value;
            _vm = null;
        }
        else
        {
            Run(new PokeStep(word, value));
        }
    }

    /// <summary>Sets L1's initial registers (before the first step; afterwards use a <c>set</c> step).</summary>
    public void SetInitialRegisters(CpuRegisters registers)
    {
        if (_steps.Count > 0)
        {
            throw new InvalidOperationException("the guest has run steps; register writes are set steps now");
        }

        CpuRegisters before = _vcpu;
        _vcpu = registers;
        _vm = null;
        try
        {
            _ = Vm;
        }
        catch (ExperimentFormatException)
        {
            _vcpu = before;
            _vm = null;
            throw;
        }
    }

    /// <summary>
    /// A zeroed range for data in the address space of the running level's tables (L2 GPAs under L1's EPT/NPT,
    /// backed by L1 memory when mapped; else L1 GPAs), aligned to its size, taken top-down like the tables.
    /// </summary>
    public ulong AllocateData(ulong size)
    {
        if (_nested is not { L1Tdp: true })
        {
            return AllocateL1Range(size);
        }

        while (true)
        {
            _l2Cursor = (_l2Cursor - size) & ~(size - 1);
            if (!Overlaps(_l2Claimed, _l2Cursor, _l2Cursor + size))
            {
                _l2Claimed.Add((_l2Cursor, _l2Cursor + size));
                return _l2Cursor;
            }
        }
    }

    /// <summary>The registers of a level as they stand (L2's while L1 runs are the ones saved at the last exit).</summary>
    public CpuRegisters LevelRegisters(int level)
    {
        if (level == 1 && _nested is null)
        {
            return _steps.Count == 0 ? _vcpu : Vm.Vcpu.Registers;
        }

        Vcpu vcpu = Vm.Vcpu;
        return level == 1 ? vcpu.L1Registers : vcpu.IsGuestMode ? vcpu.Registers : (vcpu.Nested ?? _nested!).Registers;
    }

    private void CheckVm()
    {
        _vm = null;
        _ = Vm;
    }

    private void RebuildFromSteps()
    {
        _vm = null;
        Vm vm = Vm;
        for (int i = 0; i < _steps.Count; i++)
        {
            ExperimentRunner.RunStep(vm, _steps[i], i, _nested is null ? 1 : 2, new RunOptions(Layout: Variant));
        }
    }

    private (PageTableBuilder Builder, bool L2Space) Builder(MapTables tables)
    {
        bool hasL2 = _nested is not null;
        switch (tables)
        {
            case MapTables.Tdp:
                if (_nested is not { L1Tdp: true })
                {
                    throw new ExperimentFormatException("tdp-tables", hasL2
                        ? "L1 shadows L2's page tables (l1-tdp off): it has no EPT/NPT tables for L2"
                        : $"the guest '{Name}' has no L2; build one with #!mmu-nested first");
                }

                return (TdpTablesBuilder(), false);
            case MapTables.Guest when hasL2:
                CpuRegisters l2 = _nested!.Registers;
                if ((l2.Cr0 & Cr0.PG) == 0)
                {
                    throw new ExperimentFormatException("gva", "L2 runs with paging off (GVA = GPA): there are no L2 tables to map in; use --level 1 for L1's tables");
                }

                var l2Mode = GuestSetup.ModeOf(GuestPagingNames.Of(l2));
                return (new PageTableBuilder(l2Mode, _nested.L1Tdp ? new L2Memory(this) : new L1Memory(this), l2.Cr3 & CrRootMask(l2Mode)), _nested.L1Tdp);
            default:
                GuestPaging paging = L1Paging;
                if (paging == GuestPaging.None)
                {
                    throw new ExperimentFormatException("gva", "L1 runs with paging off (GVA = GPA): there are no page tables to map in");
                }

                PagingMode mode = GuestSetup.ModeOf(paging);
                return (new PageTableBuilder(mode, new L1Memory(this), _vcpu.Cr3 & CrRootMask(mode)), false);
        }
    }

    private static ulong CrRootMask(PagingMode mode) => mode == PagingMode.Pae ? 0xFFFF_FFE0UL : 0x000F_FFFF_FFFF_F000UL;

    /// <summary>L1's EPT tables for a VMX L2 (4 or 5 levels per EPTP), or its NPT tables in L1's own mode (SVM: nCR3 is walked in L1's paging mode, APM 15.25.5).</summary>
    private PagingMode TdpTablesMode()
    {
        if (_nested!.Kind == NestedKind.Vmx)
        {
            return _nested.Eptp.Levels == 5 ? PagingMode.Ept5 : PagingMode.Ept4;
        }

        GuestPaging l1 = L1Paging;
        return l1 == GuestPaging.None ? PagingMode.Legacy32 : GuestSetup.ModeOf(l1);
    }

    private ulong ReadLeaf(PageTableBuilder builder, bool l2Space, ulong address, ulong size)
    {
        int level = size switch { PageSize => 1, 1UL << 30 => 3, _ => 2 };
        if (builder.EntryGpa(address, level) is not { } gpa)
        {
            return 0;
        }

        return ReadEntry(l2Space ? TranslateL2(gpa) ?? gpa : gpa, builder.Kind);
    }

    /// <summary>The entry at an L1 GPA in tables of <paramref name="mode"/>: 4 bytes for 32-bit paging, else 8.</summary>
    public ulong ReadEntry(ulong gpa, PagingMode mode)
    {
        ulong word = ReadL1(gpa);
        return mode == PagingMode.Legacy32 ? (word >> (int)((gpa & 4) * 8)) & 0xFFFF_FFFFUL : word;
    }

    /// <summary>A builder over L1's EPT/NPT tables for L2, rooted at EPTP12 / nCR3.</summary>
    private PageTableBuilder TdpTablesBuilder() =>
        new(TdpTablesMode(), new L1Memory(this), _nested!.TdpRoot & 0x000F_FFFF_FFFF_F000UL);

    private void BackL2Range(ulong l2Gpa, ulong size)
    {
        // A 4 MiB 32-bit page is backed by two 2 MiB EPT/NPT pages (TDP tables have no 4 MiB leaf).
        ulong chunk = size == 4UL << 20 ? 2UL << 20 : size;
        for (ulong offset = 0; offset < size; offset += chunk)
        {
            if (TranslateL2(l2Gpa + offset) is null)
            {
                ulong l1 = AllocateL1Range(chunk);
                MapTdp(l2Gpa + offset, l1, chunk);
            }
        }
    }

    private void MapTdp(ulong l2Gpa, ulong l1Gpa, ulong size)
    {
        PageTableBuilder builder = TdpTablesBuilder();
        if (builder.Kind.IsEpt())
        {
            builder.MapEpt(l2Gpa, l1Gpa, size, EptFlags.All | EptFlags.WriteBack);
        }
        else
        {
            // NPT walks are user walks: the leaf needs U; W lets L2's A/D updates through (as NestedSetup).
            builder.Map(l2Gpa, l1Gpa, size, PteFlags.Present | PteFlags.Write | PteFlags.User);
        }
    }

    /// <summary>The L1 GPA an L2 GPA reaches through L1's EPT/NPT tables (ignoring permissions), or null.</summary>
    private ulong? TranslateL2(ulong l2Gpa)
    {
        if (_l2Backing.TryGetValue(l2Gpa & ~(PageSize - 1), out ulong page))
        {
            return page | (l2Gpa & (PageSize - 1));
        }

        PageTableBuilder builder = TdpTablesBuilder();
        for (int level = 1; level <= Math.Min(3, builder.RootLevel); level++)
        {
            if (builder.EntryGpa(l2Gpa, level) is not { } entryGpa)
            {
                continue;
            }

            ulong entry = ReadEntry(entryGpa, builder.Kind);

            bool present = builder.Kind.IsEpt() ? (entry & 7) != 0 : (entry & 1) != 0;
            bool leaf = level == 1 || (entry & (1UL << 7)) != 0;
            if (present && leaf)
            {
                ulong pageSize = 1UL << (12 + (9 * (level - 1)));
                ulong mask = builder.Kind == PagingMode.Legacy32 ? 0xFFFF_F000UL : 0x000F_FFFF_FFFF_F000UL;
                return ((entry & mask) & ~(pageSize - 1)) | (l2Gpa & (pageSize - 1));
            }
        }

        return null;
    }

    private ulong AllocateL1Page() => AllocateL1Range(PageSize);

    /// <summary>A zeroed range of L1 memory below 4 GiB, aligned to its size, taken top-down (tables, backing, data).</summary>
    public ulong AllocateL1Range(ulong size)
    {
        while (true)
        {
            if (_l1Cursor < size + PageSize)
            {
                throw new ExperimentFormatException("memory", $"guest memory below 4G is full: no {size / 1024}K left for page tables or L2 memory");
            }

            ulong start = (_l1Cursor - size) & ~(size - 1);
            _l1Cursor = start;
            if (!Overlaps(_l1Claimed, start, start + size) && IsZero(start, size))
            {
                _l1Claimed.Add((start, start + size));
                return start;
            }
        }
    }

    private ulong AllocateL2Page()
    {
        if (!_nested!.L1Tdp)
        {
            // Without L1 TDP, L2's "GPAs" are L1 GPAs: L1 shadows L2's tables, which live in L1 memory.
            return AllocateL1Page();
        }

        while (true)
        {
            _l2Cursor -= PageSize;
            if (!Overlaps(_l2Claimed, _l2Cursor, _l2Cursor + PageSize))
            {
                ulong page = _l2Cursor;
                _l2Claimed.Add((page, page + PageSize));
                if (_nested!.L1Tdp)
                {
                    ulong backing = AllocateL1Page();
                    _l2Backing[page] = backing;
                    MapTdp(page, backing, PageSize);
                }

                return page;
            }
        }
    }

    private static bool Overlaps(List<(ulong Start, ulong End)> ranges, ulong start, ulong end) =>
        ranges.Any(r => r.Start < end && start < r.End);

    private bool IsZero(ulong start, ulong size)
    {
        // Large backing ranges are checked by their first page only (a whole 1G scan is pointless for sparse memory).
        for (ulong gpa = start; gpa < start + Math.Min(size, PageSize); gpa += 8)
        {
            if (ReadL1(gpa) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private void UndoWrites(IReadOnlyList<TraceEntry> entries)
    {
        var lastRead = new Dictionary<ulong, ulong>();
        var restore = new List<(ulong Gpa, ulong Value, bool Narrow)>();
        bool narrow = Vm.Vcpu.Mode == PagingMode.Legacy32;
        foreach (TraceEntry entry in entries)
        {
            if (entry.Kind == TraceKind.Read)
            {
                lastRead.TryAdd(entry.Gpa, entry.Value);
            }
            else if (lastRead.TryGetValue(entry.Gpa, out ulong old))
            {
                restore.Add((entry.Gpa, old, narrow && entry.Dimension == 1 && entry.Value <= uint.MaxValue && old <= uint.MaxValue));
            }
        }

        for (int i = restore.Count - 1; i >= 0; i--)
        {
            var (gpa, value, isNarrow) = restore[i];
            _ = isNarrow ? Vm.Memory.TryWriteU32(gpa, (uint)value) : Vm.Memory.TryWriteU64(gpa, value);
        }
    }

    private Dictionary<(string, ulong, int, uint, int), ulong> SpteSnapshot(out HashSet<(string, ulong, int, uint)> pages, Dictionary<string, string>? formats = null)
    {
        var sptes = new Dictionary<(string, ulong, int, uint, int), ulong>();
        pages = new HashSet<(string, ulong, int, uint)>();
        foreach (MmuDump dump in Dump().Mmus)
        {
            if (formats is not null)
            {
                formats[dump.Mmu] = dump.SpteFormat;
            }

            foreach (ShadowPageDump page in dump.ShadowPages)
            {
                pages.Add((dump.Mmu, page.Gfn, page.Level, page.Role));
                foreach (SpteDump spte in page.Sptes)
                {
                    sptes[(dump.Mmu, page.Gfn, page.Level, page.Role, spte.Index)] = spte.Spte;
                }
            }
        }

        return sptes;
    }

    /// <summary>The parameter a builder's refusal concerns (its <c>ParamName</c>); a table conflict concerns the address.</summary>
    private static string FieldOf(Exception problem) => problem switch
    {
        ArgumentException { ParamName: "protectionKey" } => "pkey",
        ArgumentException { ParamName: "gva" or "gpa" or "size" or "flags" } argument => argument.ParamName!,
        _ => "gva",
    };

    /// <summary>The message without .NET's " (Parameter 'x')" suffix: the field is named in front already.</summary>
    private static string StripParamName(ArgumentException argument)
    {
        string message = argument.Message;
        int suffix = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return suffix > 0 ? message[..suffix] : message;
    }

    /// <summary>L1 guest-physical memory as the builders see it (writes recorded, as steps once steps ran).</summary>
    private sealed class L1Memory(LiveExperiment owner) : IPageTableMemory
    {
        public ulong ReadWord(ulong gpa) => owner.ReadL1(gpa);

        public void WriteWord(ulong gpa, ulong value) => owner.WriteL1(gpa, value);

        public ulong AllocatePage() => owner.AllocateL1Page();
    }

    /// <summary>L2 guest-physical memory under L1's EPT/NPT: pages for L2's tables are backed by L1 pages.</summary>
    private sealed class L2Memory(LiveExperiment owner) : IPageTableMemory
    {
        public ulong ReadWord(ulong gpa) => owner.TranslateL2(gpa) is { } l1 ? owner.ReadL1(l1) : 0;

        public void WriteWord(ulong gpa, ulong value) =>
            owner.WriteL1(owner.TranslateL2(gpa) ?? throw new ExperimentFormatException("gpa", $"L2 GPA 0x{gpa:x} is not backed by L1's EPT/NPT tables"), value);

        public ulong AllocatePage() => owner.AllocateL2Page();
    }
}
