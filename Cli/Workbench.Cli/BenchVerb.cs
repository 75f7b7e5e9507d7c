using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using Workbench.Mmu.Bench;
using Workbench.Mmu.Sweeps;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench bench</c>: the C reference's figures (<c>../shared/perf/cwalk.c</c>) measured on the model, with
/// cwalk's names, page sets, access mix and A/D state: the 1-D walks (<c>walk4*</c>, <c>walk5*</c>, <c>walkpae*</c>)
/// through <c>Vcpu.Access</c>, the 2-D walks (<c>walk2d_4x4*</c>, <c>walk2d_5x5*</c>) through the vCPU in L2 over
/// nested EPT, and the checked access.c sweeps. <c>--json</c> prints one JSON line per figure; <c>--compare</c>
/// runs cwalk beside it in the same job (<see cref="BenchCompare"/>). See docs/benchmarks.md.
/// </summary>
public sealed class BenchVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "bench";

    /// <inheritdoc/>
    public string Summary => "benchmarks with the C reference's figures (walk4*, walk2d_*, access sweeps); --json, --compare";

    /// <inheritdoc/>
    public int Run(string[] args) => CliCommand.Invoke(BenchArguments.CreateCommand(Name, Measure), args);

    private static int Measure(BenchArguments parsed)
    {
        if (parsed.Compare)
        {
            return BenchCompare.Run(parsed);
        }

        if (parsed.Breakdown)
        {
            return RunBreakdown(parsed, Console.Out);
        }

        try
        {
            return RunFigures(parsed, Console.Out);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"workbench bench: {e.Message}");
            return 1;
        }
    }

    /// <summary>Measures every selected figure in cwalk's order and writes one line (JSON or text) per figure.</summary>
    internal static int RunFigures(BenchArguments a, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        if (a.Json)
        {
            output.WriteLine(new JObject
            {
                ["bench"] = "meta",
                ["runtime"] = $".NET {Environment.Version}",
                ["cpus"] = Environment.ProcessorCount,
                ["reps"] = a.Repetitions,
                ["walks"] = a.Walks,
                ["walks2d"] = a.Walks2d,
                ["path"] = PathName(a.Path),
                ["tiered_pgo"] = Environment.GetEnvironmentVariable("DOTNET_TieredPGO") ?? "default",
                ["ready_to_run"] = Environment.GetEnvironmentVariable("DOTNET_ReadyToRun") ?? "default",
            }.ToString(Newtonsoft.Json.Formatting.None));
        }
        else
        {
            output.WriteLine(string.Create(inv,
                $"workbench bench: medians of {a.Repetitions} repetitions after a warm-up; {a.Walks:N0} walks (2-D: {a.Walks2d:N0}) per repetition; path {PathName(a.Path)}; .NET {Environment.Version}"));
            output.WriteLine($"  {"figure",-30} {"median",12} {"min",10} {"max",10} {"bytes/op",9} {"cold ns",9}");
        }

        output.Flush();
        using BenchJitLog? jitLog = a.JitLog ? new BenchJitLog() : null;
        int rc = 0;
        WalkSet? set = null;
        WalkFigure? setFor = null;
        foreach (WalkFigure figure in WalkFigure.All)
        {
            bool wanted = a.Wants(figure.Name, true);
            bool hotSibling = figure.Size == WalkSetSize.Mid && figure.Hot == 0 &&
                a.Wants(WalkFigure.All.First(f => f.KindIndex == figure.KindIndex && f.Hot > 0).Name, true);
            if (!wanted && !hotSibling)
            {
                continue;
            }

            // The 256 MiB and hot figures share one set, as in cwalk.
            if (setFor is null || setFor.KindIndex != figure.KindIndex || setFor.Size != figure.Size)
            {
                set = null;
                GC.Collect();
                set = WalkSet.Build(figure);
                setFor = figure;
                if (set.Verify() is { } wrong)
                {
                    Console.Error.WriteLine($"workbench bench: {figure.Name}: {wrong}");
                    return 1;
                }
            }

            int ops = figure.IsTwoDimensional ? a.Walks2d : a.Walks;
            if (!wanted)
            {
                set!.SkipSequence(ops);
                continue;
            }

            WalkSequence sequence = set!.Sequence(figure.Hot, ops);
            jitLog?.Drain();
            WalkTiming t = WalkTimer.Measure(sequence, a.Path, a.Repetitions, timingStarts: jitLog is null ? null : () => jitLog.Mark($"timing {figure.Name} starts"));
            if (jitLog is not null)
            {
                foreach (string compiled in jitLog.Drain())
                {
                    Console.Error.WriteLine($"jit during {figure.Name}: {compiled}");
                }
            }

            WalkTiming? other = a.BothPaths ? WalkTimer.Measure(sequence, WalkPath.Walker, a.Repetitions) : null;
            if (a.Json)
            {
                var line = new JObject
                {
                    ["bench"] = figure.Name,
                    ["ns_per_op"] = Math.Round(t.MedianNs, 2),
                    ["ops"] = ops,
                    ["reps"] = a.Repetitions,
                    ["min_ns"] = Math.Round(t.MinNs, 2),
                    ["max_ns"] = Math.Round(t.MaxNs, 2),
                    ["bytes_per_op"] = Math.Round(t.BytesPerOp, 3),
                    ["cpu_ns_per_op"] = Math.Round(t.CpuNs, 2),
                    ["set_pages"] = figure.Hot > 0 ? figure.Hot : set.Addresses.Length,
                    ["table_mib"] = Math.Round(set.TableBytes / 1048576.0, 1),
                    ["reads_per_op"] = figure.ReadsPerOp,
                    ["path"] = PathName(a.Path),
                    ["cold_ns_per_op"] = Math.Round(t.ColdNs, 1),
                    ["warmup_s"] = Math.Round(t.WarmupSeconds, 2),
                };
                if (other is not null)
                {
                    line["walker_ns_per_op"] = Math.Round(other.MedianNs, 2);
                    line["walker_bytes_per_op"] = Math.Round(other.BytesPerOp, 3);
                }

                output.WriteLine(line.ToString(Newtonsoft.Json.Formatting.None));
            }
            else
            {
                string walkerAlone = other is null ? "" : string.Create(inv, $"   walker alone {other.MedianNs:F1} ns");
                output.WriteLine(string.Create(inv,
                    $"  {figure.Name,-30} {t.MedianNs,9:F1} ns {t.MinNs,10:F1} {t.MaxNs,10:F1} {t.BytesPerOp,9:F2} {t.ColdNs,9:F1}{walkerAlone}"));
            }

            output.Flush();
        }

        set = null;
        foreach (SweepFigure sweep in SweepFigure.All)
        {
            if (!a.Wants(sweep.Name, sweep.ByDefault))
            {
                continue;
            }

            GC.Collect();
            jitLog?.Drain();
            int sweepRc = MeasureSweep(sweep, a, output);
            rc |= sweepRc;
            foreach (string compiled in jitLog?.Drain() ?? [])
            {
                Console.Error.WriteLine($"jit during {sweep.Name}: {compiled}");
            }

            output.Flush();
        }

        return rc;
    }

    private static int MeasureSweep(SweepFigure figure, BenchArguments a, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var sweep = new AccessSweep(new AccessSweepOptions(figure.MaxPhyAddr, figure.Pku, 4, AccessShard.All, null));

        // The same warm-up as the walk figures (WalkTimer.WarmUp: until tiered compilation has been quiet for a while):
        // with only the one untimed run below, a sweep shorter than the tiering delay (the 933,888-case one: 0.6 s for
        // all its runs) timed Vcpu.Access as ReadyToRun and instrumented code and the walker's helpers at tier 0
        // (docs/benchmarks.md, "Sweep per-case profile"). The body is the sweep's first 50,000 cases on its own VM.
        var warmUp = new AccessSweep(new AccessSweepOptions(figure.MaxPhyAddr, figure.Pku, 4, AccessShard.All, Limit: 50_000));
        WalkTimer.WarmUp(() => warmUp.Run(), TimeSpan.FromSeconds(2.5));
        int reps = a.SweepRepetitions;
        var seconds = new double[reps];
        var bytes = new double[reps];
        long cases = 0;
        for (int rep = -1; rep < reps; rep++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            AccessSweepResult result = sweep.Run();
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            if (result.Mismatches != 0 || result.CasesRun != figure.Cases)
            {
                Console.Error.WriteLine($"workbench bench: {figure.Name}: {result.CasesRun} cases, {result.Mismatches} mismatches; run ./workbench sweep access for the report");
                return 1;
            }

            cases = result.CasesRun;
            if (rep >= 0)
            {
                seconds[rep] = result.Elapsed.TotalSeconds;
                bytes[rep] = (double)allocated / cases;
            }
        }

        Array.Sort(seconds);
        Array.Sort(bytes);
        double median = WalkTimer.Median(seconds);
        if (a.Json)
        {
            output.WriteLine(new JObject
            {
                ["bench"] = figure.Name,
                ["seconds"] = Math.Round(median, 4),
                ["cases_per_s"] = Math.Round(cases / median),
                ["ns_per_case"] = Math.Round(median * 1e9 / cases, 1),
                ["cases"] = cases,
                ["reps"] = reps,
                ["min_s"] = Math.Round(seconds[0], 4),
                ["max_s"] = Math.Round(seconds[^1], 4),
                ["maxphyaddr"] = figure.MaxPhyAddr,
                ["pku"] = figure.Pku,
                ["levels"] = 4,
                ["checked"] = true,
                ["mismatches"] = 0,
                ["bytes_per_op"] = Math.Round(WalkTimer.Median(bytes), 3),
            }.ToString(Newtonsoft.Json.Formatting.None));
        }
        else
        {
            output.WriteLine(string.Create(inv,
                $"  {figure.Name,-30} {median,10:F4} s {seconds[0],10:F4} {seconds[^1],10:F4} {WalkTimer.Median(bytes),9:F2}   ({cases:N0} cases, {median * 1e9 / cases:F1} ns/case)"));
        }

        return 0;
    }

    /// <summary>
    /// <c>--breakdown</c>: for each selected walk figure (default walk4_hot, walk4_256m, walk2d_4x4_hot), the walk
    /// timed through smaller and smaller pieces of the model (<see cref="WalkBreakdown"/>), CPU ns per walk.
    /// </summary>
    private static int RunBreakdown(BenchArguments a, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        IEnumerable<WalkFigure> figures = a.Only is null
            ? new[] { "walk4_hot", "walk4_256m", "walk2d_4x4_hot" }.Select(n => WalkFigure.Find(n)!)
            : WalkFigure.All.Where(f => a.Only.Contains(f.Name));
        foreach (WalkFigure figure in figures)
        {
            WalkSet set = WalkSet.Build(figure);
            if (set.Verify() is { } wrong)
            {
                Console.Error.WriteLine($"workbench bench: {figure.Name}: {wrong}");
                return 1;
            }

            int ops = Math.Min(figure.IsTwoDimensional ? a.Walks2d : a.Walks, 1_000_000);
            var breakdown = new WalkBreakdown(set, figure.Hot, ops);
            output.WriteLine(string.Create(inv, $"{figure.Name}: CPU ns per walk, median of {a.Repetitions} repetitions of {ops:N0} walks"));
            foreach (WalkComponent c in breakdown.Measure(a.Repetitions))
            {
                if (a.Json)
                {
                    output.WriteLine(new JObject { ["bench"] = figure.Name, ["component"] = c.Name, ["cpu_ns_per_op"] = Math.Round(c.Ns, 2), ["what"] = c.What }.ToString(Newtonsoft.Json.Formatting.None));
                }
                else
                {
                    output.WriteLine(string.Create(inv, $"  {c.Name,-18} {c.Ns,8:F1} ns  {c.What}"));
                }

                output.Flush();
            }
        }

        return 0;
    }

    internal static string PathName(WalkPath path) => path == WalkPath.Vcpu ? "vcpu.access" : "pagewalker.gva_to_gpa";
}

