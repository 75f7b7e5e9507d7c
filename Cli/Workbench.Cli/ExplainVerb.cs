using Newtonsoft.Json;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Explain;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench explain --variants A,B [--suite standard|quick] [--json]</c>: runs the comparison and learns a short
/// rule for "B diverges from A" over the cases' configuration features (a single FastTree tree read as rules).
/// </summary>
public sealed class ExplainVerb : ICliVerb
{
    private const string Usage =
        "usage: ./workbench explain --variants A,B [--suite standard|quick] [--json]\n"
        + "  Learns when B diverges from A: a rule over the suite's features (l2, l1_tdp, l0_tdp, svm, paging_levels,\n"
        + "  wp_flip, cpuid_change) with its accuracy and support. --json: the divergent cases as rows, then\n"
        + "  {\"rule\": ..., \"accuracy\": x, \"support\": n}.";

    /// <inheritdoc/>
    public string Name => "explain";

    /// <inheritdoc/>
    public string Summary => "learn a readable rule for when one structure variant diverges from another (ML.NET, one tree)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        string[]? variants = null;
        string suite = "standard";
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                case "--variants" when i + 1 < args.Length:
                    variants = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--suite" when i + 1 < args.Length:
                    suite = args[++i];
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    Console.Error.WriteLine($"workbench explain: unexpected argument '{args[i]}'");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        if (variants is not { Length: 2 } || variants.Any(v => !ContextLayouts.Exists(v)) || !ComparisonSuite.Names.Contains(suite))
        {
            Console.Error.WriteLine($"workbench explain: --variants needs two of {string.Join(", ", ContextLayouts.Names)}; --suite one of {string.Join(", ", ComparisonSuite.Names)}");
            return 2;
        }

        ComparisonReport report = VariantComparison.Run(variants, ComparisonSuite.Build(suite), includeSweep: false);
        var rows = ExplainData.Divergence(report, variants[1]);
        LearnedRule rule = new FastTreeRuleLearner().Learn(rows);
        if (json)
        {
            foreach (var comparison in report.Cases.Where(c => c.Diverges))
            {
                Console.WriteLine(JsonConvert.SerializeObject(new { @case = comparison.Case.Name, features = comparison.Case.Features }));
            }

            Console.WriteLine(JsonConvert.SerializeObject(new { rule = rule.Rule, accuracy = Math.Round(rule.Accuracy, 4), support = rule.Support }));
            return 0;
        }

        Console.WriteLine($"{variants[1]} diverges from {variants[0]} on {rows.Count(r => r.Label)} of {rows.Count} cases");
        Console.WriteLine($"  rule:     {rule.Rule}");
        Console.WriteLine($"  accuracy: {rule.Accuracy:P1}");
        Console.WriteLine($"  support:  {rule.Support} cases match the rule");
        return 0;
    }
}
