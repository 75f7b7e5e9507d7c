using System.Collections.Immutable;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Explain;

namespace Workbench.Mmu.Tests.Variants;

/// <summary>explain: a single FastTree tree read as rules names each broken variant's triggering condition.</summary>
public class ExplainTests
{
    private static LearnedRule Explain(string variant) =>
        new FastTreeRuleLearner().Learn(ExplainData.Divergence(
            VariantComparison.Run(["6.12", variant], ComparisonSuite.Build("standard"), includeSweep: false), variant));

    [Fact]
    public void The_stale_L2_WP_bug_is_explained_by_nested_TDP_and_a_WP_flip()
    {
        var rule = Explain("broken-nested-wp");
        Assert.Equal("l1_tdp && wp_flip", rule.Rule);
        Assert.Equal(1.0, rule.Accuracy);
        Assert.Equal(8, rule.Support);
    }

    [Fact]
    public void The_stale_cpuid_role_bug_is_explained_by_a_CPUID_change_on_64_bit_entries()
    {
        var rule = Explain("broken-cpuid-role");
        Assert.Equal("cpuid_change && paging_levels > 2.5", rule.Rule);
        Assert.Equal(1.0, rule.Accuracy);
        Assert.Equal(14, rule.Support);
    }

    [Fact]
    public void A_real_variant_never_diverges()
    {
        Assert.Equal(new LearnedRule("false", 1, 0), Explain("chainsaw-v2"));
    }

    [Fact]
    public void A_disjunction_comes_back_as_two_conjunctions()
    {
        // label = (a && b) || c over every combination of three flags, each row twice.
        var rows = new List<LabeledRow>();
        for (int bits = 0; bits < 8; bits++)
        {
            var features = ImmutableSortedDictionary.CreateRange(new Dictionary<string, double>
            {
                ["a"] = bits & 1, ["b"] = (bits >> 1) & 1, ["c"] = (bits >> 2) & 1,
            });
            bool label = ((bits & 3) == 3) || (bits & 4) != 0;
            rows.Add(new LabeledRow(features, label));
            rows.Add(new LabeledRow(features, label));
        }

        var rule = new FastTreeRuleLearner().Learn(rows);
        Assert.Equal(1.0, rule.Accuracy);
        Assert.Equal(10, rule.Support);
        Assert.Contains("||", rule.Rule);
    }
}
