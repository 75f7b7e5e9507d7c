using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Commands;

/// <summary>
/// The <c>#!mmu-*</c> magic commands, written once for every host: each is a spec (name, help, parameters with
/// completions) whose handler parses its <see cref="MmuArguments"/>, calls the <see cref="Session"/> C# API and
/// displays what comes back. Bad input fails the command with one error naming the parameter; the session's guests
/// are untouched by a failed command.
/// </summary>
public static class MmuCommands
{
    /// <summary><c>#!mmu-run</c>.</summary>
    public const string RunName = "#!mmu-run";

    /// <summary><c>#!mmu-load</c>.</summary>
    public const string LoadName = "#!mmu-load";

    private static readonly string[] Tdps = ["none", "ept", "npt"];
    private static readonly string[] Vendors = ["intel", "amd"];
    private static readonly string[] Kinds = ["vmx", "svm"];
    private static readonly string[] OnOffValues = ["on", "off"];
    private static readonly string[] Levels = ["1", "2"];
    private static readonly string[] Cpls = ["0", "1", "2", "3"];

    private static MmuCommandParameter NameParameter(string what = "The guest to use (default: the current one)") =>
        new("--name", what, Completions: () => Session.Names);

    private static MmuCommandParameter NoChartParameter() =>
        new("--no-chart", "Tables only, without the chart (a chart output can carry plotly.js, 4.8 MB, so it draws offline)", Flag: true);

    private static MmuCommandParameter LevelParameter() =>
        new("--level", "Run at level 1 (L1) or 2 (L2); default: L2 when the guest has one", Completions: () => Levels);

    private static IEnumerable<MmuCommandParameter> RegisterSwitches(string whose) =>
    [
        new("--paging", $"{whose} paging: {string.Join("|", GuestPagingNames.All)} (default 4level)", Completions: () => GuestPagingNames.All),
        new("--wp", $"{whose} CR0.WP: supervisor writes obey R/W", Flag: true),
        new("--nx", $"{whose} EFER.NXE: XD bits are honoured", Flag: true),
        new("--smep", $"{whose} CR4.SMEP", Flag: true),
        new("--smap", $"{whose} CR4.SMAP", Flag: true),
        new("--pke", $"{whose} CR4.PKE (4level/5level only)", Flag: true),
        new("--pkru", $"{whose} PKRU (e.g. 0x4: key 1 access-disabled)"),
        new("--ac", $"{whose} RFLAGS.AC (SMAP override)", Flag: true),
    ];

    /// <summary><c>#!mmu-load</c> (no parameters).</summary>
    public static MmuCommandSpec Load { get; } = new(
        LoadName,
        "Loads (again) the MMU Workbench: model usings, rich output, #!mmu-* commands. Harmless when already loaded.",
        []);

    /// <summary><c>#!mmu-run FILE [--trace] [--name NAME] [--variant V]</c>.</summary>
    public static MmuCommandSpec Run { get; } = new(
        RunName,
        "Runs an experiment file on the model and shows each step's outcome; the (last) experiment becomes the current guest, to go on from.",
        [
            new MmuCommandParameter(
                "--file",
                "Experiment file: .json (one experiment) or .jsonl (one per line); relative to the notebook's folder or to datasets/experiments",
                AllowImplicitName: true,
                Required: true,
                TypeHint: "file",
                Completions: ExperimentFiles.Candidates),
            new MmuCommandParameter("--trace", "Also show every page-table read and A/D write-back of each access", Flag: true),
            new MmuCommandParameter("--name", "Run only the experiment(s) with this \"name\" (case-insensitive)"),
            new MmuCommandParameter("--variant", "Context organization to run under (default 6.12)", Completions: () => ContextLayouts.Names),
        ])
    {
        Handler = (args, output) => RunExperiments(args.Text("file"), args.Flag("trace"), args.Text("name"), output, Variant(args)),
    };

