using Workbench.Mmu.Analysis;
using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary><see cref="SweepOutcomes.Compute"/> runs the sweep's cases and tallies them right.</summary>
public class SweepOutcomesTests
{
    // One case in 251 of the whole space: every region of access.c's order is sampled (about 7,600 cases), and a
    // shard count that is no power of two does not pin the low flag bits.
    private static readonly AccessSweepOptions s_sample = new(Shard: new AccessShard(3, 251));

    private static readonly Lazy<SweepOutcomes> s_outcomes = new(() => SweepOutcomes.Compute(s_sample));

    [Fact]
    public void counts_add_up()
    {
        SweepOutcomes outcomes = s_outcomes.Value;
        Assert.True(outcomes.Sweep.CasesRun > 5000);
        Assert.All(outcomes.Flags.Where(f => f.Flag.StartsWith("pte.", StringComparison.Ordinal) && f.Flag != "pte.36"), f => Assert.True(f.Cases > 0, f.Flag));
        Assert.Equal(outcomes.Sweep.CasesRun, outcomes.Succeeded + outcomes.Faults);
        Assert.Equal(outcomes.Sweep.CasesPlanned, outcomes.Sweep.CasesRun);
        Assert.Equal(0, outcomes.Sweep.Mismatches);
        Assert.Equal(AccessCaseNames.FlagCount, outcomes.Flags.Length);
        Assert.All(outcomes.Flags, f => Assert.InRange(f.Faults, 0, f.Cases));
        Assert.Equal(Enumerable.Range(0, AccessCaseNames.FlagCount).Select(AccessCaseNames.NameOf), outcomes.Flags.Select(f => f.Flag));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void jobs_tally_what_one_job_tallies(int jobs)
    {
        // The sample (a shard of the whole space) and a limited slice (the limit cuts inside a slice of the jobs).
        foreach (AccessSweepOptions options in new[] { s_sample, new AccessSweepOptions(Limit: 40_000) })
        {
            SweepOutcomes one = options == s_sample ? s_outcomes.Value : SweepOutcomes.Compute(options);
            SweepOutcomes many = SweepOutcomes.Compute(options, jobs: jobs);
            Assert.Equal(one.Sweep.CasesRun, many.Sweep.CasesRun);
            Assert.Equal(one.Sweep.Mismatches, many.Sweep.Mismatches);
            Assert.Equal(one.Succeeded, many.Succeeded);
            Assert.Equal(one.ErrorCodes, many.ErrorCodes);
            Assert.Equal(one.Flags.ToArray(), many.Flags.ToArray()); // ImmutableArray's own Equals compares references
        }
    }

    [Theory]
    [InlineData(null, 0, 1, 2_000L)]
    [InlineData(36, 0, 1, 3_000L)]
    [InlineData(46, 5, 7, 1_500L)]
    [InlineData(52, 0, 1, 0L)]
    public void matches_the_sweeps_own_run(int? maxPhyAddr, int shardIndex, int shardCount, long limit)
    {
        var options = new AccessSweepOptions(MaxPhyAddr: maxPhyAddr ?? 46, Shard: new AccessShard(shardIndex, shardCount), Limit: limit);
        AccessSweepResult expected = new AccessSweep(options).Run();
        SweepOutcomes outcomes = SweepOutcomes.Compute(options);
        Assert.Equal(expected.CasesRun, outcomes.Sweep.CasesRun);
        Assert.Equal(expected.CasesPlanned, outcomes.Sweep.CasesPlanned);
        Assert.Equal(expected.LegalCases, outcomes.Sweep.LegalCases);
        Assert.Equal(expected.Mismatches, outcomes.Sweep.Mismatches);
        Assert.Equal(limit, outcomes.Sweep.CasesRun);
        Assert.Equal(limit, outcomes.Succeeded + outcomes.Faults);
    }

    [Fact]
    public void the_first_cases_are_supervisor_reads_through_a_not_present_pde()
    {
        // access.c's order is numeric: the first 1,000 legal words have bit 14 (pde.p) and every access bit clear,
        // so each is a supervisor read that faults with error code 0 (not present, read, supervisor: SDM 4.7).
        SweepOutcomes outcomes = SweepOutcomes.Compute(new AccessSweepOptions(Limit: 1_000));
        Assert.Equal(0, outcomes.Succeeded);
        Assert.Equal(new Dictionary<uint, long> { [0] = 1_000 }, outcomes.ErrorCodes);
        Assert.Equal(0, outcomes.Flags.Single(f => f.Flag == "pde.p").Cases);
    }

    public static TheoryData<string, string> FlagFacts() => new()
    {
        // Masked out at MAXPHYADDR 46 without PKU (access.c ac_test_run's invalid_mask) or never legal (ac_test_legal).
        { "pde.36", "never varies" },
        { "pte.36", "never varies" },
        { "pkru.ad", "never varies" },
        { "pkru.wd", "never varies" },
        { "pkey=1", "never varies" },
        { "cr4.pke", "never varies" },
        { "cr4.smep", "never varies" },
        { "fep", "never varies" },
        // A not-present PDE stops every walk (SDM 4.5.4), so every case without pde.p faults.
        { "pde.p", "every case without it faults" },
        // A reserved bit in the PDE (bit 13 of a 2M PDE, SDM table 4-17; bit 51 above MAXPHYADDR 46): a present PDE
        // faults with RSVD, an absent one as not present, so every case with the flag faults.
        { "pde.13", "every case with it faults" },
        { "pde.51", "every case with it faults" },
        { "pte.rw", "varies" },
        { "write", "varies" },
    };

    [Theory]
    [MemberData(nameof(FlagFacts))]
    public void fault_rate_by_flag(string flag, string fact)
    {
        SweepOutcomes outcomes = s_outcomes.Value;
        FlagOutcome outcome = outcomes.Flags.Single(f => f.Flag == flag);
        long casesWithout = outcomes.Sweep.CasesRun - outcome.Cases;
        long faultsWithout = outcomes.Faults - outcome.Faults;
        switch (fact)
        {
            case "never varies":
                Assert.Equal(0, outcome.Cases);
                break;
            case "every case without it faults":
                Assert.True(casesWithout > 0);
                Assert.Equal(casesWithout, faultsWithout);
                Assert.True(outcome.FaultRate < 1);
                break;
            case "every case with it faults":
                Assert.True(outcome.Cases > 0);
                Assert.Equal(outcome.Cases, outcome.Faults);
                break;
            default:
                Assert.InRange(outcome.FaultRate, 0.01, 0.99);
                break;
        }
    }

    [Fact]
    public void progress_is_reported_and_cancellation_stops_the_run()
    {
        using var cancel = new CancellationTokenSource();
        var reports = new List<AccessSweepProgress>();

        // The PKU space (19,169,280 cases, about a second): the first progress report (after 250 ms) must come before
        // the end. The 1,916,928-case space now sometimes ended before it, and then there was no report to cancel from.
        SweepOutcomes outcomes = SweepOutcomes.Compute(new AccessSweepOptions(Pku: true), p =>
        {
            reports.Add(p);
            cancel.Cancel();
        }, cancel.Token);
        AccessSweepProgress report = Assert.Single(reports);
        Assert.True(report.Elapsed >= TimeSpan.FromMilliseconds(250));
        Assert.Equal(report.CasesRun, outcomes.Sweep.CasesRun);
        Assert.True(outcomes.Sweep.CasesRun < outcomes.Sweep.CasesPlanned);
        Assert.Equal(outcomes.Sweep.CasesRun, outcomes.Succeeded + outcomes.Faults);
    }
}
