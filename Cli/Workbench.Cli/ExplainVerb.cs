using System.CommandLine;
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
    /// <inheritdoc/>
    public string Name => "explain";

    /// <inheritdoc/>
    public string Summary => "learn a readable rule for when one structure variant diverges from another (ML.NET, one tree)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var variants = VariantOptions.Variants(minimum: 2, maximum: 2);
        variants.Required = true;
        var suite = VariantOptions.Suite();
        var json = new Option<bool>("--json") { Description = "The divergent cases as rows, then {\"rule\": ..., \"accuracy\": x, \"support\": n}." };
        var command = new Command(Name,
            "Learns when B diverges from A: a rule over the suite's features (l2, l1_tdp, l0_tdp, svm, paging_levels, wp_flip, "
            + "cpuid_change) with its accuracy and support.")
        {
            variants, suite, json,
        };
        command.SetAction(parsed =>
        {
            string[] names = parsed.GetValue(variants)!;
            ComparisonReport report = VariantComparison.Run(names, ComparisonSuite.Build(parsed.GetValue(suite)!), includeSweep: false);
            var rows = ExplainData.Divergence(report, names[1]);
            LearnedRule rule = new FastTreeRuleLearner().Learn(rows);
            if (parsed.GetValue(json))
            {
                foreach (var comparison in report.Cases.Where(c => c.Diverges))
                {
                    Console.WriteLine(JsonConvert.SerializeObject(new { @case = comparison.Case.Name, features = comparison.Case.Features }));
                }

                Console.WriteLine(JsonConvert.SerializeObject(new { rule = rule.Rule, accuracy = Math.Round(rule.Accuracy, 4), support = rule.Support }));
                return 0;
            }

            Console.WriteLine($"{names[1]} diverges from {names[0]} on {rows.Count(r => r.Label)} of {rows.Count} cases");
            Console.WriteLine($"  rule:     {rule.Rule}");
            Console.WriteLine($"  accuracy: {rule.Accuracy:P1}");
            Console.WriteLine($"  support:  {rule.Support} cases match the rule");
            return 0;
        });
        return CliCommand.Invoke(command, args);
    }
}
