namespace Workbench.Mmu.Sweeps;

/// <summary>What one access.c sweep covers.</summary>
/// <param name="MaxPhyAddr">Guest MAXPHYADDR (32..52); decides whether bits 36 and 51 are tested as reserved.</param>
/// <param name="Pku">Include the PKU flags (ten times the cases).</param>
/// <param name="Levels">4, or 5 for LA57 paging.</param>
/// <param name="Shard">Which deterministic slice of the legal cases to run.</param>
/// <param name="Limit">Stop after this many cases (<see langword="null"/>: no limit).</param>
/// <param name="KeepGoing">Count every mismatch instead of stopping at the first (the first is still reported).</param>
public sealed record AccessSweepOptions(
    int MaxPhyAddr = 46,
    bool Pku = false,
    int Levels = 4,
    AccessShard Shard = default,
    long? Limit = null,
    bool KeepGoing = false,
    TdpMode? Tdp = null,
    string Layout = Contexts.ContextLayouts.Default)
{
    /// <summary>
    /// KVM builds page tables for every case: the shadow MMU (<see cref="TdpMode.None"/>) or the TDP MMU (EPT, NPT),
    /// as kvm-unit-tests runs access.c with ept=0 and ept=1, and every fault it handles must leave SPTEs that let the
    /// retried access through. Null: walks only (the fast default).
    /// </summary>
    public bool BuildsPageTables => Tdp is not null;

    /// <summary>The shard to run (<c>default</c> means the whole space).</summary>
    public AccessShard EffectiveShard => Shard.Count == 0 ? AccessShard.All : Shard;
}

/// <summary>Progress of a running sweep, reported at most a few times a second.</summary>
/// <param name="CasesRun">Cases run so far.</param>
/// <param name="CasesPlanned">Cases this run will run (shard and limit applied).</param>
/// <param name="Elapsed">Time since the sweep started.</param>
public readonly record struct AccessSweepProgress(long CasesRun, long CasesPlanned, TimeSpan Elapsed)
{
    /// <summary>Cases per second so far.</summary>
    public double CasesPerSecond => Elapsed.TotalSeconds > 0 ? CasesRun / Elapsed.TotalSeconds : 0;
}

/// <summary>The outcome of a sweep.</summary>
/// <param name="Options">What was swept.</param>
/// <param name="LegalCases">Legal cases in the whole space (access.c count for these options).</param>
/// <param name="CasesPlanned">Cases the shard and limit selected.</param>
/// <param name="CasesRun">Cases actually run (fewer than planned when the sweep stopped at a mismatch).</param>
/// <param name="Mismatches">Cases where the model disagreed with the oracle.</param>
/// <param name="Elapsed">Wall-clock time of the case loop (the legal-case count is not included).</param>
/// <param name="FirstMismatch">The first disagreement, with its reproduction, or <see langword="null"/>.</param>
public sealed record AccessSweepResult(
    AccessSweepOptions Options,
    long LegalCases,
    long CasesPlanned,
    long CasesRun,
    long Mismatches,
    TimeSpan Elapsed,
    AccessMismatch? FirstMismatch)
{
    /// <summary>Cases per second of the case loop.</summary>
    public double CasesPerSecond => Elapsed.TotalSeconds > 0 ? CasesRun / Elapsed.TotalSeconds : 0;
}
