using System.Collections.Immutable;
using Workbench.Interactive.Formatting;
using Workbench.Mmu.Analysis;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>
/// The HTML of the structure-variant analyses (<see cref="Formatting.VariantRendering"/>) over real model values,
/// compared with approved files (<see cref="GoldenRendering"/>), plus the facts each must show; the comparison's wall
/// time is pinned so the files are stable.
/// </summary>
public class VariantRenderingGoldenTests
{
    public VariantRenderingGoldenTests()
    {
        MmuKernelExtension.EnsureFormattersRegistered();
    }

    [Fact]
    public void comparison_of_a_broken_variant_shows_its_first_divergence_side_by_side()
    {
        ComparisonReport report = VariantComparison.Run(["6.12", "chainsaw-v2", "broken-nested-wp"], ComparisonSuite.Build("quick"), includeSweep: false)
            with { Elapsed = TimeSpan.FromSeconds(0.25) };

        string html = Verify(report);
        Assert.Contains("comparison: 18 cases × 3 variants, baseline 6.12, 0.25 s", html);
        Assert.Contains("first divergence of broken-nested-wp: L2 nested EPT, 4level, wp-flip, step 8", html);
        Assert.Contains("equal on every case", html); // chainsaw-v2
        Assert.Contains("<!-- chart -->", html);
        Assert.DoesNotContain("first divergence of chainsaw-v2", html);
    }

    [Fact]
    public void first_divergent_access_side_by_side_replays_the_walk_under_both()
    {
        ComparisonReport report = VariantComparison.Run(["6.12", "broken-nested-wp"], ComparisonSuite.Build("quick"), includeSweep: false);
        DivergentAccess access = Assert.Single(Variants.FirstDivergentAccesses(report));

        // The replayed access gives what the comparison recorded: the guest-visible results are the divergence.
        Divergence divergence = report.Cases.First(c => c.Diverges).Divergences[0];
        Assert.Equal(divergence.Expected, VariantComparison.GuestVisible(new Experiments.AccessResult(access.Expected.Result, access.Expected.Trace)));
        Assert.Equal(divergence.Actual, VariantComparison.GuestVisible(new Experiments.AccessResult(access.Actual.Result, access.Actual.Trace)));
        string html = Verify(access);
        Assert.Contains("first divergence of broken-nested-wp side by side: L2 nested EPT, 4level, wp-flip, step 8", html);
        Assert.Contains("<strong>6.12</strong>", html);
        Assert.Contains("<strong>broken-nested-wp</strong>", html);
    }

    [Fact]
    public void naming_report_ranks_and_explains_each_violation()
    {
        IReadOnlyList<NamingScheme> schemes = Variants.Schemes().Where(s => s.Scheme is "upstream-6.12" or "walk01-walk12").ToList();
        string html = Verify(NamingBakeOff.Run(schemes));
        Assert.Contains("naming bake-off: 2 schemes", html);
        Assert.Contains("violations, each in one sentence", html);
        Assert.Contains("<code>guest_mmu</code>", html);
    }

    [Fact]
    public void explanation_shows_rule_accuracy_and_support()
    {
        string html = Verify(new Explanation("6.12", "broken-nested-wp", "standard", 8, 54, new LearnedRule("l1_tdp && wp_flip", 1, 8)));
        Assert.Contains("when broken-nested-wp diverges from 6.12 (standard suite)", html);
        Assert.Contains("diverges on 8 of 54 cases", html);
        Assert.Contains("<code>l1_tdp && wp_flip</code>", html);
        Assert.Contains("accuracy 100.0 % · support 8 cases", html);
    }

    [Fact]
    public void learned_rule_alone()
    {
        string html = Verify(new LearnedRule("cpuid_change && paging_levels > 2.5", 0.98, 14));
        Assert.Contains("accuracy 98.0 % · support 14 cases", html);
        Assert.Equal("rule: false (accuracy 100.0 %, support 0 cases)", Formatter.ToDisplayString(new LearnedRule("false", 1, 0), Formatter.PlainTextMimeType));
    }

    private static string Verify<T>(T value, [System.Runtime.CompilerServices.CallerMemberName] string testName = "") =>
        GoldenRendering.Verify(value, nameof(VariantRenderingGoldenTests), testName);
}
