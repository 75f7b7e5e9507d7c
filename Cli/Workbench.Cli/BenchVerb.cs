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
    public int Run(string[] args)
    {
        if (!BenchArguments.TryParse(args, out BenchArguments? parsed, out string? error))
        {
            Console.Error.WriteLine($"workbench bench: {error}");
            BenchArguments.PrintUsage(Console.Error);
            return 2;
        }

        if (parsed is null)
        {
            BenchArguments.PrintUsage(Console.Out);
            return 0;
        }

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
            int sweepRc = MeasureSweep(sweep, a, output);
            rc |= sweepRc;
            output.Flush();
        }

        return rc;
    }

    private static int MeasureSweep(SweepFigure figure, BenchArguments a, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var sweep = new AccessSweep(new AccessSweepOptions(figure.MaxPhyAddr, figure.Pku, 4, AccessShard.All, null));
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

    /// <summary>Parses the arguments; <paramref name="parsed"/> is null when help was asked for.</summary>
    public static bool TryParse(string[] args, out BenchArguments? parsed, out string? error)
    {
        var result = new BenchArguments();
        parsed = null;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? next = i + 1 < args.Length ? args[i + 1] : null;
            switch (arg)
            {
                case "-h":
                case "--help":
                    return true;
                case "--json":
                    result = result with { Json = true };
                    break;
                case "--breakdown":
                    result = result with { Breakdown = true };
                    break;
                case "--jit-log":
                    result = result with { JitLog = true };
                    break;
                case "--compare":
                    result = result with { Compare = true };
                    break;
                case "--quick":
                    result = result with { Repetitions = 5, Walks = 1_000_000, Walks2d = 200_000, SweepRepetitions = 3 };
                    break;
                case "--no-sweep":
                    result = result with { Only = (result.Only ?? WalkFigure.All.Select(f => f.Name).ToList()).Where(n => !n.StartsWith("access_sweep", StringComparison.Ordinal)).ToList() };
                    break;
                case "--only":
                    if (string.IsNullOrWhiteSpace(next))
                    {
                        error = "--only needs a comma-separated list of figures";
                        return false;
                    }

                    var names = next.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                    string? unknown = names.FirstOrDefault(n => WalkFigure.Find(n) is null && SweepFigure.All.All(s => s.Name != n));
                    if (unknown is not null)
                    {
                        error = $"unknown figure '{unknown}' (figures: {string.Join(", ", WalkFigure.All.Select(f => f.Name).Concat(SweepFigure.All.Select(s => s.Name)))})";
                        return false;
                    }

                    result = result with { Only = names };
                    i++;
                    break;
                case "--path":
                    switch (next)
                    {
                        case "vcpu":
                            result = result with { Path = WalkPath.Vcpu, BothPaths = false };
                            break;
                        case "walker":
                            result = result with { Path = WalkPath.Walker, BothPaths = false };
                            break;
                        case "both":
                            result = result with { Path = WalkPath.Vcpu, BothPaths = true };
                            break;
                        default:
                            error = "--path takes vcpu, walker or both";
                            return false;
                    }

                    i++;
                    break;
                case "--cwalk":
                    if (string.IsNullOrEmpty(next))
                    {
                        error = "--cwalk needs the folder holding cwalk.c";
                        return false;
                    }

                    result = result with { CwalkDir = next };
                    i++;
                    break;
                case "--pin":
                    result = result with { Pin = string.IsNullOrEmpty(next) || next == "none" ? null : next };
                    i++;
                    break;
                case "--reps":
                case "--sweep-reps":
                case "--runs":
                case "--walks":
                case "--walks2d":
                    if (!int.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 ||
                        (arg.StartsWith("--walks", StringComparison.Ordinal) && n < 1000))
                    {
                        error = $"{arg} needs a positive number{(arg.StartsWith("--walks", StringComparison.Ordinal) ? " of at least 1000" : "")}";
                        return false;
                    }

                    result = arg switch
                    {
                        "--reps" => result with { Repetitions = n },
                        "--sweep-reps" => result with { SweepRepetitions = n },
                        "--runs" => result with { Runs = n },
                        "--walks" => result with { Walks = n },
                        _ => result with { Walks2d = n },
                    };
                    i++;
                    break;
                default:
                    error = $"unknown option '{arg}'";
                    return false;
            }
        }

        parsed = result;
        return true;
    }

    /// <summary>Writes the usage.</summary>
    public static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("usage: ./workbench bench [--json] [--only a,b,...] [--reps R] [--walks N] [--walks2d N] [--sweep-reps R]");
        writer.WriteLine("                         [--path vcpu|walker|both] [--quick] [--no-sweep] [--jit-log] [--breakdown]");
        writer.WriteLine("       ./workbench bench --compare [--runs N] [--cwalk DIR] [--pin CPU|none] [same selection options]");
        writer.WriteLine("  The C reference's figures (../shared/perf/cwalk.c) on the model: same names, page sets, access mix and A/D state.");
        writer.WriteLine("  Walks: walk4 walk4_256m walk4_hot, walk5*, walkpae*, walk2d_4x4*, walk2d_5x5* (2-D: the vCPU in L2 over nested EPT);");
        writer.WriteLine("  sweeps (checked against the oracle): access_sweep_933888_checked access_sweep_1916928_checked access_sweep_19169280.");
        writer.WriteLine("  Each figure: medians of R repetitions after a warm-up that lasts until tiered JIT compilation is done;");
        writer.WriteLine("  bytes_per_op from GC.GetAllocatedBytesForCurrentThread. Defaults as cwalk: R=7, N=10,000,000, 2-D 2,000,000.");
        writer.WriteLine("  cpu_ns_per_op: process CPU time per walk (Environment.CpuUsage), less disturbed by other processes than wall time.");
        writer.WriteLine("  --breakdown: where a walk's time goes (Vcpu.Access, GvaToGpa, GuestWalker direct, bare walk on model / flat memory,");
        writer.WriteLine("  PermissionFault, EPT walks alone), CPU ns per walk; default figures walk4_hot walk4_256m walk2d_4x4_hot.");
        writer.WriteLine("  --jit-log: the model's methods compiled during each figure and their tier (tier1 = what the timing ran).");
        writer.WriteLine("  --path: Vcpu.Access (default, what users call), PageWalker.GvaToGpa alone, or both.");
        writer.WriteLine("  --compare: builds cwalk with make (into out/cwalk), runs it and this benchmark as separate processes pinned");
        writer.WriteLine("  with taskset (CPU 1), alternating, N runs each, and prints figure, C median, ours, ratio, bytes/op.");
        writer.WriteLine("  Skips with a message when the C reference is absent. docs/benchmarks.md has the details.");
    }
}
