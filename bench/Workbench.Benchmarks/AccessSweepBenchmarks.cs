using BenchmarkDotNet.Attributes;
using Workbench.Mmu.Sweeps;

namespace Workbench.Benchmarks;

/// <summary>
/// The access.c sweep per case: 65,536 legal cases (4-level, MAXPHYADDR 46, no PKU) per operation, from the
/// start of access.c's order; the result is ns per case. The sweep's VM is built once.
/// </summary>
[MemoryDiagnoser]
public class AccessSweepBenchmarks
{
    private const int CasesPerInvoke = 65_536;

    private AccessSweep _sweep = null!;

    /// <summary>Builds the sweep's VM.</summary>
    [GlobalSetup]
    public void Setup() => _sweep = new AccessSweep(new AccessSweepOptions(46, false, 4, AccessShard.All, CasesPerInvoke));

    /// <summary>Runs the first 65,536 cases and checks them against the oracle.</summary>
    [Benchmark(OperationsPerInvoke = CasesPerInvoke)]
    public long SweepCases()
    {
        AccessSweepResult result = _sweep.Run();
        return result.Mismatches == 0 ? result.CasesRun : throw new InvalidOperationException(result.FirstMismatch!.ToReport());
    }
}
