using System.Diagnostics;
using Workbench.Mmu.Bench;
using Xunit.Abstractions;

namespace Workbench.Mmu.Tests.Bench;

/// <summary>
/// A benchmark guard that survives noisy, shared machines: no absolute time. In one process it times the 4-level
/// walk (cwalk's <c>walk4_hot</c> set, through <c>Vcpu.Access</c>) against a trivial loop over the same addresses,
/// alternating the two, and compares the median ratio with a generous limit; allocation per walk must be exactly 0.
/// </summary>
/// <remarks>
/// Calibration (docs/benchmarks.md): when this was written the steady-state ratio was about 20-30 (a walk of ~40 ns
/// against a ~1.7 ns loop step); after issue 9's walker changes it is about 12 (19.4 ns against 1.6 ns; eight walks
/// per operation measured 94). <see cref="RatioLimit"/> is five times that: it
/// catches a walker that became several times slower (per-walk allocation, a lost specialisation, a dictionary
/// lookup per level, tracing left on), not a few percent.
/// </remarks>
[Collection(BenchmarkGuardCollection.Name)]
public class WalkBenchmarkGuardTests
{
    /// <summary>Largest accepted median ratio of walk time to baseline-loop time.</summary>
    public const double RatioLimit = 60;

    private const int Ops = 16_384;
    private readonly ITestOutputHelper _output;

    public WalkBenchmarkGuardTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void FourLevelWalkIsNotMuchSlowerThanItsBaselineAndAllocatesNothing()
    {
        WalkSequence sequence = HotSequence();
        GuardMeasurement m = Measure(sequence, walksPerOp: 1);
        _output.WriteLine(m.ToString());

        Assert.Equal(0, m.BytesPerWalk);
        if (m.Ratio >= RatioLimit)
        {
            // A real regression persists; a burst of noise (or a late tier-up) does not: measure once more.
            m = Measure(sequence, walksPerOp: 1, extraWarmup: TimeSpan.FromSeconds(2));
            _output.WriteLine("again: " + m);
        }

        Assert.True(m.Ratio < RatioLimit,
            $"4-level walk regressed: {m.WalkNs:F1} ns/walk is {m.Ratio:F1}x the baseline loop's {m.BaselineNs:F2} ns (limit {RatioLimit}x). {m}");
    }

    [Fact]
    public void GuardResolvesAWalkThatBecameEightTimesSlower()
    {
        // The guard must be able to fail: eight walks per operation stand in for a walker eight times slower, and
        // the measured ratio has to move by clearly more than the noise (at least 4x of the 1-walk ratio).
        WalkSequence sequence = HotSequence();
        GuardMeasurement one = Measure(sequence, walksPerOp: 1);
        GuardMeasurement eight = Measure(sequence, walksPerOp: 8);
        _output.WriteLine(one.ToString());
        _output.WriteLine(eight.ToString());
        Assert.True(eight.Ratio > 4 * one.Ratio, $"ratio with 8 walks per op {eight.Ratio:F1} vs 1 walk {one.Ratio:F1}");
    }

    private static WalkSequence HotSequence()
    {
        WalkSet set = WalkSet.Build(WalkFigure.Find("walk4_256m")!);
        Assert.Null(set.Verify());
        return set.Sequence(64, Ops);
    }

    private static GuardMeasurement Measure(WalkSequence sequence, int walksPerOp, TimeSpan extraWarmup = default)
    {
        // Warm both loops until the JIT is quiet (tier 0 → tier 1 in the test host), then alternate.
        ulong sink = 0;
        WalkTimer.WarmUp(() => sink += sequence.RunVcpuRepeated(0, 1024, walksPerOp), TimeSpan.FromMilliseconds(300) + extraWarmup);
        WalkTimer.WarmUp(() => sink += sequence.RunBaseline(0, 1024), TimeSpan.FromMilliseconds(200));

        const int rounds = 9;
        var ratios = new double[rounds];
        var walks = new double[rounds];
        var baselines = new double[rounds];
        long allocated = 0;
        for (int r = 0; r < rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int k = 0; k < 4; k++)
            {
                sink += sequence.RunBaseline(0, Ops);
            }

            double baseline = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / (4.0 * Ops);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long t1 = Stopwatch.GetTimestamp();
            ulong sum = sequence.RunVcpuRepeated(0, Ops, walksPerOp);
            double walk = Stopwatch.GetElapsedTime(t1).TotalNanoseconds / Ops;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(sequence.ExpectedSum * (ulong)walksPerOp, sum);
            ratios[r] = walk / baseline;
            walks[r] = walk;
            baselines[r] = baseline;
        }

        Array.Sort(ratios);
        Array.Sort(walks);
        Array.Sort(baselines);
        GC.KeepAlive(sink);
        return new GuardMeasurement(WalkTimer.Median(ratios), WalkTimer.Median(walks), WalkTimer.Median(baselines),
            (double)allocated / (rounds * (double)Ops * walksPerOp), walksPerOp);
    }

    private sealed record GuardMeasurement(double Ratio, double WalkNs, double BaselineNs, double BytesPerWalk, int WalksPerOp);
}

/// <summary>
/// The guard runs alone, after the parallel test collections: timing next to other tests' threads (and their JIT
/// activity, which postpones tier-1 promotion) would measure the neighbours.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchmarkGuardCollection
{
    public const string Name = "benchmark guard (not parallel)";
}