    /// <summary><c>#!mmu-guest</c>.</summary>
    public static MmuCommandSpec Guest { get; } = new(
        "#!mmu-guest",
        "Builds a VM and its L1 vCPU from register switches (raw state underneath) and shows its card: registers, roles, MMU objects and pointers.",
        [
            NameParameter("Name of the new guest (default \"guest\"); it becomes the current one"),
            .. RegisterSwitches("L1"),
            new("--tdp", "Host paging: none (shadow MMU), ept or npt (default: ept on intel, npt on amd)", Completions: () => Tdps),
            new("--vendor", "CPU vendor: intel or amd (default intel, amd with --tdp npt)", Completions: () => Vendors),
            new("--memory", "Guest memory from GPA 0, e.g. 4G (default), 64M"),
            new("--maxphyaddr", "Guest MAXPHYADDR, 36..52 (default 46)"),
            new("--variant", "Context organization (default 6.12)", Completions: () => ContextLayouts.Names),
        ])
    {
        Handler = (args, output) =>
        {
            string? tdpText = args.Text("tdp") is null ? null : args.Choice("tdp", Tdps, null);
            string? vendorText = args.Text("vendor") is null ? null : args.Choice("vendor", Vendors, null);
            output.Display(Session.Guest(
                name: args.Text("name", Session.DefaultName)!,
                paging: Paging(args),
                tdp: tdpText switch { null => null, "none" => TdpMode.None, "ept" => TdpMode.Ept, _ => TdpMode.Npt },
                vendor: vendorText switch { null => null, "amd" => Vendor.Amd, _ => Vendor.Intel },
                memory: args.Size("memory", 4UL << 30),
                maxPhyAddr: args.Int("maxphyaddr", 46, VmConfig.MinMaxPhyAddr, VmConfig.MaxMaxPhyAddr),
                wp: args.Flag("wp"),
                nx: args.Flag("nx"),
                smep: args.Flag("smep"),
                smap: args.Flag("smap"),
                pke: args.Flag("pke"),
                pkru: Pkru(args),
                ac: args.Flag("ac"),
                variant: Variant(args)));
        },
    };

    /// <summary><c>#!mmu-nested</c>.</summary>
    public static MmuCommandSpec NestedCommand { get; } = new(
        "#!mmu-nested",
        "Builds an L2 inside the current guest and enters it (VMX or SVM, with or without L1's EPT/NPT); shows the card.",
        [
            new("--kind", "vmx or svm (default: the guest vendor's)", Completions: () => Kinds),
            new("--l1-tdp", "on: L1 runs L2 on EPT/NPT tables (2-D walks); off: L1 shadows L2's tables (default on)", Completions: () => OnOffValues),
            .. RegisterSwitches("L2"),
            new("--ept-ad", "EPTP bit 6: EPT accessed/dirty flags", Flag: true),
            new("--execonly", "EPT execute-only pages allowed", Flag: true),
            new("--mbec", "EPT mode-based execute control (XS/XU)", Flag: true),
            new("--ept-levels", "4 or 5 (default 4)", Completions: () => ["4", "5"]),
            NameParameter(),
        ])
    {
        Handler = (args, output) =>
        {
            string? kind = args.Text("kind") is null ? null : args.Choice("kind", Kinds, null);
            output.Display(Session.Nested(
                kind: kind switch { null => null, "svm" => NestedKind.Svm, _ => NestedKind.Vmx },
                l1Tdp: args.OnOff("l1-tdp", true),
                paging: Paging(args),
                wp: args.Flag("wp"),
                nx: args.Flag("nx"),
                smep: args.Flag("smep"),
                smap: args.Flag("smap"),
                pke: args.Flag("pke"),
                pkru: Pkru(args),
                ac: args.Flag("ac"),
                eptAd: args.Flag("ept-ad"),
                execOnly: args.Flag("execonly"),
                mbec: args.Flag("mbec"),
                eptLevels: args.Int("ept-levels", 4, 4, 5),
                name: args.Text("name")));
        },
    };

