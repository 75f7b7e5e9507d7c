using Workbench.Mmu.Analysis;

namespace Workbench.Mmu.Tests.Variants;

/// <summary>
/// Naming fit is computed from observed behaviour, not tables: these pin the violations the seed threads argue about.
/// </summary>
public class NamingTests
{
    private static readonly Lazy<NamingReport> s_report = new(() =>
        NamingBakeOff.Run(NamingBakeOff.Load(NamingBakeOff.FindDefaultDirectory() ?? throw new DirectoryNotFoundException("datasets/naming"))));

    private static IEnumerable<ClaimCheck> Violations(string scheme, string name, NamingClaim claim) =>
        s_report.Value.Checks.Where(c => c.Scheme == scheme && c.Name == name && c.Claim == claim && !c.Holds);

    [Fact]
    public void Every_scheme_of_the_issue_is_there_with_its_source()
    {
        var schemes = NamingBakeOff.Load(NamingBakeOff.FindDefaultDirectory()!);
        Assert.Equal(10, schemes.Count);
        Assert.All(schemes, s => Assert.False(string.IsNullOrWhiteSpace(s.Source)));
        Assert.All(schemes, s => Assert.Contains(s.Variant, Workbench.Mmu.Contexts.ContextLayouts.Names));
    }

    [Fact]
    public void Guest_mmu_misleads_about_guest_mode_exactly_when_L1_shadows_L2()
    {
        // Sean (2021): "guest_mmu is misleading because its not used for all cases of sp->role.guest_mode=1".
        var scenarios = Violations("upstream-6.12", "guest_mmu", NamingClaim.GuestMode).Select(c => c.Scenario).ToHashSet();
        Assert.Equal(new HashSet<string> { "L2, L1 shadows L2, L0 TDP", "L2, L1 shadows L2, L0 shadow" }, scenarios);
        Assert.Contains("root_mmu", Violations("upstream-6.12", "guest_mmu", NamingClaim.GuestMode).First().Why);
    }

    [Fact]
    public void Root_mmu_is_used_for_L2_when_L1_shadows_it()
    {
        // Sean (2026): "If L1 is using shadow paging for L2, than the so called 'root' MMU is used for both L1 and L2".
        var scenarios = Violations("chainsaw-v1", "root_mmu", NamingClaim.L1Only).Select(c => c.Scenario).ToHashSet();
        Assert.Equal(new HashSet<string> { "L2, L1 shadows L2, L0 TDP", "L2, L1 shadows L2, L0 shadow" }, scenarios);
    }

    [Fact]
    public void Cr3_walk_is_ambiguous_only_under_NPT_whose_root_is_nCR3()
    {
        // Sean (2026): "Or maybe legacy_walk instead of cr3_walk? Purely because of nCR3 with NPT".
        var violation = Assert.Single(Violations("cr3_walk-nested_tdp_walk", "cr3_walk", NamingClaim.Cr3Unambiguous));
        Assert.Equal("L2, nested NPT", violation.Scenario);
        Assert.Contains("nCR3", violation.Why);
        Assert.Contains(s_report.Value.Checks, c => c.Name == "cr3_walk" && c.Claim == NamingClaim.Cr3Tables && c.Holds);
    }

    [Fact]
    public void Tdp_walk_reads_as_the_TDP_MMUs_walker_but_serves_the_shadow_of_L1s_EPT_and_NPT()
    {
        // Kishen (2026): "tdp_walk alone felt a bit vague — it read as 'the TDP MMU's walker'".
        var scenarios = Violations("chainsaw-v1", "tdp_walk", NamingClaim.TdpMmu).Select(c => c.Scenario).ToHashSet();
        Assert.Equal(new HashSet<string> { "L2, nested EPT", "L2, nested NPT" }, scenarios);
        Assert.Contains("guest_mmu, a shadow MMU", Violations("chainsaw-v1", "tdp_walk", NamingClaim.TdpMmu).First().Why);
    }

    [Fact]
    public void Nested_mmu_builds_no_page_tables()
    {
        // Paolo (2026): "the (already poorly named) nested_mmu is only used in part, since it has no page tables to construct".
        var scenarios = Violations("upstream-6.12", "nested_mmu", NamingClaim.BuildsTables).Select(c => c.Scenario).ToHashSet();
        Assert.Equal(new HashSet<string> { "L2, nested EPT", "L2, nested NPT" }, scenarios);
    }

    [Fact]
    public void A_malformed_scheme_names_the_file_and_field()
    {
        string dir = Path.Combine(Path.GetTempPath(), "naming-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "bad.json"), "{\"scheme\": \"x\", \"source\": \"s\", \"variant\": \"6.12\", \"names\": [{\"object\": \"root_mmu\", \"name\": \"r\", \"claims\": [\"rooty\"]}]}");
        var error = Assert.Throws<FormatException>(() => NamingBakeOff.Load(dir));
        Assert.StartsWith("bad.json: names[0].claims: unknown claim \"rooty\"", error.Message);
    }
}
