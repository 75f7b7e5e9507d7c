using Workbench.Mmu.Analysis;
using Workbench.Mmu.Notebook.Commands;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// The notebook's guests and the C# API of the <c>#!mmu-*</c> commands: every command is a call here
/// (<c>#!mmu-access --gva 0x401000 --write</c> is <c>Session.Access(0x401000, AccessKind.Write)</c>), so cells can mix
/// both. The session has a current guest: the last one created, replayed or selected with <c>name</c>. Each guest is
/// a <see cref="LiveExperiment"/> — what it did is an experiment file <see cref="Save"/> writes and <c>#!mmu-run</c>
/// replays bit for bit.
/// </summary>
public static class Session
{
    /// <summary>The default guest name.</summary>
    public const string DefaultName = "guest";

    private static readonly object s_gate = new();
    private static readonly Dictionary<string, LiveExperiment> s_guests = new(StringComparer.Ordinal);
    private static string? s_current;

    /// <summary>Names of the guests, in creation order.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (s_gate)
            {
                return [.. s_guests.Keys];
            }
        }
    }

    /// <summary>The current guest.</summary>
    /// <exception cref="MmuCommandException">There is none yet.</exception>
    public static LiveExperiment Current => Get(null);

    /// <summary>A guest by name (null: the current one).</summary>
    /// <exception cref="MmuCommandException">No guest has that name, or there is no guest yet (parameter <c>--name</c>).</exception>
    public static LiveExperiment Get(string? name)
    {
        lock (s_gate)
        {
            string? wanted = name ?? s_current;
            if (wanted is null)
            {
                throw new MmuCommandException(null, "there is no guest yet; create one with #!mmu-guest (or Session.Guest())");
            }

            if (!s_guests.TryGetValue(wanted, out LiveExperiment? guest))
            {
                throw new MmuCommandException("--name", $"no guest is named '{wanted}'; the guests are {(s_guests.Count == 0 ? "none yet" : string.Join(", ", s_guests.Keys))}");
            }

            s_current = wanted;
            return guest;
        }
    }

    /// <summary>Forgets every guest and the naming scheme (a fresh notebook).</summary>
    public static void Reset()
    {
        lock (s_gate)
        {
            s_guests.Clear();
            s_current = null;
        }

        DisplayNames.Use(null);
    }

    /// <summary>
    /// <c>#!mmu-guest</c>: a VM and its L1 vCPU, made the current guest (replacing a guest of the same name).
    /// </summary>
    /// <param name="name">Its name.</param>
    /// <param name="paging">Paging mode.</param>
    /// <param name="tdp">Host TDP (default: EPT on Intel, NPT on AMD).</param>
    /// <param name="vendor">CPU vendor (default: AMD for NPT, else Intel).</param>
    /// <param name="memory">Guest memory in bytes (one memslot from GPA 0).</param>
    /// <param name="maxPhyAddr">Guest MAXPHYADDR.</param>
    /// <param name="wp">CR0.WP.</param>
    /// <param name="nx">EFER.NXE.</param>
    /// <param name="smep">CR4.SMEP.</param>
    /// <param name="smap">CR4.SMAP.</param>
    /// <param name="pke">CR4.PKE.</param>
    /// <param name="pkru">PKRU.</param>
    /// <param name="ac">RFLAGS.AC.</param>
    /// <param name="variant">The context organization (<see cref="ContextLayouts.Names"/>).</param>
    public static GuestCard Guest(
        string name = DefaultName,
        GuestPaging paging = GuestPaging.Level4,
        TdpMode? tdp = null,
        Vendor? vendor = null,
        ulong memory = 4UL << 30,
        int maxPhyAddr = 46,
        bool wp = false,
        bool nx = false,
        bool smep = false,
        bool smap = false,
        bool pke = false,
        uint pkru = 0,
        bool ac = false,
        string variant = ContextLayouts.Default)
    {
        Vendor chosenVendor = vendor ?? (tdp == TdpMode.Npt ? Vendor.Amd : Vendor.Intel);
        TdpMode chosenTdp = tdp ?? (chosenVendor == Vendor.Amd ? TdpMode.Npt : TdpMode.Ept);
        var config = new VmConfig(chosenVendor, maxPhyAddr, memory, chosenTdp);
        LiveExperiment guest = Guarded(() => LiveExperiment.Create(name, config, new GuestSetup(paging, wp, nx, smep, smap, pke, pkru, ac), variant));
        lock (s_gate)
        {
            s_guests[name] = guest;
            s_current = name;
        }

        return guest.Card;
    }

    /// <summary><c>#!mmu-nested</c>: an L2 inside the current guest, entered (the vCPU then runs L2).</summary>
    /// <param name="kind">VMX or SVM (default: the guest's vendor's).</param>
    /// <param name="l1Tdp">L1 uses EPT/NPT for L2 (else L1 shadows L2's page tables).</param>
    /// <param name="paging">L2's paging mode.</param>
    /// <param name="wp">L2's CR0.WP.</param>
    /// <param name="nx">L2's EFER.NXE.</param>
    /// <param name="smep">L2's CR4.SMEP.</param>
    /// <param name="smap">L2's CR4.SMAP.</param>
    /// <param name="pke">L2's CR4.PKE.</param>
    /// <param name="pkru">L2's PKRU.</param>
    /// <param name="ac">L2's RFLAGS.AC.</param>
    /// <param name="eptAd">EPTP bit 6: EPT accessed/dirty flags on (and offered to L1).</param>
    /// <param name="execOnly">EPT execute-only pages allowed (VMX capability).</param>
    /// <param name="mbec">Mode-based execute control (XS/XU) for L1's EPT.</param>
    /// <param name="eptLevels">4- or 5-level EPT.</param>
    /// <param name="name">The guest (default: current).</param>
    public static GuestCard Nested(
        NestedKind? kind = null,
        bool l1Tdp = true,
        GuestPaging paging = GuestPaging.Level4,
        bool wp = false,
        bool nx = false,
        bool smep = false,
        bool smap = false,
        bool pke = false,
        uint pkru = 0,
        bool ac = false,
        bool eptAd = false,
        bool execOnly = false,
        bool mbec = false,
        int eptLevels = 4,
        string? name = null)
    {
        LiveExperiment guest = Get(name);
        NestedKind chosen = kind ?? (guest.Config.Vendor == Vendor.Amd ? NestedKind.Svm : NestedKind.Vmx);
        Guarded(() =>
        {
            // SVM has no EPT capabilities: its L2 gets the model's defaults (which the NPT walk ignores).
            EptCapabilities capabilities = chosen == NestedKind.Vmx ? new EptCapabilities(eptAd, execOnly, mbec)
                : eptAd || execOnly || mbec ? throw new MmuCommandException(eptAd ? "--ept-ad" : execOnly ? "--execonly" : "--mbec", "applies to a VMX L2 only; SVM's NPT has no such capability")
                : new EptCapabilities();
            guest.EnterNested(chosen, l1Tdp, new GuestSetup(paging, wp, nx, smep, smap, pke, pkru, ac), capabilities, eptLevels);
            return guest;
        });
        return guest.Card;
    }

    /// <summary><c>#!mmu-map</c>: maps a page in the current guest's tables (or L1's EPT/NPT tables for L2).</summary>
    /// <param name="gva">Input address: GVA, or L2 GPA with <paramref name="tdpTables"/>.</param>
    /// <param name="gpa">Output address: GPA, or L1 GPA with <paramref name="tdpTables"/>.</param>
    /// <param name="size">4K, 2M, 4M (32-bit with PSE) or 1G.</param>
    /// <param name="flags">x86 <c>r,w,u,nx,a,d,g</c> (<c>r</c> = present) or EPT <c>r,w,x,xu,a,d</c>.</param>
    /// <param name="pkey">Protection key.</param>
    /// <param name="tdpTables">Map in L1's EPT/NPT tables for L2.</param>
    /// <param name="level">1: L1's own tables even when an L2 exists; 2 (default with an L2): L2's.</param>
    /// <param name="name">The guest.</param>
    public static MapReport Map(ulong gva, ulong gpa, ulong size = 4096, string flags = "r,w", int pkey = 0, bool tdpTables = false, int? level = null, string? name = null)
    {
        LiveExperiment guest = Get(name);
        MapTables tables = tdpTables ? MapTables.Tdp : level == 1 ? MapTables.L1 : MapTables.Guest;
        if (level == 2 && guest.Nested is null)
        {
            throw new MmuCommandException("--level", $"the guest '{guest.Name}' has no L2; build one with #!mmu-nested");
        }

        bool ept = tdpTables && guest.Nested?.Kind == NestedKind.Vmx;
        ulong bits = EntryFlags.Parse(flags, ept);
        return Guarded(() => guest.Map(tables, gva, gpa, size, bits, pkey));
    }

    /// <summary><c>#!mmu-access</c>: runs an access and reports it (walk, contexts, SPTEs).</summary>
    public static AccessReport Access(ulong gva, AccessKind kind = AccessKind.Read, int cpl = 0, bool implicitAccess = false, int? level = null, string? name = null)
    {
        LiveExperiment guest = Get(name);
        return Guarded(() => guest.Access(new AccessStep(kind, gva, cpl, implicitAccess) { Level = CheckLevel(guest, level) }));
    }

    /// <summary><c>#!mmu-store</c>: a guest store of a 64-bit value through its paging.</summary>
    public static AccessReport Store(ulong gva, ulong value, int cpl = 0, int? level = null, string? name = null)
    {
        LiveExperiment guest = Get(name);
        return Guarded(() => guest.Access(new StoreStep(gva, value, cpl) { Level = CheckLevel(guest, level) }));
    }

    /// <summary><c>#!mmu-peek</c>: the 64-bit word at an L1 GPA (recorded as a peek step).</summary>
    public static ulong Peek(ulong gpa, string? name = null)
    {
        LiveExperiment guest = Get(name);
        return Guarded(() => ((PeekResult)guest.Run(new PeekStep(gpa))).Value);
    }

    /// <summary><c>#!mmu-poke</c>: writes the 64-bit word at an L1 GPA (a poke step; KVM sees no write, as for DMA from another CPU's view).</summary>
    public static void Poke(ulong gpa, ulong value, string? name = null)
    {
        LiveExperiment guest = Get(name);
        Guarded(() => guest.Run(new PokeStep(gpa, value)));
    }

    /// <summary><c>#!mmu-set</c>: register writes at a level, as MOV to CR / WRMSR / POPF / WRPKRU do.</summary>
    public static StepResult Set(ulong? cr0 = null, ulong? cr3 = null, ulong? cr4 = null, ulong? efer = null, ulong? rflags = null, uint? pkru = null, int? level = null, string? name = null)
    {
        LiveExperiment guest = Get(name);
        var writes = new List<RegisterAssignment>();
        // EFER before CR4 before CR0, the order an OS enables long mode in (SDM 10.8.5).
        void Add(VcpuRegister register, ulong? value)
        {
            if (value is { } v)
            {
                writes.Add(new RegisterAssignment(register, v));
            }
        }

        Add(VcpuRegister.Efer, efer);
        Add(VcpuRegister.Cr4, cr4);
        Add(VcpuRegister.Cr3, cr3);
        Add(VcpuRegister.Cr0, cr0);
        Add(VcpuRegister.Rflags, rflags);
        Add(VcpuRegister.Pkru, pkru);
        if (writes.Count == 0)
        {
            throw new MmuCommandException(null, "no register given; use --cr0, --cr3, --cr4, --efer, --rflags or --pkru");
        }

        return Guarded(() => guest.Run(new SetStep([.. writes]) { Level = CheckLevel(guest, level) }));
    }

    /// <summary><c>#!mmu-invlpg</c>: INVLPG of a GVA at a level.</summary>
    public static void Invlpg(ulong gva, int? level = null, string? name = null)
    {
        LiveExperiment guest = Get(name);
        Guarded(() => guest.Run(new InvlpgStep(gva) { Level = CheckLevel(guest, level) }));
    }

    /// <summary><c>#!mmu-fault</c>: the smallest change that makes an access take <paramref name="kind"/>, run and explained.</summary>
    public static FaultReport Fault(string kind, string? name = null)
    {
        LiveExperiment guest = Get(name);
        return Guarded(() => FaultRecipes.Trigger(guest, kind));
    }

    /// <summary><c>#!mmu-walk</c>: gva_to_gpa through a walker, without changing guest memory.</summary>
    public static WalkReport Walk(ulong gva, string? walker = null, bool write = false, bool user = false, bool fetch = false, string? name = null)
    {
        LiveExperiment guest = Get(name);
        ulong access = (write ? (ulong)PfErr.Write : 0) | (user ? (ulong)PfErr.User : 0) | (fetch ? (ulong)PfErr.Fetch : 0);
        return Guarded(() => guest.Walk(gva, access, walker));
    }

    /// <summary><c>#!mmu-dump</c>: every MMU object's roots, shadow pages and SPTEs.</summary>
    public static DumpReport Dump(string? name = null) => Get(name).Dump();

    /// <summary>
    /// <c>#!mmu-sweep</c>: the access.c sweep on the current guest's configuration (MAXPHYADDR, 4- or 5-level, its
    /// TDP, its variant; PKU when the guest has CR4.PKE unless <paramref name="pku"/> says otherwise).
    /// </summary>
    /// <param name="slice">Run only the first this-many cases (null: all).</param>
    /// <param name="pku">Include the PKU flags (ten times the cases).</param>
    /// <param name="progress">Progress callback.</param>
    /// <param name="name">The guest.</param>
    /// <param name="cancellationToken">Stops early.</param>
    /// <param name="jobs">Threads (null: one per core, <see cref="AccessSweepJobs.DefaultJobs"/>); the outcomes do not
    /// depend on it.</param>
    public static SweepOutcomes Sweep(long? slice = null, bool? pku = null, Action<AccessSweepProgress>? progress = null, string? name = null,
        CancellationToken cancellationToken = default, int? jobs = null)
    {
        LiveExperiment guest = Get(name);
        CpuRegisters l1 = guest.LevelRegisters(1);
        var options = new AccessSweepOptions(
            MaxPhyAddr: guest.Config.MaxPhyAddr,
            Pku: pku ?? (l1.Cr4 & Cr4.PKE) != 0,
            Levels: guest.L1Paging == GuestPaging.Level5 ? 5 : 4,
            Limit: slice,
            KeepGoing: true,
            Tdp: guest.Config.Tdp,
            Layout: guest.Variant);
        return SweepOutcomes.Compute(options, progress, cancellationToken, jobs ?? AccessSweepJobs.DefaultJobs);
    }

    /// <summary><c>#!mmu-save</c>: writes the guest's experiment (its setup and every step) to a file.</summary>
    /// <returns>The full path written.</returns>
    public static string Save(string file, string? name = null)
    {
        LiveExperiment guest = Get(name);
        if (string.IsNullOrWhiteSpace(file))
        {
            throw new MmuCommandException("--file", "is required (e.g. my-experiment.json)");
        }

        string path = Path.GetFullPath(file);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, ExperimentWriter.Write(guest.Experiment) + "\n");
        }
        catch (Exception problem) when (problem is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new MmuCommandException("--file", $"cannot write '{file}': {problem.Message}");
        }

        return path;
    }

    /// <summary>Replays an experiment into a guest that becomes the current one (what <c>#!mmu-run</c> leaves behind).</summary>
    public static LiveExperiment Load(Experiment experiment, string variant = ContextLayouts.Default)
    {
        LiveExperiment guest = Guarded(() => LiveExperiment.Replay(experiment, variant));
        lock (s_gate)
        {
            s_guests[guest.Name] = guest;
            s_current = guest.Name;
        }

        return guest;
    }

    private static int? CheckLevel(LiveExperiment guest, int? level) =>
        level == 2 && guest.Nested is null
            ? throw new MmuCommandException("--level", $"the guest '{guest.Name}' has no L2; build one with #!mmu-nested")
            : level;

    /// <summary>Runs a model call, turning its field errors into parameter errors (<c>gva</c> → <c>--gva</c>).</summary>
    private static T Guarded<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (ExperimentFormatException problem)
        {
            string field = problem.Field.StartsWith("steps[", StringComparison.Ordinal) && problem.Field.Contains('.', StringComparison.Ordinal)
                ? problem.Field[(problem.Field.IndexOf('.', StringComparison.Ordinal) + 1)..]
                : problem.Field;
            // The runner names a step's address field after the step (steps[3].peek): the parameter is its address.
            field = field switch { "peek" or "poke" => "gpa", "store" => "gva", "nested.kind" => "kind", _ => field };
            throw new MmuCommandException(field.Contains('.', StringComparison.Ordinal) || field.Contains('[', StringComparison.Ordinal) ? field : "--" + field, problem.Problem);
        }
    }
}

