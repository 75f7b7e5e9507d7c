using System.Collections.Immutable;
using System.Numerics;
using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Analysis;

/// <summary>How often one access.c flag was set, and how often an access with it set faulted.</summary>
/// <param name="Flag">access.c's name of the flag (<c>pte.rw</c>, <c>cr0.wp</c>, …).</param>
/// <param name="Cases">Cases with the flag set.</param>
/// <param name="Faults">Of those, the cases whose access faulted.</param>
public readonly record struct FlagOutcome(string Flag, long Cases, long Faults)
{
    /// <summary>Faults / cases (0 when no case had the flag).</summary>
    public double FaultRate => Cases == 0 ? 0 : (double)Faults / Cases;
}

/// <summary>
/// The outcomes of an access.c sweep (or a slice of it), for charts: the page-fault error codes the accesses got,
/// and the fault rate by flag. The counts are the model's, every case checked against the oracle as the sweep
/// does.
/// </summary>
/// <param name="Sweep">The sweep's own result (cases, mismatches, first mismatch).</param>
/// <param name="ErrorCodes">Faulting cases by error code (PFERR bits), ascending.</param>
/// <param name="Succeeded">Cases whose access completed.</param>
/// <param name="Flags">One line per flag, in access.c's order.</param>
public sealed record SweepOutcomes(
    AccessSweepResult Sweep,
    ImmutableSortedDictionary<uint, long> ErrorCodes,
    long Succeeded,
    ImmutableArray<FlagOutcome> Flags)
{
    // Progress at most every 250 ms, as a notebook's progress bar wants.
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Cases whose access ended in #PF (the sum of <see cref="ErrorCodes"/>).</summary>
    public long Faults => ErrorCodes.Values.Sum();

    /// <summary>
    /// Runs the sweep <paramref name="options"/> selects (same order, shard, limit and stop-at-first-mismatch rule as
    /// <see cref="AccessSweep.Run(Action{AccessSweepProgress}?, TimeSpan, CancellationToken, Action{AccessCase, AccessObservation}?)"/>,
    /// every case checked) on <paramref name="jobs"/> threads (<see cref="AccessSweepJobs"/>) and tallies what every
    /// case did. The tallies are sums, so every job count gives the same outcomes when the sweep keeps going past
    /// mismatches.
    /// </summary>
    /// <param name="options">What to sweep.</param>
    /// <param name="progress">Called at most every 250 ms (and not at all for short runs).</param>
    /// <param name="cancellationToken">Stops early; the outcomes count the cases run so far.</param>
    /// <param name="jobs">Threads (default 1; <see cref="AccessSweepJobs.DefaultJobs"/> is one per core).</param>
    public static SweepOutcomes Compute(AccessSweepOptions options, Action<AccessSweepProgress>? progress = null, CancellationToken cancellationToken = default, int jobs = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        var tallies = new List<OutcomeTally>();
        AccessSweepResult result = AccessSweepJobs.Run(options, jobs, progress, s_progressInterval, () =>
        {
            var tally = new OutcomeTally();
            tallies.Add(tally); // on the calling thread, before the jobs start
            return tally.Add;
        }, cancellationToken);

        OutcomeTally total = tallies[0];
        foreach (OutcomeTally tally in tallies.Skip(1))
        {
            total.Add(tally);
        }

        ImmutableArray<FlagOutcome> flagOutcomes = [.. Enumerable.Range(0, AccessCaseNames.FlagCount)
            .Select(bit => new FlagOutcome(AccessCaseNames.NameOf(bit), total.FlagCases[bit], total.FlagFaults[bit]))];
        return new SweepOutcomes(result, total.ErrorCodes.ToImmutableSortedDictionary(), total.Succeeded, flagOutcomes);
    }

    /// <summary>One job's counts (a job's own, so the jobs never write to shared memory per case).</summary>
    private sealed class OutcomeTally
    {
        public Dictionary<uint, long> ErrorCodes { get; } = [];

        public long[] FlagCases { get; } = new long[AccessCaseNames.FlagCount];

        public long[] FlagFaults { get; } = new long[AccessCaseNames.FlagCount];

        public long Succeeded { get; private set; }

        /// <summary>Adds another job's counts to these.</summary>
        public void Add(OutcomeTally other)
        {
            foreach ((uint code, long count) in other.ErrorCodes)
            {
                ErrorCodes[code] = ErrorCodes.GetValueOrDefault(code) + count;
            }

            for (int bit = 0; bit < AccessCaseNames.FlagCount; bit++)
            {
                FlagCases[bit] += other.FlagCases[bit];
                FlagFaults[bit] += other.FlagFaults[bit];
            }

            Succeeded += other.Succeeded;
        }

        /// <summary>Counts one case.</summary>
        public void Add(AccessCase flags, AccessObservation observed)
        {
            bool fault = observed.Fault;
            if (fault)
            {
                uint code = (uint)observed.ErrorCode;
                ErrorCodes[code] = ErrorCodes.GetValueOrDefault(code) + 1;
            }
            else
            {
                Succeeded++;
            }

            for (uint word = (uint)flags; word != 0; word &= word - 1)
            {
                int bit = BitOperations.TrailingZeroCount(word);
                FlagCases[bit]++;
                if (fault)
                {
                    FlagFaults[bit]++;
                }
            }
        }
    }
}
