using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>
/// The enumeration reproduces access.c's <c>ac_test_bump</c>/<c>ac_test_legal</c> counts (anchors B3,
/// re-derived by running access.c's two functions in C): 933,888 legal non-PKU cases at MAXPHYADDR &gt;= 52,
/// 1,916,928 at 37..51, ten times that with PKU.
/// </summary>
public sealed class AccessCaseSpaceTests
{
    [Theory]
    [InlineData(52, false, 933_888L)]
    [InlineData(51, false, 1_916_928L)]
    [InlineData(46, false, 1_916_928L)]
    [InlineData(37, false, 1_916_928L)]
    [InlineData(36, false, 2_899_968L)]
    [InlineData(52, true, 9_338_880L)]
    [InlineData(46, true, 19_169_280L)]
    public void Legal_case_count_matches_access_c(int maxPhyAddr, bool pku, long expected)
    {
        Assert.Equal(expected, new AccessCaseSpace(maxPhyAddr, pku).CountLegal());
    }

    [Fact]
    public void Count_equals_a_brute_force_filter_over_every_flag_word()
    {
        // Independent of TryBump's carry trick: test every word below 2^31 without the masked bits.
        var space = new AccessCaseSpace(46, pku: false);
        uint invalid = (uint)space.InvalidMask;
        long count = 0;
        uint valid = ~invalid & (AccessCaseSpace.End - 1);

        // Every subset of the valid bits in increasing order: (subset - valid) & valid is the next one.
        uint subset = 0;
        do
        {
            if (((AccessCase)subset).Legal())
            {
                count++;
            }

            subset = (subset - valid) & valid;
        }
        while (subset != 0);

        Assert.Equal(space.CountLegal(), count);
    }

    [Theory]
    [InlineData(52, true)]
    [InlineData(36, false)]
    [InlineData(52, false)]
    public void Enumeration_is_the_brute_force_filter_in_counting_order(int maxPhyAddr, bool pku)
    {
        // TryBump skips runs of illegal words at once (IllegalWhateverBelow); the brute force tests every subset of the
        // valid bits, in increasing order, with Legal alone. Same words, same order: same count and same digest.
        var space = new AccessCaseSpace(maxPhyAddr, pku);
        uint valid = ~(uint)space.InvalidMask & (AccessCaseSpace.End - 1);
        long bruteCount = 0;
        ulong bruteDigest = 14695981039346656037UL;
        uint subset = 0;
        do
        {
            if (((AccessCase)subset).Legal())
            {
                bruteCount++;
                bruteDigest = (bruteDigest ^ subset) * 1099511628211UL;
            }

            subset = (subset - valid) & valid;
        }
        while (subset != 0);

        long count = 0;
        ulong digest = 14695981039346656037UL;
        AccessCase flags = AccessCase.None;
        do
        {
            count++;
            digest = (digest ^ (uint)flags) * 1099511628211UL;
        }
        while (space.TryBump(ref flags));

        Assert.Equal(bruteCount, count);
        Assert.Equal(bruteDigest, digest);
    }

    [Fact]
    public void Enumeration_is_ascending_starts_at_zero_and_only_yields_legal_cases_of_the_space()
    {
        var space = new AccessCaseSpace(46, pku: false);
        uint previous = 0;
        long n = 0;
        foreach (AccessCase flags in space.Enumerate())
        {
            if (n++ == 0)
            {
                Assert.Equal(AccessCase.None, flags);
            }
            else
            {
                Assert.True((uint)flags > previous);
            }

            Assert.True(space.Contains(flags), flags.Format());
            previous = (uint)flags;
        }

        Assert.Equal(1_916_928L, n);
    }

    [Fact]
    public void First_cases_follow_access_c_bump_order()
    {
        // Words 0..0x3f set only PTE bits 0..5. pte.nx without efer.nx is a reserved bit, but one reserved bit
        // alone is legal, so all 64 words are cases.
        var space = new AccessCaseSpace(52, pku: false);
        AccessCase[] first = space.Enumerate().Take(70).ToArray();
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal((AccessCase)(uint)i, first[i]);
        }

        // Bits 6 and 7 (pte.51, pte.36) are masked at MAXPHYADDR 52: the carry goes straight to pde.rw.
        Assert.Equal(AccessCase.PdeWritable, first[64]);
    }

    [Fact]
    public void Maxphyaddr_decides_which_reserved_address_bits_are_tested()
    {
        Assert.Equal(
            AccessCase.Fep | AccessCase.PdeBit51 | AccessCase.PteBit51 | AccessCase.PdeBit36 | AccessCase.PteBit36,
            new AccessCaseSpace(52, pku: true).InvalidMask);
        Assert.Equal(AccessCase.Fep | AccessCase.PdeBit36 | AccessCase.PteBit36, new AccessCaseSpace(46, pku: true).InvalidMask);
        Assert.Equal(AccessCase.Fep, new AccessCaseSpace(36, pku: true).InvalidMask);
        Assert.Equal(
            AccessCase.Fep | AccessCase.PdeBit36 | AccessCase.PteBit36
                | AccessCase.PkuAd | AccessCase.PkuWd | AccessCase.PkuPkey | AccessCase.CpuCr4Pke,
            new AccessCaseSpace(46, pku: false).InvalidMask);
    }

    [Fact]
    public void Shards_partition_the_space()
    {
        var space = new AccessCaseSpace(52, pku: false);
        var shards = Enumerable.Range(0, 3).Select(i => new AccessShard(i, 3)).ToArray();
        long[] counts = new long[3];
        long ordinal = 0;
        foreach (AccessCase unused in space.Enumerate())
        {
            int owners = 0;
            for (int i = 0; i < shards.Length; i++)
            {
                if (shards[i].Includes(ordinal))
                {
                    owners++;
                    counts[i]++;
                }
            }

            Assert.Equal(1, owners);
            ordinal++;
        }

        Assert.Equal(933_888L, counts.Sum());
        Assert.All(counts, c => Assert.InRange(c, 933_888L / 3, (933_888L / 3) + 1));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/8", 3, 8)]
    public void Shard_parses(string text, int index, int count)
    {
        Assert.True(AccessShard.TryParse(text, out AccessShard shard, out string? error), error);
        Assert.Equal(new AccessShard(index, count), shard);
    }

    [Theory]
    [InlineData("8/8")]
    [InlineData("-1/4")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("0/0")]
    public void Bad_shards_are_rejected_with_a_message(string text)
    {
        Assert.False(AccessShard.TryParse(text, out _, out string? error));
        Assert.Contains("--shard", error);
    }
}
