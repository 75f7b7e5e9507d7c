using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>The merge step of a sweep spread over machines adds the counts and picks the smallest failing flag word.</summary>
public sealed class AccessShardMergeTests
{
    private static string ShardOutput(long run, long mismatches, uint? failedCase) =>
        "access sweep: 4-level paging, MAXPHYADDR 46, no PKU, shard 1/3, walks only\n"
        + "  legal cases       1,916,928\n"
        + $"  planned             638,976\n  cases run    {run,14:N0}\n  mismatches   {mismatches,14:N0}\n"
        + "  jobs                      2\n  time                  0.500 s\n"
        + (failedCase is uint word ? $"report of 0x{word:x8}\nworkbench sweep access: FAILED at case 0x{word:x8} [pte.p]: reason\n" : string.Empty);

    private static AccessShardOutput Parse(string name, string text)
    {
        Assert.True(AccessShardMerge.TryParse(name, text, out AccessShardOutput? output, out string? error), error);
        return output!;
    }

    [Fact]
    public void Counts_add_up_and_the_smallest_failing_flag_word_is_first()
    {
        AccessShardMergeResult merged = AccessShardMerge.Merge(
        [
            Parse("a", ShardOutput(638_976, 0, null)),
            Parse("b", ShardOutput(1_200, 1, 0x0080_0421)),
            Parse("c", ShardOutput(900, 1, 0x0000_0421)),
        ]);

        Assert.Equal(1_916_928L, merged.LegalCases);
        Assert.Equal(638_976L + 1_200 + 900, merged.CasesRun);
        Assert.Equal(2L, merged.Mismatches);
        Assert.Equal("c", merged.First?.Name);
        Assert.Equal(0x421u, merged.First?.FailedCase);
    }

    [Fact]
    public void Shards_that_agree_merge_to_no_mismatch()
    {
        AccessShardMergeResult merged = AccessShardMerge.Merge([Parse("a", ShardOutput(638_976, 0, null)), Parse("b", ShardOutput(638_976, 0, null))]);
        Assert.Null(merged.First);
        Assert.Equal(0L, merged.Mismatches);
    }

    [Theory]
    [InlineData("")]
    [InlineData("access sweep: 4-level\n  legal cases 1\n  cases run 1\n  mismatches 0\naccess sweep: 5-level\n")]
    public void An_output_without_exactly_one_summary_is_refused(string text)
    {
        Assert.False(AccessShardMerge.TryParse("x", text, out _, out string? error));
        Assert.Contains("one summary", error);
    }
}
