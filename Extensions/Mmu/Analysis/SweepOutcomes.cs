using System.Collections.Immutable;
using System.Diagnostics;
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
    // AccessSweep checks the clock every 4096 cases and reports at most every 250 ms; the same here.
    private const int ProgressCheckInterval = 4096;
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Cases whose access ended in #PF (the sum of <see cref="ErrorCodes"/>).</summary>
    public long Faults => ErrorCodes.Values.Sum();

    /// <summary>
    /// Runs the sweep <paramref name="options"/> selects, case by case in access.c's order exactly as
    /// <see cref="AccessSweep.Run(Action{AccessSweepProgress}?, CancellationToken)"/> does (same shard, limit and
    /// stop-at-first-mismatch rule, each case checked with <see cref="AccessSweep.RunAndCheck"/>), and tallies what
    /// every case did.
    /// </summary>
    /// <param name="options">What to sweep.</param>
    /// <param name="progress">Called at most every 250 ms (and not at all for short runs).</param>
    /// <param name="cancellationToken">Stops early; the outcomes count the cases run so far.</param>
    public static SweepOutcomes Compute(AccessSweepOptions options, Action<AccessSweepProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sweep = new AccessSweep(options);
        long legal = sweep.Space.CountLegal();
        AccessShard shard = options.EffectiveShard;
        long planned = (legal - shard.Index + shard.Count - 1) / shard.Count;
        if (options.Limit is long limit && limit < planned)
        {
            planned = Math.Max(0, limit);
        }

        var errorCodes = new Dictionary<uint, long>();
        var flagCases = new long[AccessCaseNames.FlagCount];
        var flagFaults = new long[AccessCaseNames.FlagCount];
        long run = 0;
        long succeeded = 0;
        long mismatches = 0;
        long ordinal = 0;
        AccessMismatch? first = null;
        var stopwatch = Stopwatch.StartNew();
        TimeSpan lastReport = TimeSpan.Zero;
        AccessCase flags = AccessCase.None;
        do
        {
            if (run >= planned || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (!shard.Includes(ordinal++))
            {
                continue;
            }

            run++;
            bool agrees = sweep.RunAndCheck(flags, out AccessExpectation expected, out AccessObservation observed, out string? reason);
            Tally(flags, observed, errorCodes, flagCases, flagFaults, ref succeeded);
            if (!agrees)
            {
                mismatches++;
                if (first is null)
                {
                    stopwatch.Stop();
                    first = sweep.DescribeMismatch(flags, expected, observed, reason!);
                    stopwatch.Start();
                }

                if (!options.KeepGoing)
                {
                    break;
                }
            }

            if (progress is not null && (run % ProgressCheckInterval) == 0 && stopwatch.Elapsed - lastReport >= s_progressInterval)
            {
                lastReport = stopwatch.Elapsed;
                progress(new AccessSweepProgress(run, planned, lastReport));
            }
        }
        while (sweep.Space.TryBump(ref flags));

        stopwatch.Stop();
        var result = new AccessSweepResult(options, legal, planned, run, mismatches, stopwatch.Elapsed, first);
        ImmutableArray<FlagOutcome> flagOutcomes = [.. Enumerable.Range(0, AccessCaseNames.FlagCount)
            .Select(bit => new FlagOutcome(AccessCaseNames.NameOf(bit), flagCases[bit], flagFaults[bit]))];
        return new SweepOutcomes(result, errorCodes.ToImmutableSortedDictionary(), succeeded, flagOutcomes);
    }

    private static void Tally(AccessCase flags, AccessObservation observed, Dictionary<uint, long> errorCodes, long[] flagCases, long[] flagFaults, ref long succeeded)
    {
        bool fault = observed.Fault;
        if (fault)
        {
            uint code = (uint)observed.ErrorCode;
            errorCodes[code] = errorCodes.GetValueOrDefault(code) + 1;
        }
        else
        {
            succeeded++;
        }

        for (uint word = (uint)flags; word != 0; word &= word - 1)
        {
            int bit = BitOperations.TrailingZeroCount(word);
            flagCases[bit]++;
            if (fault)
            {
                flagFaults[bit]++;
            }
        }
    }
}
