using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Workbench.Mmu.Sweeps;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench bench</c>: the project's quick benchmark. Stopwatch timing after a warm-up, N repetitions,
/// medians and ratios: ns and allocated bytes per walk for 4-level, 5-level and PAE paging
/// (<see cref="WalkWorkload"/>, the same workload as the BenchmarkDotNet project in <c>bench/</c>), and the
/// access.c sweep's cases per second. For publishable numbers use
/// <c>dotnet run -c Release --project bench/Workbench.Benchmarks -- --filter '*'</c>.
/// </summary>
public sealed class BenchVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "bench";

    /// <inheritdoc/>
    public string Summary => "quick benchmark: ns/walk (4-level, 5-level, PAE), bytes/walk, access sweep cases/s";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        return CliCommand.Invoke(BenchArguments.CreateCommand(Name, Measure), args);
    }

    private static int Measure(BenchArguments parsed)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Create(inv,
            $"workbench bench: {parsed.Repetitions} repetitions of {parsed.Walks:N0} walks per mode, medians ({Environment.ProcessorCount} CPUs, .NET {Environment.Version})"));
        Console.Out.WriteLine($"  {"walk",-10} {"ns/walk",10} {"min",8} {"max",8} {"bytes/walk",11} {"vs 4-level",11}");

        double baseline = 0;
        foreach (WalkMode mode in new[] { WalkMode.Long4, WalkMode.Long5, WalkMode.Pae })
        {
            BenchWalkStats stats = MeasureWalks(mode, parsed);
            if (mode == WalkMode.Long4)
            {
                baseline = stats.MedianNs;
            }

            string label = mode switch
            {
                WalkMode.Long4 => "4-level",
                WalkMode.Long5 => "5-level",
                _ => "PAE",
            };
            Console.Out.WriteLine(string.Create(inv,
                $"  {label,-10} {stats.MedianNs,10:F1} {stats.MinNs,8:F1} {stats.MaxNs,8:F1} {stats.BytesPerWalk,11:F2} {stats.MedianNs / baseline,10:F2}x"));
        }

        if (parsed.SweepCases != 0)
        {
            var rates = new List<double>();
            long cases = 0;
            for (int rep = 0; rep < parsed.SweepRepetitions; rep++)
            {
                var sweep = new AccessSweep(new AccessSweepOptions(46, false, 4, AccessShard.All, parsed.SweepCases > 0 ? parsed.SweepCases : null));
                AccessSweepResult result = sweep.Run();
                if (result.Mismatches != 0)
                {
                    Console.Error.WriteLine("workbench bench: the access sweep found a mismatch; run ./workbench sweep access for the report");
                    return 1;
                }

                cases = result.CasesRun;
                rates.Add(result.CasesPerSecond);
            }

            rates.Sort();
            Console.Out.WriteLine(string.Create(inv,
                $"  access sweep (4-level, MAXPHYADDR 46, no PKU): {cases:N0} cases, median {BenchMath.Median(rates):N0} cases/s (min {rates[0]:N0}, max {rates[^1]:N0}, {rates.Count} runs)"));
        }

        return 0;
    }

    private static BenchWalkStats MeasureWalks(WalkMode mode, BenchArguments parsed)
    {
        WalkWorkload workload = WalkWorkload.Create(mode);

        // Warm-up: lets tiered compilation reach the optimised (PGO) code before timing.
        for (int i = 0; i < 3; i++)
        {
            workload.Walk(Math.Max(parsed.Walks / 2, 50_000));
        }

        var nanoseconds = new List<double>();
        var bytes = new List<double>();
        for (int rep = 0; rep < parsed.Repetitions; rep++)
        {
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            workload.Walk(parsed.Walks);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            nanoseconds.Add(elapsed.TotalNanoseconds / parsed.Walks);
            bytes.Add((double)allocated / parsed.Walks);
        }

        nanoseconds.Sort();
        bytes.Sort();
        return new BenchWalkStats(BenchMath.Median(nanoseconds), nanoseconds[0], nanoseconds[^1], BenchMath.Median(bytes));
    }
}

/// <summary>Median, min and max of one walk benchmark.</summary>
internal readonly record struct BenchWalkStats(double MedianNs, double MinNs, double MaxNs, double BytesPerWalk);

/// <summary>Small statistics helpers.</summary>
internal static class BenchMath
{
    /// <summary>Median of a sorted list.</summary>
    public static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

/// <summary>The options of <c>./workbench bench</c>.</summary>
internal sealed record BenchArguments
{
    /// <summary>Timed repetitions per walk mode.</summary>
    public int Repetitions { get; init; } = 7;

    /// <summary>Walks per repetition.</summary>
    public int Walks { get; init; } = 1_000_000;

    /// <summary>Cases per sweep run (-1: the whole non-PKU space; 0: no sweep).</summary>
    public long SweepCases { get; init; } = -1;

    /// <summary>Sweep runs (median reported).</summary>
    public int SweepRepetitions { get; init; } = 3;

    /// <summary>The <c>bench</c> command, whose action receives the parsed arguments.</summary>
    public static Command CreateCommand(string name, Func<BenchArguments, int> run)
    {
        var reps = CliCommand.PositiveInt("--reps", "Timed repetitions per walk mode, and sweep runs (medians).", 7);
        var walks = CliCommand.PositiveInt("--walks", "Walks per repetition (at least 1000).", 1_000_000);
        walks.Validators.Add(result =>
        {
            if (result.Tokens is [{ } token] && int.TryParse(token.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value is > 0 and < 1000)
            {
                result.AddError("--walks needs a number of at least 1000.");
            }
        });
        var quick = new Option<bool>("--quick") { Description = "3 repetitions of 200,000 walks and one 200,000-case sweep." };
        var noSweep = new Option<bool>("--no-sweep") { Description = "Walks only." };
        var command = new Command(name,
            "ns/walk and bytes/walk (GC.GetAllocatedBytesForCurrentThread) for 4-level, 5-level and PAE walks (median of N "
            + "repetitions after a warm-up), then the access.c sweep's cases/s (median of N runs). BenchmarkDotNet: "
            + "dotnet run -c Release --project bench/Workbench.Benchmarks -- --filter '*'")
        {
            reps, walks, quick, noSweep,
        };
        command.SetAction(parsed =>
        {
            var result = new BenchArguments();
            if (parsed.GetValue(quick))
            {
                result = result with { Repetitions = 3, Walks = 200_000, SweepCases = 200_000, SweepRepetitions = 1 };
            }

            if (parsed.GetResult(reps) is not null)
            {
                result = result with { Repetitions = parsed.GetValue(reps), SweepRepetitions = parsed.GetValue(reps) };
            }

            if (parsed.GetResult(walks) is not null)
            {
                result = result with { Walks = parsed.GetValue(walks) };
            }

            if (parsed.GetValue(noSweep))
            {
                result = result with { SweepCases = 0 };
            }

            return run(result);
        });
        return command;
    }
}
