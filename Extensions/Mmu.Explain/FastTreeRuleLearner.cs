using System.Collections.Immutable;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Workbench.Mmu.Analysis;

namespace Workbench.Mmu.Explain
{
    /// <summary>
    /// <see cref="IRuleLearner"/> with ML.NET: a single FastTree tree (few leaves, learning rate 1) trained on the rows,
    /// then read back as rules — every path to a positive leaf is a conjunction of its splits, the rule their
    /// disjunction. ML.NET does the learning (hand-writing a tree learner is what the library is for); reading the tree
    /// as text is ours.
    /// </summary>
    public sealed class FastTreeRuleLearner : IRuleLearner
    {
        private readonly int _leaves;

        /// <summary>Creates a learner of trees with at most <paramref name="leaves"/> leaves.</summary>
        public FastTreeRuleLearner(int leaves = 8)
        {
            _leaves = leaves;
        }

        /// <inheritdoc/>
        public LearnedRule Learn(IReadOnlyList<LabeledRow> rows)
        {
            ArgumentNullException.ThrowIfNull(rows);
            if (rows.Count == 0 || rows.All(r => !r.Label))
            {
                return new LearnedRule("false", 1, 0);
            }

            if (rows.All(r => r.Label))
            {
                return new LearnedRule("true", 1, rows.Count);
            }

            string[] names = rows.SelectMany(r => r.Features.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
            var context = new MLContext(seed: 1);
            var data = context.Data.LoadFromEnumerable(rows.Select(r => new Row
            {
                Label = r.Label,
                Features = names.Select(n => (float)r.Features.GetValueOrDefault(n)).ToArray(),
            }), SchemaFor(context, names.Length));
            var trainer = context.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                NumberOfTrees = 1,
                NumberOfLeaves = Math.Max(2, _leaves),
                MinimumExampleCountPerLeaf = 1,
                LearningRate = 1,
                LabelColumnName = nameof(Row.Label),
                FeatureColumnName = nameof(Row.Features),
            });
            var model = trainer.Fit(data);
            var tree = model.Model.SubModel.TrainedTreeEnsemble.Trees[0];

            var conjunctions = new List<List<(int Feature, double Threshold, bool Greater)>>();
            Walk(tree, 0, new List<(int, double, bool)>(), conjunctions);
            if (conjunctions.Count == 0)
            {
                return new LearnedRule("false", rows.Count(r => !r.Label) / (double)rows.Count, 0);
            }

            bool Predict(ImmutableSortedDictionary<string, double> features) => conjunctions.Any(c => c.All(t =>
            {
                double value = features.GetValueOrDefault(names[t.Feature]);
                return t.Greater ? value > t.Threshold : value <= t.Threshold;
            }));

            string text = string.Join(" || ", conjunctions.Select(c => string.Join(" && ", Simplify(c).Select(t => Describe(names, t)))));
            var (accuracy, support) = ExplainData.Score(Predict, rows);
            return new LearnedRule(text, accuracy, support);
        }

        private static void Walk(RegressionTreeBase tree, int node, List<(int, double, bool)> path, List<List<(int, double, bool)>> positive)
        {
            // FastTree nodes: LeftChild / RightChild < 0 means leaf ~index; left = value <= threshold.
            int feature = tree.NumericalSplitFeatureIndexes[node];
            double threshold = tree.NumericalSplitThresholds[node];
            foreach (var (child, greater) in new[] { (tree.LeftChild[node], false), (tree.RightChild[node], true) })
            {
                path.Add((feature, threshold, greater));
                if (child < 0)
                {
                    if (tree.LeafValues[~child] > 0)
                    {
                        positive.Add(new List<(int, double, bool)>(path));
                    }
                }
                else
                {
                    Walk(tree, child, path, positive);
                }

                path.RemoveAt(path.Count - 1);
            }
        }

        /// <summary>Keeps the tightest test per feature and direction.</summary>
        private static IEnumerable<(int Feature, double Threshold, bool Greater)> Simplify(List<(int Feature, double Threshold, bool Greater)> tests) =>
            tests.GroupBy(t => (t.Feature, t.Greater))
                .Select(g => g.Key.Greater ? g.MaxBy(t => t.Threshold) : g.MinBy(t => t.Threshold))
                .OrderBy(t => t.Feature);

        private static string Describe(string[] names, (int Feature, double Threshold, bool Greater) test)
        {
            string name = names[test.Feature];

            // 0/1 features read as flags: "x > 0.5" is x, "x <= 0.5" is !x.
            if (test.Threshold is > 0 and < 1)
            {
                return test.Greater ? name : "!" + name;
            }

            return string.Create(CultureInfo.InvariantCulture, $"{name} {(test.Greater ? ">" : "<=")} {test.Threshold:0.##}");
        }

        private static SchemaDefinition SchemaFor(MLContext context, int featureCount)
        {
            var schema = SchemaDefinition.Create(typeof(Row));
            schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
            return schema;
        }

        private sealed class Row
        {
            public bool Label { get; set; }

            public float[] Features { get; set; } = [];
        }
    }
}
