using BenchmarkDotNet.Attributes;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Paging;

namespace Workbench.Benchmarks;

/// <summary>
/// One guest walk through <c>Vcpu.Access</c> per operation, for 4-level, 5-level and PAE paging, over the
/// shuffled 4096-page workload of <see cref="WalkWorkload"/> (A bits already set: no A/D writes while timed).
/// The memory diagnoser should report 0 B allocated per walk.
/// </summary>
[MemoryDiagnoser]
public class WalkBenchmarks
{
    private const int WalksPerInvoke = 4096;

    private WalkWorkload _workload = null!;

    /// <summary>The paging mode walked.</summary>
    [Params(PagingMode.Long4, PagingMode.Long5, PagingMode.Pae)]
    public PagingMode Mode { get; set; }

    /// <summary>Builds the page tables and warms the A bits.</summary>
    [GlobalSetup]
    public void Setup() => _workload = WalkWorkload.Create(Mode);

    /// <summary>4096 walks (one per mapped page); BenchmarkDotNet divides by <c>OperationsPerInvoke</c>.</summary>
    [Benchmark(OperationsPerInvoke = WalksPerInvoke)]
    public ulong Walk() => _workload.Walk(WalksPerInvoke);
}