/// <summary>An access.c sweep figure of cwalk (always checked against the oracle here).</summary>
/// <param name="Name">cwalk's name.</param>
/// <param name="MaxPhyAddr">Host MAXPHYADDR.</param>
/// <param name="Pku">PKU flags in the space.</param>
/// <param name="Cases">Legal cases.</param>
/// <param name="ByDefault">Run without <c>--only</c>.</param>
internal sealed record SweepFigure(string Name, int MaxPhyAddr, bool Pku, long Cases, bool ByDefault)
{
    /// <summary>The sweeps of the performance issue, in cwalk's order.</summary>
    public static IReadOnlyList<SweepFigure> All { get; } =
    [
        new SweepFigure("access_sweep_933888_checked", 52, false, 933_888, true),
        new SweepFigure("access_sweep_1916928_checked", 46, false, 1_916_928, true),
        new SweepFigure("access_sweep_19169280", 46, true, 19_169_280, true),
    ];
}

/// <summary>The options of <c>./workbench bench</c>.</summary>
internal sealed record BenchArguments
{
    /// <summary>Timed repetitions per walk figure (median reported).</summary>
    public int Repetitions { get; init; } = 7;

    /// <summary>Walks per repetition, 1-D (cwalk --walks).</summary>
    public int Walks { get; init; } = 10_000_000;