    /// <summary><c>#!mmu-map</c>.</summary>
    public static MmuCommandSpec Map { get; } = new(
        "#!mmu-map",
        "Maps a page in the current guest's page tables (tables allocated in guest memory), or in L1's EPT/NPT tables with --tdp-tables.",
        [
            new("--gva", "Input address: GVA (or L2 GPA with --tdp-tables)", Required: true),
            new("--gpa", "Output address: GPA (or L1 GPA with --tdp-tables)", Required: true),
            new("--size", "4K (default), 2M, 4M (32-bit PSE), 1G or a byte count", Completions: () => ["4K", "2M", "4M", "1G"]),
            new("--flags", $"Leaf flags: x86 {string.Join(",", EntryFlags.X86)} (r = present; default r,w); EPT {string.Join(",", EntryFlags.Ept)} (default r,w,x)"),
            new("--pkey", "Protection key 0..15 (4/5-level and PAE leaves)"),
            new("--tdp-tables", "Map in L1's EPT/NPT tables for L2 (L2 GPA → L1 GPA)", Flag: true),
            LevelParameter(),
            NameParameter(),
        ])
    {
        Handler = (args, output) =>
        {
            bool tdpTables = args.Flag("tdp-tables");
            bool ept = tdpTables && Session.Get(args.Text("name")).Nested?.Kind == NestedKind.Vmx;
            output.Display(Session.Map(
                gva: args.Number("gva"),
                gpa: args.Number("gpa"),
                size: args.Size("size", 4096),
                flags: args.Text("flags", ept ? "r,w,x" : "r,w")!,
                pkey: args.Int("pkey", 0, 0, 15),
                tdpTables: tdpTables,
                level: OptionalLevel(args),
                name: args.Text("name")));
        },
    };

    /// <summary><c>#!mmu-access</c>.</summary>
    public static MmuCommandSpec Access { get; } = new(
        "#!mmu-access",
        "Runs an access: the result (ok / #PF / VM exit), every page-table read, who served it, the SPTEs built, and a chart of the walk.",
        [
            new("--gva", "The linear address", AllowImplicitName: true, Required: true),
            new("--read", "A read (default)", Flag: true),
            new("--write", "A write", Flag: true),
            new("--fetch", "An instruction fetch", Flag: true),
            new("--cpl", "Privilege level 0..3 (default 0; 3 = user)", Completions: () => Cpls),
            new("--implicit", "An implicit supervisor access (e.g. a descriptor-table read)", Flag: true),
            LevelParameter(),
            NoChartParameter(),
            NameParameter(),
        ])
    {
        Handler = (args, output) =>
        {
            AccessReport report = Session.Access(args.Number("gva"), Kind(args), args.Int("cpl", 0, 0, 3), args.Flag("implicit"), OptionalLevel(args), args.Text("name"));
            Show(output, report, args);
        },
    };

    /// <summary><c>#!mmu-store</c>.</summary>
    public static MmuCommandSpec Store { get; } = new(
        "#!mmu-store",
        "A guest store of a 64-bit value through its paging (KVM's write tracking sees it, as an emulated write).",
        [
            new("--gva", "The linear address", AllowImplicitName: true, Required: true),
            new("--value", "The 64-bit value", Required: true),
            new("--cpl", "Privilege level 0..3 (default 0)", Completions: () => Cpls),
            LevelParameter(),
            NameParameter(),
        ])
    {
        Handler = (args, output) => output.Display(Session.Store(args.Number("gva"), args.Number("value"), args.Int("cpl", 0, 0, 3), OptionalLevel(args), args.Text("name"))),
    };

    /// <summary><c>#!mmu-peek</c>.</summary>
    public static MmuCommandSpec Peek { get; } = new(
        "#!mmu-peek",
        "Reads the 64-bit word at an L1 guest-physical address.",
        [new("--gpa", "The address", AllowImplicitName: true, Required: true), NameParameter()])
    {
        Handler = (args, output) =>
        {
            ulong gpa = args.Number("gpa");
            output.Display(new PeekReport(gpa, Session.Peek(gpa, args.Text("name"))));
        },
    };

    /// <summary><c>#!mmu-poke</c>.</summary>
    public static MmuCommandSpec Poke { get; } = new(
        "#!mmu-poke",
        "Writes the 64-bit word at an L1 guest-physical address (raw: KVM does not see the write).",
        [new("--gpa", "The address", AllowImplicitName: true, Required: true), new("--value", "The 64-bit value", Required: true), NameParameter()])
    {
        Handler = (args, output) =>
        {
            ulong gpa = args.Number("gpa");
            ulong value = args.Number("value");
            ulong before = Session.Get(args.Text("name")).ReadL1(gpa);
            Session.Poke(gpa, value, args.Text("name"));
            output.Display(new PokeReport(gpa & ~7UL, before, value));
        },
    };

