using BenchmarkDotNet.Attributes;
using Workbench.Mmu.Bench;

namespace Workbench.Benchmarks;

/// <summary>
/// The C reference's walk figures (<c>../shared/perf/cwalk.c</c>) under BenchmarkDotNet: the same page sets, access
/// mix and A/D state as <c>./workbench bench</c> (<see cref="WalkSet"/>), one walk per operation through
/// <c>Vcpu.Access</c> (<see cref="Path"/> = Vcpu) or <c>PageWalker.GvaToGpa</c> alone (Walker). The memory
/// diagnoser must report 0 B per walk. Disassembly: add <c>--disasm</c>.
/// Use the default job: <c>--job short</c> (3 warm-up iterations) measured tier-0 code for some cases here
/// (2-D walks at 3-6 µs instead of ~0.6 µs), because tier-1 promotion waits for the tiering delay
/// (docs/benchmarks.md); <see cref="MinWarmupCountAttribute"/> keeps the default job's warm-up long enough.
/// </summary>
[MemoryDiagnoser]
[MinWarmupCount(10)]
public class WalkBenchmarks
{
    private const int WalksPerInvoke = 65_536;

    private WalkSequence _sequence = null!;

    /// <summary>The cwalk figure.</summary>
    [Params("walk4_256m", "walk4_hot", "walk5_256m", "walkpae_256m", "walk2d_4x4_256m", "walk2d_5x5_256m")]
    public string Figure { get; set; } = "walk4_256m";

    /// <summary>Entry point.</summary>
    [Params(WalkPath.Vcpu, WalkPath.Walker)]
    public WalkPath Path { get; set; }

    /// <summary>Builds the set, walks every page once (A/D set), draws the sequence.</summary>
    [GlobalSetup]
    public void Setup()
    {
        WalkFigure figure = WalkFigure.Find(Figure) ?? throw new ArgumentException(Figure);
        WalkSet set = WalkSet.Build(figure);
        if (set.Verify() is { } wrong)
        {
            throw new InvalidOperationException(wrong);
        }

        _sequence = set.Sequence(figure.Hot, WalksPerInvoke);
    }

    /// <summary>65,536 walks; BenchmarkDotNet divides by <c>OperationsPerInvoke</c>.</summary>
    [Benchmark(OperationsPerInvoke = WalksPerInvoke)]
    public ulong Walk() => WalkTimer.Run(_sequence, Path, 0, WalksPerInvoke);
}
