using System.Collections.Immutable;
using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Analysis;

/// <summary>How often one access.c flag was set, and how often an access with it set faulted.</summary>
/// <param name="Flag">access.c's name of the flag (<c>pte.rw</c>, <c>cr0.wp</c>, …).</param>
/// <param name="Cases">Cases with the flag set.</param>
/// <param name="Faults">Of those, the cases whose access faulted.</param>
public readonly record struct FlagOutcome(string Flag, long Cases, long Faults);

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
    /// <summary>Runs the sweep's cases in its order, tallying outcomes (interim version; the full one lands with the charts).</summary>
    public static SweepOutcomes Compute(AccessSweepOptions options, Action<AccessSweepProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var sweep = new AccessSweep(options);
        var codes = new SortedDictionary<uint, long>();
        var cases = new long[AccessCaseNames.FlagCount];
        var faults = new long[AccessCaseNames.FlagCount];
        long succeeded = 0;
        long run = 0;
        long mismatches = 0;
        AccessMismatch? first = null;
        long limit = options.Limit ?? long.MaxValue;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan last = TimeSpan.Zero;
        AccessCase flags = AccessCase.None;
        long ordinal = 0;
        AccessShard shard = options.EffectiveShard;
        do
        {
            if (run >= limit || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (!shard.Includes(ordinal++))
            {
                continue;
            }

            run++;
            if (!sweep.RunAndCheck(flags, out AccessExpectation expected, out AccessObservation observed, out string? reason))
            {
                mismatches++;
                first ??= sweep.DescribeMismatch(flags, expected, observed, reason!);
            }

            if (observed.Fault)
            {
                codes[(uint)observed.ErrorCode] = codes.GetValueOrDefault((uint)observed.ErrorCode) + 1;
            }
            else
            {
                succeeded++;
            }

            for (int bit = 0; bit < AccessCaseNames.FlagCount; bit++)
            {
                if (((uint)flags & (1u << bit)) != 0)
                {
                    cases[bit]++;
                    if (observed.Fault)
                    {
                        faults[bit]++;
                    }
                }
            }

            if (progress is not null && (run & 4095) == 0 && clock.Elapsed - last >= TimeSpan.FromMilliseconds(250))
            {
                last = clock.Elapsed;
                progress(new AccessSweepProgress(run, Math.Min(limit, run), last));
            }
        }
        while (sweep.Space.TryBump(ref flags));

        clock.Stop();
        var result = new AccessSweepResult(options, -1, run, run, mismatches, clock.Elapsed, first);
        return new SweepOutcomes(
            result,
            ImmutableSortedDictionary.CreateRange(codes),
            succeeded,
            [.. Enumerable.Range(0, AccessCaseNames.FlagCount).Select(b => new FlagOutcome(AccessCaseNames.NameOf(b), cases[b], faults[b]))]);
    }
}
