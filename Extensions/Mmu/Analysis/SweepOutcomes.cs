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
    ImmutableArray<FlagOutcome> Flags);
