using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>
/// <c>--jobs N</c> changes the time only: the counts and the first mismatch are those of one job, merged in
/// enumeration order, including when a later mismatch is found first.
/// </summary>
public sealed class AccessSweepJobsTests
{
    private static AccessSweepResult RunJobs(AccessSweepOptions options, int jobs, AccessOracleFunction? oracle = null)
        => AccessSweepJobs.Run(options, jobs, () => new AccessSweep(options, oracle), progress: null, TimeSpan.FromMilliseconds(250), CancellationToken.None);

    /// <summary>A broken oracle: wrong about whether about one case in 7,919 faults, spread over the whole space.</summary>
    private static AccessExpectation WrongNowAndThen(AccessCase flags, ulong pteBefore, ulong pdeBefore)
    {
        AccessExpectation right = AccessOracle.Expect(flags, pteBefore, pdeBefore);
        return (uint)flags * 2654435761u % 7919u == 0 ? right with { Fault = !right.Fault } : right;
    }

    [Fact]
    public void Two_jobs_run_the_whole_space_at_maxphyaddr_52_without_a_mismatch()
    {
        AccessSweepResult result = RunJobs(new AccessSweepOptions(MaxPhyAddr: 52), jobs: 2);
        Assert.True(result.Mismatches == 0, result.FirstMismatch?.ToReport());
        Assert.Equal(933_888L, result.LegalCases);
        Assert.Equal(933_888L, result.CasesPlanned);
        Assert.Equal(933_888L, result.CasesRun);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Jobs_report_the_first_mismatch_and_the_counts_of_one_job(bool keepGoing)
    {
        var options = new AccessSweepOptions(MaxPhyAddr: 52, Shard: new AccessShard(1, 3), Limit: 200_000, KeepGoing: keepGoing);
        AccessSweepResult one = RunJobs(options, jobs: 1, WrongNowAndThen);
        AccessSweepResult four = RunJobs(options, jobs: 4, WrongNowAndThen);

        Assert.NotNull(one.FirstMismatch);
        Assert.Equal(keepGoing ? 200_000L : one.CasesRun, four.CasesRun);
        Assert.Equal(one.CasesRun, four.CasesRun);
        Assert.Equal(one.Mismatches, four.Mismatches);
        Assert.True(keepGoing ? one.Mismatches > 10 : one.Mismatches == 1, $"{one.Mismatches} mismatches");
        Assert.Equal(one.CasesPlanned, four.CasesPlanned);
        Assert.Equal(one.FirstMismatch!.ToReport(), four.FirstMismatch!.ToReport());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Jobs_that_count_as_they_run_report_the_counts_and_first_mismatch_of_one_job(bool keepGoing)
    {
        // No shard, no limit, no progress: the jobs count each slice as they run it (no counting pass before).
        var options = new AccessSweepOptions(MaxPhyAddr: 46, KeepGoing: keepGoing);
        AccessSweepResult one = RunJobs(options, jobs: 1, WrongNowAndThen);
        AccessSweepResult three = RunJobs(options, jobs: 3, WrongNowAndThen);

        Assert.NotNull(one.FirstMismatch);
        Assert.Equal(1_916_928L, three.LegalCases);
        Assert.Equal(one.LegalCases, three.LegalCases);
        Assert.Equal(one.CasesPlanned, three.CasesPlanned);
        Assert.Equal(one.CasesRun, three.CasesRun);
        Assert.Equal(one.Mismatches, three.Mismatches);
        Assert.True(keepGoing ? one.CasesRun == 1_916_928L && one.Mismatches > 10 : one.Mismatches == 1 && one.CasesRun < 1_916_928L,
            $"{one.CasesRun} cases, {one.Mismatches} mismatches");
        Assert.Equal(one.FirstMismatch!.ToReport(), three.FirstMismatch!.ToReport());
    }

    [Fact]
    public void A_later_mismatch_found_first_does_not_hide_an_earlier_one()
    {
        var options = new AccessSweepOptions(MaxPhyAddr: 52);
        AccessCase[] cases = new AccessCaseSpace(52, pku: false).Enumerate().ToArray();
        AccessCase early = cases[100];
        AccessCase late = cases[cases.Length * 3 / 4];
        using var lateFound = new ManualResetEventSlim();

        AccessExpectation HoldsTheEarlyOneBack(AccessCase flags, ulong pteBefore, ulong pdeBefore)
        {
            AccessExpectation right = AccessOracle.Expect(flags, pteBefore, pdeBefore);
            if (flags == early)
            {
                // The job with the first slice waits here until the other job has reported the late mismatch.
                lateFound.Wait(TimeSpan.FromSeconds(60));
            }
            else if (flags == late)
            {
                lateFound.Set();
            }

            return flags == early || flags == late ? right with { Fault = !right.Fault } : right;
        }

        AccessSweepResult result = RunJobs(options, jobs: 2, HoldsTheEarlyOneBack);

        Assert.True(lateFound.IsSet, "the late mismatch was never reached: the test did not exercise the merge");
        Assert.Equal(early, result.FirstMismatch?.Case);
        Assert.Equal(101L, result.CasesRun);
        Assert.Equal(1L, result.Mismatches);
    }

    [Fact]
    public void Slices_cover_the_enumeration_in_order()
    {
        var space = new AccessCaseSpace(46, pku: true);
        uint previous = 0;
        for (int slice = 1; slice <= 256; slice++)
        {
            uint start = space.SliceStart(slice, 256);
            Assert.True(start > previous, $"slice {slice} starts at 0x{start:x}, not after 0x{previous:x}");
            Assert.Equal(0u, start & (uint)space.InvalidMask);
            previous = start;
        }

        Assert.Equal(AccessCaseSpace.End, space.SliceStart(256, 256));
        Assert.True(space.TryFirstIn(space.SliceStart(0, 256), space.SliceStart(1, 256), out AccessCase first));
        Assert.Equal(AccessCase.None, first);

        // The top half sets CR4.SMEP, never legal in the main loop: those slices are empty.
        Assert.False(space.TryFirstIn(space.SliceStart(200, 256), space.SliceStart(201, 256), out _));
    }
}
