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

    /// <summary>Stop after this many cases.</summary>
    public long? Limit { get; init; }

    /// <summary>Guest MAXPHYADDR.</summary>
    public int MaxPhyAddr { get; init; } = 46;

    /// <summary>--variant NAME: the MMU organization (structure variant) the sweep runs under.</summary>
    public string Variant { get; init; } = Workbench.Mmu.Contexts.ContextLayouts.Default;

    /// <summary>--tdp none|ept|npt: build SPTEs through the shadow MMU or the TDP MMU for every case (null: walks only).</summary>
    public TdpMode? Tdp { get; init; }

    /// <summary>Repeat with 5-level paging (or, with <see cref="Case"/>, run the case with 5 levels).</summary>
    public bool La57 { get; init; }

    /// <summary>Count all mismatches instead of stopping at the first.</summary>
    public bool KeepGoing { get; init; }

    /// <summary>No progress line.</summary>
    public bool Quiet { get; init; }

    /// <summary>Run this single case instead of the sweep.</summary>
    public AccessCase? Case { get; init; }

    /// <summary>Parses the arguments after <c>sweep access</c>.</summary>
    public static bool TryParse(ReadOnlySpan<string> args, out SweepArguments? parsed, out string? error)
    {
        var result = new SweepArguments();
        parsed = null;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;

            switch (arg)
            {
                case "--pku":
                    result = result with { Pku = true };
                    break;
                case "--la57":
                    result = result with { La57 = true };
                    break;
                case "--keep-going":
                    result = result with { KeepGoing = true };
                    break;
                case "--quiet":
                case "-q":
                    result = result with { Quiet = true };
                    break;
                case "--shard":
                    if (!AccessShard.TryParse(value ?? string.Empty, out AccessShard shard, out error))
                    {
                        return false;
                    }

                    result = result with { Shard = shard };
                    i++;
                    break;
                case "--limit":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long limit))
                    {
                        error = "--limit needs a non-negative number of cases";
                        return false;
                    }

                    result = result with { Limit = limit };
                    i++;
                    break;
                case "--maxphyaddr":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int maxPhyAddr) || maxPhyAddr < VmConfig.MinMaxPhyAddr || maxPhyAddr > VmConfig.MaxMaxPhyAddr)
                    {
                        error = "--maxphyaddr needs a number in 36..52 (46 and 52 are the interesting ones)";
                        return false;
                    }

                    result = result with { MaxPhyAddr = maxPhyAddr };
                    i++;
                    break;
                case "--tdp":
                    TdpMode? tdp = value switch
                    {
                        "none" => TdpMode.None,
                        "ept" => TdpMode.Ept,
                        "npt" => TdpMode.Npt,
                        _ => null,
                    };
                    if (tdp is null)
                    {
                        error = "--tdp needs none (shadow MMU), ept or npt (TDP MMU)";
                        return false;
                    }

                    result = result with { Tdp = tdp };
                    i++;
                    break;
                case "--variant":
                    if (value is null || !Workbench.Mmu.Contexts.ContextLayouts.Exists(value))
                    {
                        error = $"--variant needs one of {string.Join(", ", Workbench.Mmu.Contexts.ContextLayouts.Names)}";
                        return false;
                    }

                    result = result with { Variant = value };
                    i++;
                    break;
                case "--case":
                    if (!AccessCaseNames.TryParse(value ?? string.Empty, out AccessCase flags, out error))
                    {
                        error = "--case: " + error;
                        return false;
                    }

                    result = result with { Case = flags };
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
}

/// <summary>Help text of <c>./workbench sweep</c>.</summary>
internal static class SweepUsage
{
    /// <summary>Writes the usage.</summary>
    public static void Print(TextWriter writer)
    {
        writer.WriteLine("usage: ./workbench sweep access [--pku] [--shard K/N] [--limit N] [--maxphyaddr 36..52] [--la57]");
        writer.WriteLine("                                 [--keep-going] [--quiet] [--case \"pte.p pde.p write ...\"]");
        writer.WriteLine("  Runs kvm-unit-tests x86/access.c's main loop (ac_test_bump / ac_test_legal order) through the model's");
        writer.WriteLine("  walker and checks every case against an independent oracle (fault, error code, PTE/PDE A/D bits).");
        writer.WriteLine("  --pku          include pkru.ad/pkru.wd/pkey=1/cr4.pke (10x the cases)");
        writer.WriteLine("  --shard K/N    run the cases whose ordinal is K modulo N (0 <= K < N)");
        writer.WriteLine("  --limit N      stop after N cases");
        writer.WriteLine("  --maxphyaddr M guest MAXPHYADDR (default 46): bit 51 is tested below 52, bit 36 below 37");
        writer.WriteLine("  --la57         repeat the sweep with 5-level paging, as access_test.c does");
        writer.WriteLine("  --variant NAME run under another MMU organization (./workbench compare --list; default 6.12)");
        writer.WriteLine("  --tdp MODE     none|ept|npt: KVM builds SPTEs for every case (shadow MMU or TDP MMU, as access.c runs with");
        writer.WriteLine("                 ept=0/1) and each fixed fault must let the retried access through; default: walks only");
        writer.WriteLine("  --keep-going   count every mismatch (the first is still reported)");
        writer.WriteLine("  --case NAMES   run one case (access.c names or a hex flag word) and print its reproduction line");
        writer.WriteLine("  Exit code 0: no mismatch; 1: a mismatch (report on stdout, replay its 2nd line with ./workbench run --jsonl).");
    }
}
