using Workbench.Mmu.Bench;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Bench;

/// <summary>
/// The benchmark sets are cwalk's sets: the digest of (address, request bits, expected address) over every page and
/// the checksum of a 1,000-walk sequence (256 MiB set, then its hot set) equal what a copy of
/// <c>../shared/perf/cwalk.c</c> printed for the same figures with <c>--walks 1000 --walks2d 1000</c> (digest added
/// after <c>wset_build</c>; FNV-1a-64 over va, req, expect per page). Page-table bytes equal cwalk's
/// <c>table_bytes</c>, so the model walks the same number of tables.
/// </summary>
public class WalkSetTests
{
    [Theory]
    [InlineData("walk4_256m", "35490119d226dd6b", "008134d335ef17ea", "007f8fa83e8fb70d", 540672UL)]
    [InlineData("walk5_256m", "6e2f56729b8679f7", "007ebf526d5d198d", "008a16cded100dd6", 544768UL)]
    [InlineData("walkpae_256m", "716adc1ea142dc85", "007c24b140c700fe", "007435f1523b56a2", 536576UL)]
    [InlineData("walk2d_4x4_256m", "de02d3bc17d4f6ab", "0005dee3855208b3", "0005be80307eb83e", 1085440UL)]
    [InlineData("walk2d_5x5_256m", "82c84f77335ebe99", "0005d2893c122f74", "000610505a164099", 1093632UL)]
    public void SetAndSequencesAreCwalks(string figureName, string setDigest, string midSum, string hotSum, ulong tableBytes)
    {
        WalkFigure figure = WalkFigure.Find(figureName)!;
        WalkSet set = WalkSet.Build(figure);

        Assert.Equal(setDigest, Digest(set).ToString("x16"));
        Assert.Equal(tableBytes, set.TableBytes);
        Assert.Null(set.Verify());

        WalkSequence mid = set.Sequence(0, 1000);
        Assert.Equal(midSum, mid.ExpectedSum.ToString("x16"));
        Assert.Equal(mid.ExpectedSum, WalkTimer.Run(mid, WalkPath.Vcpu, 0, 1000));
        Assert.Equal(mid.ExpectedSum, WalkTimer.Run(mid, WalkPath.Walker, 0, 1000));

        WalkSequence hot = set.Sequence(64, 1000);
        Assert.Equal(hotSum, hot.ExpectedSum.ToString("x16"));
        Assert.Equal(hot.ExpectedSum, WalkTimer.Run(hot, WalkPath.Vcpu, 0, 1000));
    }

    [Fact]
    public void BigFourLevelSetIsCwalks()
    {
        WalkSet set = WalkSet.Build(WalkFigure.Find("walk4")!);
        Assert.Equal(1_048_576, set.Addresses.Length);
        Assert.Equal("6e6fe487ccc4fc97", Digest(set).ToString("x16"));
        Assert.Equal(17113088UL, set.TableBytes);
        Assert.Equal("007bd7c6aa6394fe", set.Sequence(0, 1000).ExpectedSum.ToString("x16"));
    }

    [Fact]
    public void HotFigureAloneDrawsTheSamePool()
    {
        // --only walk4_hot skips the 256 MiB sequence but must advance the generator as drawing it would.
        WalkSet set = WalkSet.Build(WalkFigure.Find("walk4_256m")!);
        set.SkipSequence(1000);
        Assert.Equal("007f8fa83e8fb70d", set.Sequence(64, 1000).ExpectedSum.ToString("x16"));
    }

    [Fact]
    public void TwoDimensionalWalksRunInL2OverNestedEpt()
    {
        WalkSet set = WalkSet.Build(WalkFigure.Find("walk2d_4x4_256m")!);
        Assert.True(set.Vm.Vcpu.IsGuestMode);
        Assert.NotNull(set.Walker.TranslateThrough);
        Assert.Equal(PagingMode.Ept4, set.Walker.TranslateThrough!.Mode);

        // 24 entry reads per walk (4 x (4 + 1) + 4), as cwalk counts them.
        var trace = new WalkTrace();
        (AccessKind kind, int cpl) = WalkSet.Access(set.Classes[0]);
        WalkResult r = set.Vm.Vcpu.Access(set.Addresses[0], kind, cpl, false, trace);
        Assert.True(r.IsOk, r.ToString());
        Assert.Equal(24, trace.Entries.Count(e => e.Kind == TraceKind.Read));
    }

    private static ulong Digest(WalkSet set)
    {
        byte[] req = [0, 2, 4, 6, 0x14, 0x10, 8]; // cwalk class_req: the request's PF bits, NOSMAP in the RSVD slot
        ulong h = 0xcbf29ce484222325UL;
        for (int i = 0; i < set.Addresses.Length; i++)
        {
            h = (h ^ set.Addresses[i]) * 0x100000001b3UL;
            h = (h ^ req[(int)set.Classes[i]]) * 0x100000001b3UL;
            h = (h ^ set.Expected[i]) * 0x100000001b3UL;
        }

        return h;
    }
}