/// <summary>Entry bits by the names <c>#!mmu-map --flags</c> takes.</summary>
public static class EntryFlags
{
    /// <summary>x86 names: r (present), w, u, nx, a, d, g, pwt, pcd.</summary>
    public static IReadOnlyList<string> X86 { get; } = ["r", "w", "u", "nx", "a", "d", "g", "pwt", "pcd"];

    /// <summary>EPT names: r, w, x, xu (MBEC user-execute), a, d, ipat; leaves always get memory type WB.</summary>
    public static IReadOnlyList<string> Ept { get; } = ["r", "w", "x", "xu", "a", "d", "ipat"];

    /// <summary>The bits of a comma-separated list (empty: a not-present entry).</summary>
    /// <exception cref="MmuCommandException">An unknown name (parameter <c>--flags</c>).</exception>
    public static ulong Parse(string flags, bool ept)
    {
        ulong bits = ept ? (ulong)EptFlags.WriteBack : 0;
        foreach (string raw in (flags ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string item = raw.ToLowerInvariant();
            ulong? bit = ept
                ? item switch
                {
                    "r" => (ulong)EptFlags.Read,
                    "w" => (ulong)EptFlags.Write,
                    "x" => (ulong)EptFlags.Execute,
                    "xu" => (ulong)EptFlags.UserExecute,
                    "a" => (ulong)EptFlags.Accessed,
                    "d" => (ulong)EptFlags.Dirty,
                    "ipat" => (ulong)EptFlags.IgnorePat,
                    _ => null,
                }
                : item switch
                {
                    "r" or "p" => (ulong)PteFlags.Present,
                    "w" => (ulong)PteFlags.Write,
                    "u" => (ulong)PteFlags.User,
                    "nx" or "xd" => (ulong)PteFlags.NoExecute,
                    "a" => (ulong)PteFlags.Accessed,
                    "d" => (ulong)PteFlags.Dirty,
                    "g" => (ulong)PteFlags.Global,
                    "pwt" => (ulong)PteFlags.WriteThrough,
                    "pcd" => (ulong)PteFlags.CacheDisable,
                    _ => null,
                };
            bits |= bit ?? throw new MmuCommandException("--flags", $"'{raw}' is not an {(ept ? "EPT" : "x86")} entry flag; use {string.Join(",", ept ? Ept : X86)}");
        }

        return bits;
    }
}
