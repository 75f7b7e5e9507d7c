using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Workbench.Mmu;
using Workbench.Mmu.Sweeps;

namespace Workbench.Cli;

/// <summary>The options of <c>./workbench sweep access</c>.</summary>
internal sealed record SweepArguments
{
    /// <summary>Include the PKU flags.</summary>
    public bool Pku { get; init; }

    /// <summary>Deterministic slice.</summary>
    public AccessShard Shard { get; init; } = AccessShard.All;

    /// <summary>Threads the sweep runs on (each with its own VM); the report is the same for any number.</summary>
    public int Jobs { get; init; } = AccessSweepJobs.DefaultJobs;

    /// <summary>Stop after this many cases.</summary>
    public long? Limit { get; init; }

    /// <summary>Guest MAXPHYADDR.</summary>
    public int MaxPhyAddr { get; init; } = 46;

    /// <summary>Repeat with 5-level paging (or, with <see cref="Case"/>, run the case with 5 levels).</summary>
    public bool La57 { get; init; }

    /// <summary>Count all mismatches instead of stopping at the first.</summary>
    public bool KeepGoing { get; init; }

    /// <summary>No progress line.</summary>
    public bool Quiet { get; init; }

    /// <summary>Run this single case instead of the sweep.</summary>
    public AccessCase? Case { get; init; }

    /// <summary>--tdp none|ept|npt: KVM builds SPTEs through the shadow MMU or the TDP MMU for every case (null: walks only).</summary>
    public TdpMode? Tdp { get; init; }

    /// <summary>--variant NAME: the MMU organization (structure variant) the sweep runs under.</summary>
    public string Variant { get; init; } = Workbench.Mmu.Contexts.ContextLayouts.Default;

    /// <summary>The <c>access</c> command, whose action receives the parsed arguments.</summary>
    public static Command CreateAccessCommand(Func<SweepArguments, int> run)
    {
        var pku = new Option<bool>("--pku") { Description = "Include pkru.ad/pkru.wd/pkey=1/cr4.pke (10x the cases)." };
        var shard = new Option<AccessShard>("--shard")
        {
            Description = "Run the cases whose ordinal is K modulo N (K/N, 0 <= K < N).",
            DefaultValueFactory = _ => AccessShard.All,
            CustomParser = result => Parse<AccessShard>(result, AccessShard.TryParse),
        };
        var jobs = CliCommand.PositiveInt("--jobs",
            "Threads, each with its own VM (default: every core). Merged in enumeration order: the same counts and first mismatch as one job.",
            AccessSweepJobs.DefaultJobs);
        var limit = new Option<long?>("--limit") { Description = "Stop after N cases." };
        limit.Validators.Add(result =>
        {
            if (result.Tokens is [{ } token] && long.TryParse(token.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) && value < 0)
            {
                result.AddError("--limit needs a non-negative number of cases.");
            }
        });
        var maxPhyAddr = CliCommand.IntInRange("--maxphyaddr",
            $"Guest MAXPHYADDR, {VmConfig.MinMaxPhyAddr}..{VmConfig.MaxMaxPhyAddr}: bit 51 is tested below 52, bit 36 below 37.", 46,
            VmConfig.MinMaxPhyAddr, VmConfig.MaxMaxPhyAddr,
            _ => $"--maxphyaddr needs a number in {VmConfig.MinMaxPhyAddr}..{VmConfig.MaxMaxPhyAddr} (46 and 52 are the interesting ones).");
        var la57 = new Option<bool>("--la57") { Description = "Repeat the sweep with 5-level paging, as access_test.c does." };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Count every mismatch (the first is still reported)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress line." };
        var single = new Option<AccessCase?>("--case")
        {
            Description = "Run one case (access.c names or a hex flag word) and print its reproduction line.",
            CustomParser = result => Parse<AccessCase>(result, AccessCaseNames.TryParse),
        };
        var tdp = new Option<string?>("--tdp")
        {
            Description = "none|ept|npt: KVM builds page tables for every case (shadow MMU or TDP MMU, as access.c runs with "
                + "ept=0/1) and each fixed fault must let the retried access through. Default: walks only.",
        };
        tdp.AcceptOnlyFromAmong("none", "ept", "npt");
        var variant = new Option<string>("--variant")
        {
            Description = "Run under another MMU organization (./workbench compare --list).",
            DefaultValueFactory = _ => Workbench.Mmu.Contexts.ContextLayouts.Default,
        };
        variant.Validators.Add(result =>
        {
            if (result.Tokens is [{ } token] && !Workbench.Mmu.Contexts.ContextLayouts.Exists(token.Value))
            {
                result.AddError($"--variant needs one of {string.Join(", ", Workbench.Mmu.Contexts.ContextLayouts.Names)}.");
            }
        });
        var command = new Command("access",
            "Runs kvm-unit-tests x86/access.c's main loop (ac_test_bump / ac_test_legal order) through the model's walker and "
            + "checks every case against an independent oracle (fault, error code, PTE/PDE A/D bits). Exit code 0: no mismatch; "
            + "1: a mismatch (report on stdout, replay its 2nd line with ./workbench run --jsonl).")
        {
            pku, shard, jobs, limit, maxPhyAddr, la57, keepGoing, quiet, single, tdp, variant,
        };
        command.SetAction(parsed => run(new SweepArguments
        {
            Pku = parsed.GetValue(pku),
            Shard = parsed.GetValue(shard),
            Jobs = parsed.GetValue(jobs),
            Limit = parsed.GetValue(limit),
            MaxPhyAddr = parsed.GetValue(maxPhyAddr),
            La57 = parsed.GetValue(la57),
            KeepGoing = parsed.GetValue(keepGoing),
            Quiet = parsed.GetValue(quiet),
            Case = parsed.GetValue(single),
            Tdp = parsed.GetValue(tdp) switch
            {
                "none" => TdpMode.None,
                "ept" => TdpMode.Ept,
                "npt" => TdpMode.Npt,
                _ => null,
            },
            Variant = parsed.GetValue(variant)!,
        }));
        return command;
    }

    private delegate bool TryParseText<T>(string text, out T value, out string? error);

    /// <summary>Parses an option's one token with the model's own parser, reporting its message as the option's error.</summary>
    private static T Parse<T>(ArgumentResult result, TryParseText<T> tryParse)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (tryParse(text, out T value, out string? error))
        {
            return value;
        }

        string name = ((OptionResult)result.Parent!).Option.Name;
        result.AddError(error is not null && error.StartsWith(name, StringComparison.Ordinal) ? error : $"{name}: {error}");
        return default!;
    }
}
