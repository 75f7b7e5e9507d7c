using System.Collections.Immutable;

namespace Workbench.Mmu.Analysis
{
    /// <summary>A learned rule: readable, with how often it is right and how many rows it covers.</summary>
    /// <param name="Rule">e.g. <c>l2 &amp;&amp; l1_tdp &amp;&amp; wp_flip</c>; <c>false</c> when nothing is positive.</param>
    /// <param name="Accuracy">Fraction of rows the rule classifies correctly.</param>
    /// <param name="Support">Rows the rule matches (predicts positive).</param>
    public sealed record LearnedRule(string Rule, double Accuracy, int Support);

    /// <summary>One row to learn from: configuration features and the outcome to explain.</summary>
    /// <param name="Features">Feature name → value (0/1 flags or small numbers).</param>
    /// <param name="Label">The outcome (e.g. "this variant diverges here").</param>
    public sealed record LabeledRow(ImmutableSortedDictionary<string, double> Features, bool Label);

    /// <summary>
    /// Learns a short human-readable rule for a label from features (<c>./workbench explain</c>). Behind an interface
    /// so the model does not depend on the ML library: the implementation (a single FastTree tree read as rules) lives
    /// in <c>Workbench.Mmu.Explain</c>.
    /// </summary>
    public interface IRuleLearner
    {
        /// <summary>Learns a rule that predicts <see cref="LabeledRow.Label"/> from the features.</summary>
        LearnedRule Learn(IReadOnlyList<LabeledRow> rows);
    }

    /// <summary>Turns comparisons into rows to explain.</summary>
    public static class ExplainData
    {
        /// <summary>One row per suite case: its features, labelled "<paramref name="variant"/> diverges from the baseline here".</summary>
        public static IReadOnlyList<LabeledRow> Divergence(ComparisonReport report, string variant)
        {
            ArgumentNullException.ThrowIfNull(report);
            return report.Cases
                .Select(c => new LabeledRow(c.Case.Features, c.Divergences.Any(d => d.Variant == variant)))
                .ToList();
        }

        /// <summary>Evaluates a conjunction/disjunction rule of the form the learners produce (for accuracy and support).</summary>
        public static (double Accuracy, int Support) Score(Func<ImmutableSortedDictionary<string, double>, bool> rule, IReadOnlyList<LabeledRow> rows)
        {
            ArgumentNullException.ThrowIfNull(rule);
            ArgumentNullException.ThrowIfNull(rows);
            int correct = 0;
            int support = 0;
            foreach (LabeledRow row in rows)
            {
                bool predicted = rule(row.Features);
                support += predicted ? 1 : 0;
                correct += predicted == row.Label ? 1 : 0;
            }

            return (rows.Count == 0 ? 1 : (double)correct / rows.Count, support);
        }
    }
}