    /// <summary><c>#!mmu-set</c>.</summary>
    public static MmuCommandSpec Set { get; } = new(
        "#!mmu-set",
        "Writes registers as the guest would (MOV to CR0/CR3/CR4, WRMSR EFER, POPF, WRPKRU): a #GP if the value is illegal.",
        [
            new("--cr0", "CR0"), new("--cr3", "CR3"), new("--cr4", "CR4"), new("--efer", "EFER"), new("--rflags", "RFLAGS"), new("--pkru", "PKRU"),
            LevelParameter(),
            NameParameter(),
        ])
    {
        Handler = (args, output) =>
        {
            ulong? Optional(string name) => args.Has(name) ? args.Number(name) : null;
            StepResult result = Session.Set(Optional("cr0"), Optional("cr3"), Optional("cr4"), Optional("efer"), Optional("rflags"), args.Has("pkru") ? Pkru(args) : null, OptionalLevel(args), args.Text("name"));
            if (result is GeneralProtectionResult gp)
            {
                output.WriteLine($"#GP: {gp.Register.ToString().ToLowerInvariant()}: {gp.Error}");
            }

            output.Display(Session.Get(args.Text("name")).Card);
        },
    };

    /// <summary><c>#!mmu-invlpg</c>.</summary>
    public static MmuCommandSpec Invlpg { get; } = new(
        "#!mmu-invlpg",
        "INVLPG: drops the translation of a GVA (KVM syncs or zaps the shadow entries).",
        [new("--gva", "The linear address", AllowImplicitName: true, Required: true), LevelParameter(), NameParameter()])
    {
        Handler = (args, output) =>
        {
            ulong gva = args.Number("gva");
            Session.Invlpg(gva, OptionalLevel(args), args.Text("name"));
            output.WriteLine($"invlpg 0x{gva:x}");
        },
    };

    /// <summary><c>#!mmu-fault</c>.</summary>
    public static MmuCommandSpec Fault { get; } = new(
        "#!mmu-fault",
        "Builds the smallest change to the current guest that makes an access take this fault, runs it, and explains it in one sentence.",
        [new("--kind", $"One of {string.Join(", ", FaultRecipes.Kinds)}", AllowImplicitName: true, Required: true, Completions: () => FaultRecipes.Kinds), NoChartParameter(), NameParameter()])
    {
        Handler = (args, output) =>
        {
            FaultReport report = Session.Fault(args.Choice("kind", FaultRecipes.Kinds, null), args.Text("name"));
            Show(output, report, args);
        },
    };

    /// <summary><c>#!mmu-walk</c>.</summary>
    public static MmuCommandSpec Walk { get; } = new(
        "#!mmu-walk",
        "gva_to_gpa through a chosen walker, without changing guest memory (the A/D bits it sets are put back).",
        [
            new("--gva", "The address", AllowImplicitName: true, Required: true),
            new("--walker", "Walker name in the guest's organization (default: the running guest's)", Completions: WalkerNames),
            new("--write", "Ask for write access", Flag: true),
            new("--user", "Ask for user access", Flag: true),
            new("--fetch", "Ask for execute access", Flag: true),
            NoChartParameter(),
            NameParameter(),
        ])
    {
        Handler = (args, output) => Show(output, Session.Walk(args.Number("gva"), args.Text("walker"), args.Flag("write"), args.Flag("user"), args.Flag("fetch"), args.Text("name")), args),
    };

    /// <summary><c>#!mmu-dump</c>.</summary>
    public static MmuCommandSpec Dump { get; } = new(
        "#!mmu-dump",
        "The MMU state: every MMU object's roots, shadow pages and SPTEs, as a table and a chart.",
        [NoChartParameter(), NameParameter()])
    {
        Handler = (args, output) =>
        {
            DumpReport report = Session.Dump(args.Text("name"));
            Show(output, report, args);
        },
    };

