using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// Runs one access.c sweep on several threads (<c>./workbench sweep access --jobs N</c>). The enumeration is cut into
/// contiguous slices of access.c's order that the jobs take in order from a shared counter, each job with its own VM
/// (a VM is single-threaded, as a vCPU is). Results merge in enumeration order: the first mismatch reported is the one
/// with the lowest ordinal, and the counts are those of a one-job run, so <c>--jobs</c> changes the time only.
/// </summary>
/// <remarks>
/// The shard (<see cref="AccessSweepOptions.Shard"/>, the slice of the space for one machine) and the limit apply to
/// ordinals as in <see cref="AccessSweep.Run(Action{AccessSweepProgress}?, CancellationToken)"/>, so
/// <c>--shard K/N --jobs J</c> runs exactly the cases of <c>--shard K/N</c>. Each job stops once it has passed a
/// mismatch another job found: nothing after the first mismatch can change the report.
/// </remarks>
public static class AccessSweepJobs
{
    // Many more slices than jobs: a job slowed by a neighbour's process takes fewer of them (dynamic balance),
    // and the per-slice cost (one counter increment, one deposit) stays negligible. A power of two (SliceStart).
    private const int SliceCount = 256;
    private const int CasesPerProgressUpdate = 4096;
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The default number of jobs: one per core the process may use.</summary>
    public static int DefaultJobs => Environment.ProcessorCount;

    /// <summary>
    /// Runs the sweep of <paramref name="options"/> with <paramref name="jobs"/> threads (1: the one-job loop of
    /// <see cref="AccessSweep.Run(Action{AccessSweepProgress}?, CancellationToken)"/>).
    /// </summary>
    /// <param name="options">What to sweep.</param>
    /// <param name="jobs">Threads, at least 1.</param>
    /// <param name="progress">Called from the calling thread about every 250 ms.</param>
    /// <param name="cancellationToken">Stops every job early; the result counts the cases run so far.</param>
    public static AccessSweepResult Run(AccessSweepOptions options, int jobs, Action<AccessSweepProgress>? progress = null, CancellationToken cancellationToken = default)
        => Run(options, jobs, progress, s_progressInterval, null, cancellationToken);

    /// <summary>
    /// Like <see cref="Run(AccessSweepOptions, int, Action{AccessSweepProgress}?, CancellationToken)"/>, telling each job's
    /// cases to an observer of that job's own (e.g. a tally per job, summed afterwards: cases reach observers in
    /// enumeration order within a slice, but slices run in parallel).
    /// </summary>
    /// <param name="options">What to sweep.</param>
    /// <param name="jobs">Threads, at least 1.</param>
    /// <param name="progress">Called from the calling thread about every <paramref name="progressInterval"/>.</param>
    /// <param name="progressInterval">Minimum time between two progress reports.</param>
    /// <param name="createCaseObserver">Called once per job, on the calling thread before the jobs start; the observer
    /// it returns gets every case that job runs and what the model did. Null: no observer. Without
    /// <see cref="AccessSweepOptions.KeepGoing"/>, other jobs may have run cases past the first mismatch by the time it
    /// is found, and their observers saw them.</param>
    /// <param name="cancellationToken">Stops every job early; the result counts the cases run so far.</param>
    public static AccessSweepResult Run(AccessSweepOptions options, int jobs, Action<AccessSweepProgress>? progress, TimeSpan progressInterval,
        Func<Action<AccessCase, AccessObservation>>? createCaseObserver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Run(options, jobs, () => new AccessSweep(options), progress, progressInterval, cancellationToken, createCaseObserver);
    }

