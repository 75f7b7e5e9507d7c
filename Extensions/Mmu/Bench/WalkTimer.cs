using System.Diagnostics;

namespace Workbench.Mmu.Bench;

/// <summary>Which entry point a timed walk goes through.</summary>
public enum WalkPath
{
    /// <summary><see cref="Vcpu.Access"/>: what a user's loop of accesses runs.</summary>
    Vcpu = 0,

    /// <summary><c>PageWalker.GvaToGpa</c> of the active walker: the walk alone, with cwalk's per-walk inputs.</summary>
    Walker = 1,
}

/// <summary>The result of timing one sequence.</summary>
/// <param name="MedianNs">Median ns per walk over the timed repetitions.</param>
/// <param name="MinNs">Fastest repetition.</param>
/// <param name="MaxNs">Slowest repetition.</param>
/// <param name="BytesPerOp">Bytes allocated per walk (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), median.</param>
/// <param name="ColdNs">ns per walk of the first chunk, before any warm-up (what a short run in a fresh process gets;
/// only meaningful for the first figure a process times).</param>
/// <param name="WarmupSeconds">Time spent warming up until the JIT was quiet.</param>
/// <param name="WarmupCalls">Chunks run during the warm-up.</param>
/// <param name="Repetitions">Timed repetitions.</param>
/// <param name="Ops">Walks per repetition.</param>
/// <param name="CpuNs">Median process CPU time per walk (<see cref="Environment.CpuUsage"/>): time other processes took
/// from this one's CPU does not count, so it is steadier than wall time on a shared machine.</param>
public sealed record WalkTiming(double MedianNs, double MinNs, double MaxNs, double BytesPerOp, double ColdNs,
    double WarmupSeconds, int WarmupCalls, int Repetitions, int Ops, double CpuNs);

/// <summary>
/// Times walk sequences the way cwalk does (one untimed repetition, then R timed ones, median; every repetition's
/// checksum compared), after a warm-up that lasts until tiered compilation is done with the walk: the loop is called
/// in chunks (so call counting promotes it from ReadyToRun or tier-0 code to tier 1) until no method has been
/// compiled for a while.
/// </summary>
public static class WalkTimer
{
    private const int Chunk = 8192;

    /// <summary>
    /// The shortest warm-up by default: 1 s, 2.5 s when the process may use one CPU only (taskset). Tiered
    /// compilation starts call counting only after the process went 100 ms without new tier-0 code, ten times longer
    /// on one CPU (TC_CallCountingDelayMs × TC_DelaySingleProcMultiplier); until then the published CLI runs its
    /// ReadyToRun code, which for the walker is about 2.5x slower than tier 1 (docs/benchmarks.md). "No method
    /// compiled lately" alone cannot tell that tiering has not started yet, so the warm-up also lasts this long.
    /// </summary>
    public static TimeSpan DefaultWarmup => Environment.ProcessorCount == 1 ? TimeSpan.FromSeconds(2.5) : TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long no method may have been compiled before the warm-up ends: ReadyToRun code goes to an instrumented
    /// tier 1 first and then to the final tier 1, each step after call counting and the tiering delay, so the quiet
    /// period must outlast one delay with margin (2.5 s on one CPU, 0.6 s otherwise).
    /// </summary>
    public static TimeSpan QuietPeriod => Environment.ProcessorCount == 1 ? TimeSpan.FromSeconds(2.5) : TimeSpan.FromSeconds(0.6);

    /// <summary>Runs [start, start + count) of a sequence on one path; returns the GPA sum.</summary>
    public static ulong Run(WalkSequence sequence, WalkPath path, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        return path == WalkPath.Vcpu ? sequence.RunVcpu(start, count) : sequence.RunWalker(start, count);
    }

    /// <summary>
    /// Warms up (see the type), then times <paramref name="repetitions"/> runs of the whole sequence.
    /// Throws when a repetition's checksum differs from <see cref="WalkSequence.ExpectedSum"/>.
    /// </summary>
    /// <param name="sequence">The walks.</param>
    /// <param name="path">Entry point.</param>
    /// <param name="repetitions">Timed repetitions (median reported).</param>
    /// <param name="minWarmup">Shortest warm-up.</param>
    /// <param name="timingStarts">Called when the warm-up is over (e.g. to mark a JIT log).</param>
    public static WalkTiming Measure(WalkSequence sequence, WalkPath path, int repetitions, TimeSpan? minWarmup = null, Action? timingStarts = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        int ops = sequence.Count;
        int chunk = Math.Min(Chunk, ops);

        long t0 = Stopwatch.GetTimestamp();
        Run(sequence, path, 0, chunk);
        double coldNs = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / chunk;

        (double warmSeconds, int calls) = WarmUp(() => Run(sequence, path, 0, chunk), minWarmup ?? DefaultWarmup);

        timingStarts?.Invoke();
        var ns = new double[repetitions];
        var bytes = new double[repetitions];
        var cpu = new double[repetitions];
        for (int rep = -1; rep < repetitions; rep++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
            long start = Stopwatch.GetTimestamp();
            ulong sum = Run(sequence, path, 0, ops);
            double elapsed = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            double cpuElapsed = (Environment.CpuUsage.TotalTime - cpu0).TotalNanoseconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            if (sum != sequence.ExpectedSum)
            {
                throw new InvalidOperationException($"walk checksum mismatch in repetition {rep}: 0x{sum:x}, expected 0x{sequence.ExpectedSum:x}");
            }

            if (rep >= 0)
            {
                ns[rep] = elapsed / ops;
                bytes[rep] = (double)allocated / ops;
                cpu[rep] = cpuElapsed / ops;
            }
        }

        Array.Sort(ns);
        Array.Sort(bytes);
        Array.Sort(cpu);
        return new WalkTiming(Median(ns), ns[0], ns[^1], Median(bytes), coldNs, warmSeconds, calls, repetitions, ops, Median(cpu));
    }

    /// <summary>
    /// Calls <paramref name="body"/> until at least <paramref name="minimum"/> has passed, it ran 100 times, and no
    /// method was JIT-compiled during the last <see cref="QuietPeriod"/> (tier-1 promotion of the hot methods happens
    /// in the background after 30 calls and the tiering delay); at most 20 s.
    /// </summary>
    /// <returns>Seconds spent and calls made.</returns>
    public static (double Seconds, int Calls) WarmUp(Action body, TimeSpan minimum)
    {
        ArgumentNullException.ThrowIfNull(body);
        long start = Stopwatch.GetTimestamp();
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        long lastChange = start;
        int calls = 0;
        while (true)
        {
            body();
            calls++;
            long now = Stopwatch.GetTimestamp();
            long count = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (count != compiled)
            {
                compiled = count;
                lastChange = now;
            }

            TimeSpan total = Stopwatch.GetElapsedTime(start, now);
            if (total >= minimum && calls >= 100 && Stopwatch.GetElapsedTime(lastChange, now) >= QuietPeriod)
            {
                return (total.TotalSeconds, calls);
            }

            if (total >= TimeSpan.FromSeconds(20))
            {
                return (total.TotalSeconds, calls);
            }
        }
    }

    /// <summary>Median of a sorted array.</summary>
    public static double Median(double[] sorted)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
