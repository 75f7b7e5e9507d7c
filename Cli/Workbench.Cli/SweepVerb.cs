using System.CommandLine;
using System.Globalization;
using Workbench.Mmu;
using Workbench.Mmu.Sweeps;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench sweep access</c>: kvm-unit-tests x86/access.c's exhaustive flag sweep run against the model,
/// checked case by case by an independent oracle. Prints progress to stderr, a summary to stdout, and on the
/// first disagreement a report whose second line is an experiment that <c>./workbench run --jsonl</c> replays.
/// </summary>
public sealed class SweepVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "sweep";

    /// <inheritdoc/>
    public string Summary => "sweep access: kvm-unit-tests access.c flag space through the model, with an oracle";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var command = new Command(Name, "Sweeps a flag space through the model, checked by an independent oracle.")
        {
            SweepArguments.CreateAccessCommand(Access),
            CreateMergeCommand(),
        };
        return CliCommand.Invoke(command, args);
    }

    private static Command CreateMergeCommand()
    {
        var files = new Argument<string[]>("files") { Description = "The outputs (stdout and stderr) of `sweep access --shard K/N`, one file per shard.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("merge",
            "Merges the outputs of one sweep spread over machines with --shard K/N: adds the counts and prints the report of the "
            + "first mismatch in enumeration order (the smallest failing flag word). Exit code 0: no mismatch; 1: a mismatch.")
        {
            files,
        };
        command.SetAction(parsed => MergeShards(parsed.GetValue(files)!));
        return command;
    }

    private static int MergeShards(string[] files)
    {
        var shards = new List<AccessShardOutput>();
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"workbench sweep merge: {file}: no such file");
                return 2;
            }

            if (!AccessShardMerge.TryParse(file, File.ReadAllText(file), out AccessShardOutput? shard, out string? error))
            {
                Console.Error.WriteLine($"workbench sweep merge: {error}");
                return 2;
            }

            shards.Add(shard!);
        }

        AccessShardMergeResult merged = AccessShardMerge.Merge(shards);
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Create(inv, $"access sweep, {shards.Count} shard output(s) merged"));
        Console.Out.WriteLine(string.Create(inv, $"  legal cases  {merged.LegalCases,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  cases run    {merged.CasesRun,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  mismatches   {merged.Mismatches,14:N0}"));
        if (merged.First is { } first)
        {
            Console.Out.WriteLine($"first mismatch in enumeration order: case 0x{first.FailedCase:x8}, from {first.Name}:");
            Console.Out.Write(first.Text);
            return 1;
        }

        return 0;
    }

    private static int Access(SweepArguments parsed)
    {
        if (parsed.Case is AccessCase single)
        {
            return RunOne(parsed, single);
        }

        int exitCode = 0;
        foreach (int levels in parsed.La57 ? new[] { 4, 5 } : new[] { 4 })
        {
            var options = new AccessSweepOptions(parsed.MaxPhyAddr, parsed.Pku, levels, parsed.Shard, parsed.Limit, parsed.KeepGoing, parsed.Tdp, parsed.Variant);
            AccessSweepResult result = RunSweep(options, parsed.Jobs, parsed.Quiet);
            PrintSummary(result, parsed.Jobs);
            if (result.FirstMismatch is { } mismatch)
            {
                Console.Out.Write(mismatch.ToReport());
                Console.Error.WriteLine($"workbench sweep access: FAILED at case 0x{(uint)mismatch.Case:x8} [{mismatch.CaseNames}]: {mismatch.Reason}");
                exitCode = 1;
                if (!parsed.KeepGoing)
                {
                    break;
                }
            }
        }

        return exitCode;
    }

    private static AccessSweepResult RunSweep(AccessSweepOptions options, int jobs, bool quiet)
    {
        string label = $"{options.Levels}-level";
        bool wroteProgress = false;
        Action<AccessSweepProgress>? report = quiet ? null : progress =>
        {
            double percent = progress.CasesPlanned > 0 ? 100.0 * progress.CasesRun / progress.CasesPlanned : 100;
            Console.Error.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"\r  [{label}] {progress.CasesRun,11:N0} / {progress.CasesPlanned:N0} ({percent,5:F1} %)  {progress.CasesPerSecond,12:N0} cases/s"));
            wroteProgress = true;
        };

        AccessSweepResult result = AccessSweepJobs.Run(options, jobs, report);
        if (wroteProgress)
        {
            Console.Error.WriteLine();
        }

        return result;
    }

    private static void PrintSummary(AccessSweepResult result, int jobs)
    {
        AccessSweepOptions options = result.Options;
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Create(inv,
            $"access sweep: {options.Levels}-level paging, MAXPHYADDR {options.MaxPhyAddr}, {(options.Pku ? "with" : "no")} PKU, shard {options.EffectiveShard}{(options.Limit is long limit ? $", limit {limit:N0}" : string.Empty)}{(options.Tdp is { } tdp ? $", KVM MMU: {(tdp == TdpMode.None ? "shadow" : tdp.ToString().ToUpperInvariant() + " (TDP MMU)")}" : ", walks only")}"));
        Console.Out.WriteLine(string.Create(inv, $"  legal cases  {result.LegalCases,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  planned      {result.CasesPlanned,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  cases run    {result.CasesRun,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  mismatches   {result.Mismatches,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  jobs         {jobs,14:N0}"));
        Console.Out.WriteLine(string.Create(inv, $"  time         {result.Elapsed.TotalSeconds,14:F3} s"));
        Console.Out.WriteLine(string.Create(inv, $"  cases/s      {result.CasesPerSecond,14:N0}"));
    }

    private static int RunOne(SweepArguments parsed, AccessCase flags)
    {
        int levels = parsed.La57 ? 5 : 4;
        var sweep = new AccessSweep(new AccessSweepOptions(parsed.MaxPhyAddr, parsed.Pku, levels, Tdp: parsed.Tdp, Layout: parsed.Variant));
        if (!sweep.Space.Contains(flags))
        {
            Console.Error.WriteLine(
                $"workbench sweep access: case [{flags.Format()}] is not in the space (illegal per ac_test_legal, or a flag masked at MAXPHYADDR {parsed.MaxPhyAddr}{(parsed.Pku ? string.Empty : " without --pku")})");
            return 2;
        }

        bool agrees = sweep.RunAndCheck(flags, out AccessExpectation expected, out AccessObservation observed, out string? reason);
        if (!agrees)
        {
            Console.Out.Write(sweep.DescribeMismatch(flags, expected, observed, reason!).ToReport());
            return 1;
        }

        Console.Out.WriteLine($"PASS access.c case 0x{(uint)flags:x8} ({levels}-level): {flags.Format()}");
        Console.Out.WriteLine(expected.Fault
            ? $"  #PF error code 0x{expected.ErrorCode:x}; pde 0x{observed.Pde:x}, pte 0x{observed.Pte:x}"
            : $"  completed at gpa 0x{observed.Gpa:x}; pde 0x{observed.Pde:x}, pte 0x{observed.Pte:x}");
        Console.Out.WriteLine(AccessReproduction.ToJsonLine(AccessReproduction.Build(flags, sweep.Layout, parsed.MaxPhyAddr)));
        return 0;
    }
}