    /// <summary><c>#!mmu-sweep</c>.</summary>
    public static MmuCommandSpec Sweep { get; } = new(
        "#!mmu-sweep",
        "The access.c sweep on the current guest's configuration (MAXPHYADDR, 4/5-level, TDP, variant), every case checked, with charts of the outcomes.",
        [
            new("--slice", "Run only the first N cases (default: all; about 1.9 million without PKU)"),
            new("--pku", "Include the PKU flags: on/off (default: on when the guest has CR4.PKE)", Completions: () => OnOffValues),
            new("--jobs", "Threads, 1 to 256 (default: one per core); the outcomes are the same for any count"),
            NoChartParameter(),
            NameParameter(),
        ])
    {
        Handler = (args, output) =>
        {
            long? slice = args.Has("slice") ? (long)args.Number("slice") : null;
            bool? pku = args.Has("pku") ? args.OnOff("pku", false) : null;
            int jobs = args.Int("jobs", AccessSweepJobs.DefaultJobs, 1, 256);
            Action<object> update = output.DisplayUpdatable(new SweepProgress(0, slice ?? 0, TimeSpan.Zero));
            SweepOutcomes outcomes = Session.Sweep(slice, pku, p => update(new SweepProgress(p.CasesRun, slice ?? 0, p.Elapsed)), args.Text("name"), jobs: jobs);
            update(new SweepProgress(outcomes.Sweep.CasesRun, outcomes.Sweep.CasesRun, outcomes.Sweep.Elapsed));
            Show(output, outcomes, args);
        },
    };

    /// <summary><c>#!mmu-save</c>.</summary>
    public static MmuCommandSpec Save { get; } = new(
        "#!mmu-save",
        "Saves the guest's setup and every step as an experiment file; #!mmu-run replays it bit for bit.",
        [new("--file", "The .json file to write (relative to the notebook's folder)", AllowImplicitName: true, Required: true, TypeHint: "file"), NameParameter()])
    {
        Handler = (args, output) =>
        {
            LiveExperiment guest = Session.Get(args.Text("name"));
            string path = Session.Save(args.Text("file") ?? string.Empty, args.Text("name"));
            output.WriteLine($"saved guest '{guest.Name}' ({guest.StepCount} steps) to {path}");
        },
    };

    /// <summary>Every command, in the order <c>#!lsmagic</c> lists them.</summary>
    public static IReadOnlyList<MmuCommandSpec> All { get; } =
        [Load, Guest, NestedCommand, Map, Access, Store, Peek, Poke, Set, Invlpg, Fault, Walk, Dump, Sweep, Save, Run, VariantCommands.Compare, VariantCommands.Naming, VariantCommands.Explain];

    /// <summary>The names of the commands, for listings.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(c => c.Name)];

    /// <summary>
    /// Runs a command's handler: <c>-h</c> prints the help, bad input fails with one error naming the parameter,
    /// and an unexpected failure is reported as an error of this command rather than taking the kernel down.
    /// </summary>
    public static void Invoke(MmuCommandSpec spec, MmuArguments arguments, IMmuCommandOutput output)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(output);
        if (arguments.Flag("h") || arguments.Flag("help"))
        {
            output.WriteLine(spec.HelpText());
            return;
        }

        if (spec.Parameters.FirstOrDefault(p => p.Required && !arguments.Has(p.Name)) is { } missing)
        {
            output.Fail("DirectiveError", $"{spec.Name}: {missing.Name} is required ({missing.Description}). Add -h for help.");
            return;
        }