    /// <summary>Walks per repetition, 2-D (cwalk --walks2d).</summary>
    public int Walks2d { get; init; } = 2_000_000;

    /// <summary>Timed runs per sweep.</summary>
    public int SweepRepetitions { get; init; } = 5;

    /// <summary>Figures to run (cwalk --only); null: the defaults.</summary>
    public IReadOnlyList<string>? Only { get; init; }

    /// <summary>One JSON line per figure.</summary>
    public bool Json { get; init; }

    /// <summary>Entry point of the timed walks.</summary>
    public WalkPath Path { get; init; } = WalkPath.Vcpu;

    /// <summary>Also time PageWalker.GvaToGpa alone.</summary>
    public bool BothPaths { get; init; }

    /// <summary>Run cwalk beside the model and print ratios.</summary>
    public bool Compare { get; init; }

    /// <summary>Process runs per side with <see cref="Compare"/>.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>Folder holding cwalk.c and its Makefile (default: a <c>shared/perf</c> above the checkout).</summary>
    public string? CwalkDir { get; init; }

    /// <summary>CPU both sides are pinned to (taskset), or null for none.</summary>
    public string? Pin { get; init; } = "1";

    /// <summary>Time the walk through smaller pieces of the model instead of the figures.</summary>
    public bool Breakdown { get; init; }

