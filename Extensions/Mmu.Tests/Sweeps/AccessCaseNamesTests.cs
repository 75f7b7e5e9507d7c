using Workbench.Mmu.Sweeps;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>Names and legality of access.c flag words.</summary>
public sealed class AccessCaseNamesTests
{
    /// <summary>access.c's enum order and <c>ac_names[]</c>, restated as pairs (bit, name).</summary>
    public static TheoryData<AccessCase, int, string> Bits => new()
    {
        { AccessCase.PteWritable, 0, "pte.rw" },
        { AccessCase.PteUser, 1, "pte.user" },
        { AccessCase.PteAccessed, 2, "pte.a" },
        { AccessCase.PteDirty, 3, "pte.d" },
        { AccessCase.PteNx, 4, "pte.nx" },
        { AccessCase.PtePresent, 5, "pte.p" },
        { AccessCase.PteBit51, 6, "pte.51" },
        { AccessCase.PteBit36, 7, "pte.36" },
        { AccessCase.PdeWritable, 8, "pde.rw" },
        { AccessCase.PdeUser, 9, "pde.user" },
        { AccessCase.PdeAccessed, 10, "pde.a" },
        { AccessCase.PdeDirty, 11, "pde.d" },
        { AccessCase.PdePse, 12, "pde.pse" },
        { AccessCase.PdeNx, 13, "pde.nx" },
        { AccessCase.PdePresent, 14, "pde.p" },
        { AccessCase.PdeBit51, 15, "pde.51" },
        { AccessCase.PdeBit36, 16, "pde.36" },
        { AccessCase.PdeBit13, 17, "pde.13" },
        { AccessCase.PdpteNoWritable, 18, "pdpte.ro" },
        { AccessCase.PkuAd, 19, "pkru.ad" },
        { AccessCase.PkuWd, 20, "pkru.wd" },
        { AccessCase.PkuPkey, 21, "pkey=1" },
        { AccessCase.AccessUser, 22, "user" },
        { AccessCase.AccessWrite, 23, "write" },
        { AccessCase.AccessFetch, 24, "fetch" },
        { AccessCase.AccessTwice, 25, "twice" },
        { AccessCase.CpuEferNx, 26, "efer.nx" },
        { AccessCase.CpuCr0Wp, 27, "cr0.wp" },
        { AccessCase.CpuCr4Smep, 28, "cr4.smep" },
        { AccessCase.CpuCr4Pke, 29, "cr4.pke" },
        { AccessCase.Fep, 30, "fep" },
    };

    [Theory]
    [MemberData(nameof(Bits))]
    public void Each_flag_has_access_c_bit_and_name(AccessCase flag, int bit, string name)
    {
        Assert.Equal(1u << bit, (uint)flag);
        Assert.Equal(name, AccessCaseNames.NameOf(bit));
        Assert.Equal(name, flag.Format());
    }

    [Fact]
    public void Case_is_printed_in_bit_order_like_ac_test_show()
    {
        AccessCase flags = AccessCase.CpuCr0Wp | AccessCase.AccessWrite | AccessCase.PdePresent | AccessCase.PtePresent
            | AccessCase.PteUser | AccessCase.PdeUser;
        Assert.Equal("pte.user pte.p pde.user pde.p write cr0.wp", flags.Format());
        Assert.Equal("(none)", AccessCase.None.Format());
    }

    [Fact]
    public void Names_parse_back()
    {
        AccessCase flags = AccessCase.PtePresent | AccessCase.PdePresent | AccessCase.PdePse | AccessCase.PkuPkey | AccessCase.AccessTwice;
        Assert.True(AccessCaseNames.TryParse(flags.Format(), out AccessCase parsed, out string? error), error);
        Assert.Equal(flags, parsed);
        Assert.True(AccessCaseNames.TryParse("0x4020", out parsed, out _));
        Assert.Equal(AccessCase.PdePresent | AccessCase.PtePresent, parsed);
        Assert.True(AccessCaseNames.TryParse("pte.p,pde.p", out parsed, out _));
        Assert.Equal(AccessCase.PdePresent | AccessCase.PtePresent, parsed);
    }

    [Fact]
    public void Unknown_names_are_reported()
    {
        Assert.False(AccessCaseNames.TryParse("pte.p access.write", out _, out string? error));
        Assert.Contains("'access.write'", error);
        Assert.False(AccessCaseNames.TryParse("0x80000000", out _, out error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData(AccessCase.None, true)]
    [InlineData(AccessCase.CpuCr4Smep, false)] // access.c: SMEP is filtered out of the main loop
    [InlineData(AccessCase.AccessFetch | AccessCase.AccessWrite, false)]
    [InlineData(AccessCase.PkuAd, false)] // needs cr4.pke
    [InlineData(AccessCase.PkuWd | AccessCase.CpuCr4Pke, true)]
    [InlineData(AccessCase.PdeBit13, false)] // only with pde.pse
    [InlineData(AccessCase.PdeBit13 | AccessCase.PdePse, true)]
    [InlineData(AccessCase.PdeBit13 | AccessCase.PdePse | AccessCase.PteBit51, false)] // two reserved bits
    [InlineData(AccessCase.PteNx | AccessCase.PdeNx, false)] // both reserved without efer.nx
    [InlineData(AccessCase.PteNx | AccessCase.PdeNx | AccessCase.CpuEferNx, true)] // neither reserved with it
    [InlineData(AccessCase.PteNx | AccessCase.PdeBit36, false)]
    [InlineData(AccessCase.PteNx | AccessCase.PdeBit36 | AccessCase.CpuEferNx, true)]
    public void Legal_follows_ac_test_legal(AccessCase flags, bool legal)
    {
        Assert.Equal(legal, flags.Legal());
    }
}
