using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>
/// The access.c sweep through the real walker agrees with the oracle. The whole non-PKU space at
/// MAXPHYADDR 46 (1,916,928 cases) runs here; PKU, MAXPHYADDR 52/36 and 5-level paging run as deterministic
/// shards (the complete runs are <c>./workbench sweep access --pku --la57</c>).
/// </summary>
public sealed class AccessSweepTests
{
    private static void AssertNoMismatch(AccessSweepResult result, long expectedCases)
    {
        Assert.True(result.Mismatches == 0, result.FirstMismatch?.ToReport());
        Assert.Equal(expectedCases, result.CasesRun);
    }

    [Fact]
    public void Whole_non_pku_space_at_maxphyaddr_46_matches_the_oracle()
    {
        AccessSweepResult result = new AccessSweep(new AccessSweepOptions(MaxPhyAddr: 46)).Run();
        Assert.Equal(1_916_928L, result.LegalCases);
        AssertNoMismatch(result, 1_916_928L);
    }

    [Theory]
    [InlineData(52, 933_888L)]
    [InlineData(36, 2_899_968L)]
    public void Quarter_of_the_non_pku_space_at_other_maxphyaddrs_matches_the_oracle(int maxPhyAddr, long legal)
    {
        var options = new AccessSweepOptions(MaxPhyAddr: maxPhyAddr, Shard: new AccessShard(1, 4));
        AccessSweepResult result = new AccessSweep(options).Run();
        Assert.Equal(legal, result.LegalCases);
        AssertNoMismatch(result, (legal + 2) / 4);
    }

    [Fact]
    public void Pku_shard_matches_the_oracle()
    {
        var options = new AccessSweepOptions(MaxPhyAddr: 46, Pku: true, Shard: new AccessShard(5, 32));
        AccessSweepResult result = new AccessSweep(options).Run();
        Assert.Equal(19_169_280L, result.LegalCases);
        AssertNoMismatch(result, 19_169_280L / 32);
    }

    [Fact]
    public void Five_level_shard_matches_the_oracle()
    {
        var options = new AccessSweepOptions(MaxPhyAddr: 46, Levels: 5, Shard: new AccessShard(2, 4));
        AssertNoMismatch(new AccessSweep(options).Run(), 1_916_928L / 4);
    }

    [Fact]
    public void A_sweep_allocates_nothing_per_case()
    {
        // Per-case allocation shows as a difference between a short and a long run. One-off allocations of the
        // runtime on this thread (tiering, a finalizer's bookkeeping) can land in any single run while the rest of
        // the suite runs, so each length keeps its smallest of three measurements.
        long Measure(long cases)
        {
            var sweep = new AccessSweep(new AccessSweepOptions(Pku: true, Limit: cases));
            sweep.Run();
            long smallest = long.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                AccessSweepResult result = sweep.Run();
                smallest = Math.Min(smallest, GC.GetAllocatedBytesForCurrentThread() - before);
                AssertNoMismatch(result, cases);
            }

            return smallest;
        }

        long shortRun = Measure(50_000);
        long longRun = Measure(250_000);
        // 200,000 more cases may not cost more than 5,000 bytes: under 0.025 bytes per case.
        Assert.True(longRun - shortRun < 5_000, $"{longRun} bytes for 250,000 cases, {shortRun} for 50,000");
        Assert.True(shortRun < 5_000, $"{shortRun} bytes for one run of 50,000 cases");
    }

    [Fact]
    public void Limit_stops_the_sweep()
    {
        AccessSweepResult result = new AccessSweep(new AccessSweepOptions(Limit: 1000)).Run();
        Assert.Equal(1000L, result.CasesPlanned);
        AssertNoMismatch(result, 1000L);
    }

    [Fact]
    public void Progress_is_reported_every_4096_cases_when_the_interval_allows()
    {
        var reports = new List<AccessSweepProgress>();
        var options = new AccessSweepOptions(Pku: true, Limit: 20_000);
        AccessSweepResult result = new AccessSweep(options).Run(reports.Add, TimeSpan.Zero);
        AssertNoMismatch(result, 20_000L);
        Assert.Equal(new long[] { 4096, 8192, 12288, 16384 }, reports.Select(r => r.CasesRun));
        Assert.All(reports, r => Assert.Equal(20_000L, r.CasesPlanned));

        reports.Clear();
        new AccessSweep(options).Run(reports.Add, TimeSpan.FromHours(1));
        Assert.Empty(reports);
    }

    [Fact]
    public void A_case_leaves_the_bits_access_c_expects()
    {
        // User write to a user, writable 4 KiB page: A in PDE and PTE, D in the PTE only.
        var sweep = new AccessSweep(new AccessSweepOptions());
        AccessCase flags = AccessCase.PtePresent | AccessCase.PteUser | AccessCase.PteWritable
            | AccessCase.PdePresent | AccessCase.PdeUser | AccessCase.PdeWritable
            | AccessCase.AccessUser | AccessCase.AccessWrite | AccessCase.CpuCr0Wp;
        Assert.True(sweep.RunAndCheck(flags, out AccessExpectation expected, out AccessObservation observed, out string? reason), reason);
        Assert.False(observed.Fault);
        Assert.Equal(AccessLayout.DataPhys, observed.Gpa);
        Assert.Equal(AccessLayout.Pte(flags) | 0x60, observed.Pte);
        Assert.Equal(sweep.Layout.Pde(flags) | 0x20, observed.Pde);
        Assert.Equal(expected.Pte, observed.Pte);
    }
}