    /// <summary>Print the model's methods the JIT compiled during each figure, with their tier (stderr).</summary>
    public bool JitLog { get; init; }

    /// <summary>Whether a figure runs.</summary>
    public bool Wants(string name, bool byDefault) => Only is null ? byDefault : Only.Contains(name);

    /// <summary>Arguments that reproduce this selection for a child <c>bench --json</c> process.</summary>
    public List<string> ChildArguments()
    {
        var list = new List<string>
        {
            "--json", "--reps", Repetitions.ToString(CultureInfo.InvariantCulture),
            "--walks", Walks.ToString(CultureInfo.InvariantCulture),
            "--walks2d", Walks2d.ToString(CultureInfo.InvariantCulture),
            "--sweep-reps", SweepRepetitions.ToString(CultureInfo.InvariantCulture),
            "--path", Path == WalkPath.Vcpu ? "vcpu" : "walker",
        };
        if (Only is not null)
        {
            list.Add("--only");
            list.Add(string.Join(',', Only));
        }

        return list;
    }

    /// <summary>The <c>bench</c> command (System.CommandLine, as every verb): its action receives the parsed arguments.</summary>
    public static Command CreateCommand(string name, Func<BenchArguments, int> run)
    {
        var json = new Option<bool>("--json") { Description = "One JSON line per figure, with cwalk's names and fields." };
        var breakdown = new Option<bool>("--breakdown") { Description = "Where a walk's time goes (Vcpu.Access, GvaToGpa, GuestWalker, bare walk, PermissionFault, EPT walks), CPU ns per walk." };
        var jitLog = new Option<bool>("--jit-log") { Description = "The model's methods compiled during each figure and their tier (stderr)." };
        var compare = new Option<bool>("--compare") { Description = "Build and run cwalk beside the model (pinned, alternating) and print figure, C median, ours, ratio." };
        var quick = new Option<bool>("--quick") { Description = "5 repetitions of 1,000,000 walks (2-D: 200,000), 3 sweep runs." };
        var noSweep = new Option<bool>("--no-sweep") { Description = "Walks only." };
        var only = new Option<string?>("--only") { Description = "Comma-separated figures (cwalk's names)." };
        only.Validators.Add(result =>
        {
            string text = result.Tokens is [{ } token] ? token.Value : string.Empty;
            string? unknown = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault(n => WalkFigure.Find(n) is null && SweepFigure.All.All(s => s.Name != n));
            if (unknown is not null)
            {
                result.AddError($"--only: unknown figure '{unknown}' (figures: {string.Join(", ", WalkFigure.All.Select(f => f.Name).Concat(SweepFigure.All.Select(s => s.Name)))}).");
            }
        });
        var path = new Option<string>("--path") { Description = "Vcpu.Access (vcpu, default, what users call), PageWalker.GvaToGpa alone (walker), or both.", DefaultValueFactory = _ => "vcpu" };
        path.AcceptOnlyFromAmong("vcpu", "walker", "both");
        var cwalk = new Option<string?>("--cwalk") { Description = "Folder holding cwalk.c and its Makefile (default: shared/perf above the checkout)." };
        var pin = new Option<string>("--pin") { Description = "CPU both sides are pinned to with taskset, or none.", DefaultValueFactory = _ => "1" };
        var reps = CliCommand.PositiveInt("--reps", "Timed repetitions per walk figure (median reported).", 7);
        var sweepReps = CliCommand.PositiveInt("--sweep-reps", "Timed runs per sweep.", 5);
        var runs = CliCommand.PositiveInt("--runs", "Process runs per side with --compare.", 1);
        var walks = CliCommand.IntInRange("--walks", "Walks per repetition, 1-D (cwalk --walks).", 10_000_000, 1000, int.MaxValue, _ => "--walks needs a number of at least 1000.");
        var walks2d = CliCommand.IntInRange("--walks2d", "Walks per repetition, 2-D (cwalk --walks2d).", 2_000_000, 1000, int.MaxValue, _ => "--walks2d needs a number of at least 1000.");
        var command = new Command(name,
            "The C reference's figures (../shared/perf/cwalk.c) on the model: same names, page sets, access mix and A/D state. "
            + "Walks: walk4 walk4_256m walk4_hot, walk5*, walkpae*, walk2d_4x4*, walk2d_5x5* (2-D: the vCPU in L2 over nested EPT); "
            + "sweeps (checked against the oracle): access_sweep_933888_checked access_sweep_1916928_checked access_sweep_19169280. "
            + "Each figure: medians of R repetitions after a warm-up that lasts until tiered JIT compilation is done; bytes_per_op "
            + "from GC.GetAllocatedBytesForCurrentThread; cpu_ns_per_op: process CPU time per walk. --compare skips the C side with "
            + "a message when the C reference is absent. docs/benchmarks.md has the details.")
        {
            json, breakdown, jitLog, compare, quick, noSweep, only, path, cwalk, pin, reps, sweepReps, runs, walks, walks2d,
        };
        command.SetAction(parsed =>
        {
            var result = new BenchArguments
            {
                Json = parsed.GetValue(json),
                Breakdown = parsed.GetValue(breakdown),
                JitLog = parsed.GetValue(jitLog),
                Compare = parsed.GetValue(compare),
                Repetitions = parsed.GetValue(reps),
                SweepRepetitions = parsed.GetValue(sweepReps),
                Runs = parsed.GetValue(runs),
                Walks = parsed.GetValue(walks),
                Walks2d = parsed.GetValue(walks2d),
                CwalkDir = parsed.GetValue(cwalk),
                Pin = parsed.GetValue(pin) is { } cpu && cpu != "none" ? cpu : null,
                Path = parsed.GetValue(path) == "walker" ? WalkPath.Walker : WalkPath.Vcpu,
                BothPaths = parsed.GetValue(path) == "both",
            };
            if (parsed.GetValue(quick))
            {
                result = result with { Repetitions = 5, Walks = 1_000_000, Walks2d = 200_000, SweepRepetitions = 3 };
            }

            if (parsed.GetValue(only) is { } names)
            {
                result = result with { Only = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() };
            }

            if (parsed.GetValue(noSweep))
            {
                result = result with { Only = (result.Only ?? WalkFigure.All.Select(f => f.Name).ToList()).Where(n => !n.StartsWith("access_sweep", StringComparison.Ordinal)).ToList() };
            }

            return run(result);
        });
        return command;
    }
}