    /// <summary>Like the public overload, with the jobs' sweeps (of <paramref name="options"/>) made by <paramref name="createSweep"/> (tests inject oracles).</summary>
    internal static AccessSweepResult Run(AccessSweepOptions options, int jobs, Func<AccessSweep> createSweep, Action<AccessSweepProgress>? progress,
        TimeSpan progressInterval, CancellationToken cancellationToken, Func<Action<AccessCase, AccessObservation>>? createCaseObserver = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        if (jobs == 1)
        {
            return createSweep().Run(progress, progressInterval, cancellationToken, createCaseObserver?.Invoke());
        }

        var space = new AccessCaseSpace(options.MaxPhyAddr, options.Pku);
        AccessShard shard = options.EffectiveShard;

        // Ordinals: the legal cases before each slice (the shard, the limit and the progress total are defined on
        // ordinals). Without any of them the jobs count each slice as they run it instead of in a pass before: a
        // case is then known by its slice and its index there (SlicePosition), which orders as its ordinal does, and
        // the ordinals are worked out afterwards (the counting pass was a tenth of the PKU sweep's time).
        bool countAsTheyRun = progress is null && shard.Count == 1 && options.Limit is null;
        long[] sliceFirstOrdinal = new long[SliceCount + 1];
        long[] sliceCases = new long[SliceCount];
        bool[] sliceDone = new bool[SliceCount];
        long legal = -1;
        long planned = long.MaxValue;
        if (!countAsTheyRun)
        {
            CountSlices(space, jobs, sliceCases, sliceDone);
            (legal, planned) = Plan(options, shard, sliceCases, sliceFirstOrdinal);
        }

        var shared = new SharedProgress();
        var outcomes = new JobOutcome[jobs];
        var stopwatch = Stopwatch.StartNew();
        // Each job builds its VM on its own thread, so the VMs (written on every case) share no cache lines.
        var tasks = new Task[jobs];
        for (int job = 0; job < jobs; job++)
        {
            int index = job;
            Action<AccessCase, AccessObservation>? onCase = createCaseObserver?.Invoke();
            tasks[job] = Task.Factory.StartNew(
                () => outcomes[index] = RunJob(createSweep, countAsTheyRun ? null : sliceFirstOrdinal, sliceCases, sliceDone, shard, planned, shared, onCase, cancellationToken),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        TimeSpan wait = progressInterval > TimeSpan.Zero ? progressInterval : TimeSpan.FromMilliseconds(50);
        while (!Task.WaitAll(tasks, wait))
        {
            progress?.Invoke(new AccessSweepProgress(Volatile.Read(ref shared.CasesRun), planned, stopwatch.Elapsed));
        }

        stopwatch.Stop();
        foreach (Task task in tasks)
        {
            if (task.Exception is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure.InnerException ?? failure);
            }
        }

        if (countAsTheyRun)
        {
            // Slices not run to their end (a first mismatch, cancellation) are counted now; then positions become ordinals.
            CountSlices(space, jobs, sliceCases, sliceDone);
            (legal, planned) = Plan(options, shard, sliceCases, sliceFirstOrdinal);
            for (int job = 0; job < outcomes.Length; job++)
            {
                if (outcomes[job].First is { } found)
                {
                    long ordinal = sliceFirstOrdinal[SliceOf(found.Ordinal)] + IndexInSlice(found.Ordinal);
                    outcomes[job] = outcomes[job] with { First = found with { Ordinal = ordinal } };
                }
            }
        }

        return Merge(options, outcomes, shard, legal, planned, stopwatch.Elapsed);
    }

    /// <summary>Counts the legal cases of every slice not counted yet (in parallel).</summary>
    private static void CountSlices(AccessCaseSpace space, int jobs, long[] sliceCases, bool[] sliceDone)
    {
        Parallel.For(0, SliceCount, new ParallelOptions { MaxDegreeOfParallelism = jobs }, slice =>
        {
            if (!sliceDone[slice])
            {
                sliceCases[slice] = CountSlice(space, slice);
                sliceDone[slice] = true;
            }
        });
    }

    /// <summary>The ordinal of each slice's first case, the legal cases and the cases the shard and limit plan.</summary>
    private static (long Legal, long Planned) Plan(AccessSweepOptions options, AccessShard shard, long[] sliceCases, long[] sliceFirstOrdinal)
    {
        for (int slice = 0; slice < SliceCount; slice++)
        {
            sliceFirstOrdinal[slice + 1] = sliceFirstOrdinal[slice] + sliceCases[slice];
        }

        long legal = sliceFirstOrdinal[SliceCount];
        long planned = (legal - shard.Index + shard.Count - 1) / shard.Count;
        if (options.Limit is long limit && limit < planned)
        {
            planned = Math.Max(0, limit);
        }

        return (legal, planned);
    }

    // A case's position while the jobs count as they run: its slice in the high bits, its index in the slice below
    // (a slice holds fewer than 2^40 cases: the whole space is 2^31 flag words).
    private const int SliceShift = 40;

    private static long SlicePosition(int slice) => (long)slice << SliceShift;

    private static int SliceOf(long position) => (int)(position >> SliceShift);

    private static long IndexInSlice(long position) => position & ((1L << SliceShift) - 1);

    private static long CountSlice(AccessCaseSpace space, int slice)
    {
        uint end = space.SliceStart(slice + 1, SliceCount);
        if (!space.TryFirstIn(space.SliceStart(slice, SliceCount), end, out AccessCase flags))
        {
            return 0;
        }

        long count = 0;
        do
        {
            count++;
        }
        while (space.TryBump(ref flags) && (uint)flags < end);

        return count;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static JobOutcome RunJob(Func<AccessSweep> createSweep, long[]? sliceFirstOrdinal, long[] sliceCases, bool[] sliceDone,
        AccessShard shard, long planned, SharedProgress shared, Action<AccessCase, AccessObservation>? onCase, CancellationToken cancellationToken)
    {
        AccessSweep sweep = createSweep();
        AccessCaseSpace space = sweep.Space;
        bool keepGoing = sweep.Options.KeepGoing;

        // Counted in locals: counters of two jobs side by side in memory would bounce one cache line between cores.
        long run = 0;
        long mismatches = 0;
        FoundMismatch? first = null;
        long unreported = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Slices are handed out in order, so once a slice starts past the first mismatch or past the
            // planned cases, every later one does too.
            int slice = Interlocked.Increment(ref shared.NextSlice) - 1;
            // The ordinal of the slice's first case, or (counting as they run) its position.
            long ordinal = slice >= SliceCount ? long.MaxValue : sliceFirstOrdinal is null ? SlicePosition(slice) : sliceFirstOrdinal[slice];
            long sliceStart = ordinal;
            if (slice >= SliceCount || ordinal > Volatile.Read(ref shared.FirstMismatchOrdinal) || ordinal / shard.Count >= planned)
            {
                break;
            }

            uint end = space.SliceStart(slice + 1, SliceCount);
            if (!space.TryFirstIn(space.SliceStart(slice, SliceCount), end, out AccessCase flags))
            {
                if (sliceFirstOrdinal is null)
                {
                    sliceCases[slice] = 0;
                    sliceDone[slice] = true;
                }

                continue;
            }

            while (true)
            {
                // The position in the shard of this ordinal (or of the shard's next one): past the plan, stop.
                if (ordinal / shard.Count >= planned || ordinal > Volatile.Read(ref shared.FirstMismatchOrdinal))
                {
                    break;
                }

                if (shard.Includes(ordinal))
                {
                    run++;
                    bool agrees = sweep.RunAndCheck(flags, out AccessExpectation expected, out AccessObservation observed, out string? reason);
                    onCase?.Invoke(flags, observed);
                    if (!agrees)
                    {
                        mismatches++;
                        first ??= new FoundMismatch(ordinal, flags, expected, observed, reason!);
                        if (!keepGoing)
                        {
                            LowerTo(ref shared.FirstMismatchOrdinal, ordinal);
                            break;
                        }
                    }

                    if (++unreported == CasesPerProgressUpdate)
                    {
                        Interlocked.Add(ref shared.CasesRun, unreported);
                        unreported = 0;
                        if (cancellationToken.IsCancellationRequested)
                        {
                            break;
                        }
                    }
                }

                ordinal++;
                if (!space.TryBump(ref flags) || (uint)flags >= end)
                {
                    if (sliceFirstOrdinal is null)
                    {
                        // Run to its end: its count is final (one job writes each slice).
                        sliceCases[slice] = ordinal - sliceStart;
                        sliceDone[slice] = true;
                    }

                    break;
                }
            }
        }

        Interlocked.Add(ref shared.CasesRun, unreported);
        return new JobOutcome(sweep, run, mismatches, first);
    }

    private static void LowerTo(ref long target, long value)
    {
        long current = Volatile.Read(ref target);
        while (value < current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static AccessSweepResult Merge(AccessSweepOptions options, JobOutcome[] outcomes, AccessShard shard, long legal, long planned, TimeSpan elapsed)
    {
        JobOutcome? firstOwner = null;
        long run = 0;
        long mismatches = 0;
        foreach (JobOutcome outcome in outcomes)
        {
            run += outcome.CasesRun;
            mismatches += outcome.Mismatches;
            if (outcome.First is { } found && (firstOwner?.First is not { } best || found.Ordinal < best.Ordinal))
            {
                firstOwner = outcome;
            }
        }

        AccessMismatch? first = null;
        if (firstOwner?.First is { } mismatch)
        {
            first = firstOwner.Sweep.DescribeMismatch(mismatch.Flags, mismatch.Expected, mismatch.Observed, mismatch.Reason);
            if (!options.KeepGoing)
            {
                // What a one-job run reports when it stops there: the cases of the shard up to and including it.
                run = (mismatch.Ordinal / shard.Count) + 1;
                mismatches = 1;
            }
        }

        return new AccessSweepResult(options, legal, planned, run, mismatches, elapsed, first);
    }

    private readonly record struct FoundMismatch(long Ordinal, AccessCase Flags, AccessExpectation Expected, AccessObservation Observed, string Reason);

    /// <summary>What one job did.</summary>
    private sealed record JobOutcome(AccessSweep Sweep, long CasesRun, long Mismatches, FoundMismatch? First);

    /// <summary>Counters the jobs share.</summary>
    private sealed class SharedProgress
    {
        public int NextSlice;
        public long FirstMismatchOrdinal = long.MaxValue;
        public long CasesRun;
    }
}