        try
        {
            spec.Handler?.Invoke(arguments, output);
        }
        catch (MmuCommandException problem)
        {
            output.Fail("DirectiveError", $"{spec.Name}: {problem.Message}");
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            output.Fail("InternalError", $"{spec.Name}: the model failed ({failure.GetType().Name}: {failure.Message}); the session's guests are unchanged. Please report it with the cell.");
        }
    }

    /// <summary>The <c>#!mmu-run</c> handler: one display per experiment, then one error if any could not run.</summary>
    /// <param name="file">The experiment file (see <see cref="ExperimentFiles.Resolve"/>).</param>
    /// <param name="trace">Show every page-table access.</param>
    /// <param name="name">Run only the experiments with this name; null runs all.</param>
    /// <param name="output">The host's output.</param>
    /// <param name="variant">The organization to run under.</param>
    public static void RunExperiments(string? file, bool trace, string? name, IMmuCommandOutput output, string variant = ContextLayouts.Default)
    {
        ArgumentNullException.ThrowIfNull(output);
        IReadOnlyList<ExperimentRun> runs;
        try
        {
            runs = ExperimentFiles.Run(file ?? string.Empty, trace, name, variant);
        }
        catch (FileNotFoundException missing)
        {
            output.Fail("FileNotFound", $"{RunName}: {missing.Message} Completion (Tab after {RunName}) lists the example experiments.");
            return;
        }
        catch (Exception problem) when (problem is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            output.Fail("FileError", $"{RunName}: cannot read '{file}': {problem.Message}");
            return;
        }
        catch (ArgumentException badName)
        {
            output.Fail("DirectiveError", $"{RunName}: {badName.Message}");
            return;
        }

        foreach (ExperimentRun run in runs)
        {
            output.Display(run);
        }

        // The last experiment that ran becomes the current guest, so a notebook can go on from it.
        if (runs.LastOrDefault(r => r.Succeeded && r.Experiment is not null) is { } last)
        {
            Session.Load(last.Experiment!, variant);
        }

        ExperimentRun[] invalid = runs.Where(r => !r.Succeeded).ToArray();
        if (invalid.Length > 0)
        {
            string first = $"{invalid[0].Source}: {invalid[0].Result.Error}";
            string message = invalid.Length == 1
                ? $"{RunName}: invalid experiment {first}"
                : $"{RunName}: {invalid.Length} of {runs.Count} experiments are invalid; the first is {first}";
            output.Fail("InvalidExperiment", message);
        }
    }

    /// <summary>Displays a report with its embedded chart, or as tables only with <c>--no-chart</c>.</summary>
    private static void Show(IMmuCommandOutput output, object report, MmuArguments args)
    {
        if (!args.Flag("no-chart"))
        {
            output.Display(report);
            return;
        }

        using (Formatting.MmuHtml.WithoutCharts())
        {
            output.Display(report);
        }
    }

    private static GuestPaging Paging(MmuArguments args)
    {
        string text = args.Choice("paging", GuestPagingNames.All, "4level");
        GuestPagingNames.TryParse(text, out GuestPaging paging);
        return paging;
    }

    private static uint Pkru(MmuArguments args)
    {
        ulong value = args.Number("pkru", 0);
        return value <= uint.MaxValue ? (uint)value : throw new MmuCommandException("--pkru", $"0x{value:x} does not fit PKRU's 32 bits");
    }

    private static string Variant(MmuArguments args) => args.Choice("variant", ContextLayouts.Names, ContextLayouts.Default);

    private static int? OptionalLevel(MmuArguments args) => args.Has("level") ? args.Int("level", 1, 1, 2) : null;

    private static AccessKind Kind(MmuArguments args)
    {
        var kinds = new List<AccessKind>();
        if (args.Flag("read"))
        {
            kinds.Add(AccessKind.Read);
        }

        if (args.Flag("write"))
        {
            kinds.Add(AccessKind.Write);
        }

        if (args.Flag("fetch"))
        {
            kinds.Add(AccessKind.Fetch);
        }

        return kinds.Count switch
        {
            0 => AccessKind.Read,
            1 => kinds[0],
            _ => throw new MmuCommandException("--read/--write/--fetch", "give at most one of them"),
        };
    }

    private static IEnumerable<string> WalkerNames()
    {
        try
        {
            return Session.Current.Vm.Vcpu.Contexts.Walkers.Select(w => w.Name).ToArray();
        }
        catch (MmuCommandException)
        {
            return [];
        }
    }
}

/// <summary>What <c>#!mmu-peek</c> read.</summary>
/// <param name="Gpa">The address.</param>
/// <param name="Value">The 64-bit word there.</param>
public sealed record PeekReport(ulong Gpa, ulong Value);

/// <summary>What <c>#!mmu-poke</c> wrote.</summary>
/// <param name="Gpa">The (8-byte aligned) address.</param>
/// <param name="Before">The word before.</param>
/// <param name="After">The word written.</param>
public sealed record PokeReport(ulong Gpa, ulong Before, ulong After);

/// <summary>A running sweep's progress, displayed and replaced in place.</summary>
/// <param name="CasesRun">Cases run so far.</param>
/// <param name="CasesPlanned">Cases planned (0: unknown until the end).</param>
/// <param name="Elapsed">Time so far.</param>
public sealed record SweepProgress(long CasesRun, long CasesPlanned, TimeSpan Elapsed);
