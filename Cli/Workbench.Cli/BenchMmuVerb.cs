using System.CommandLine;
using System.Globalization;
using Workbench.Mmu.Bench;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench bench-mmu [--gib N]</c>: the shadow MMU's costs on a guest mapping N GiB (default 64) with 4 KiB
/// pages: building the guest tables, one shadow fault per page, repeated accesses, a full sync, and memory.
/// </summary>
public sealed class BenchMmuVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "bench-mmu";

    /// <inheritdoc/>
    public string Summary => "shadow MMU benchmark: fault every page of a guest mapping N GiB (default 64) with 4K pages; time and memory";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var gib = CliCommand.IntInRange("--gib", "Guest size in GiB, 1..256.", 64, 1, 256, value => $"--gib needs a number in 1..256, not {value}.");
        var command = new Command(Name, "The shadow MMU on a guest mapping N GiB with 4K pages: building its tables, one shadow fault per page, "
            + "accesses that hit, a sync of the root, and memory.") { gib };
        command.SetAction(parsed => Measure(parsed.GetValue(gib)));
        return CliCommand.Invoke(command, args);
    }

    private static int Measure(int gib)
    {
        var r = ShadowWorkload.Run(gib);
        Console.WriteLine(FormattableString.Invariant($"guest: {gib} GiB mapped by {r.Pages:N0} 4K pages ({r.GptBytes >> 20} MiB of gPTEs)"));
        Console.WriteLine(FormattableString.Invariant($"  build guest tables      {r.BuildSeconds,8:0.00} s"));
        Console.WriteLine(FormattableString.Invariant($"  shadow faults (1/page)  {r.FaultSeconds,8:0.00} s   {r.FaultNs,7:0} ns per fault"));
        Console.WriteLine(FormattableString.Invariant($"  accesses that hit       {r.HitNs,17:0} ns per access"));
        Console.WriteLine(FormattableString.Invariant($"  sync of the root        {r.SyncSeconds,8:0.00} s"));
        Console.WriteLine(FormattableString.Invariant($"  shadow MMU memory       {r.ShadowBytes >> 20,8} MiB ({(double)r.ShadowBytes / r.GptBytes:0.00}x the gPTEs)"));
        Console.WriteLine(FormattableString.Invariant($"  managed heap            {r.ManagedBytes >> 20,8} MiB"));
        return 0;
    }
}
