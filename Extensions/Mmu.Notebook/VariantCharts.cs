using Workbench.Charts;
using Workbench.Mmu.Analysis;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// Charts of structure variants and naming schemes. They only render values the model computed
/// (<see cref="ComparisonReport"/>, <see cref="NamingReport"/>, <see cref="VariantStructure"/>).
/// </summary>
public static class VariantCharts
{
    private static readonly object s_redScale = new object[] { new object[] { 0, "rgba(25,135,84,0.25)" }, new object[] { 1, "rgba(220,53,69,0.9)" } };

    /// <summary>Case × variant: which variants diverge from the baseline where (red = differs).</summary>
    public static Figure Divergence(ComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var variants = report.Variants.Skip(1).ToList();
        var cases = report.Cases.Select(c => c.Case.Name).ToList();
        var z = report.Cases.Select(c => variants.Select(v => c.Divergences.Any(d => d.Variant == v) ? 1 : 0).ToArray()).ToList();
        return new Figure(new Heatmap
        {
            Name = "diverges",
            Z = z,
            X = variants,
            Y = cases,
            ZMin = 0,
            ZMax = 1,
            ShowScale = false,
            XGap = 2,
            YGap = 1,
            ColorScale = s_redScale,
            HoverTemplate = "%{y}<br>%{x}: %{z}<extra></extra>",
        })
        {
            Layout =
            {
                Title = $"Where each variant differs from {report.Variants[0]} (red)",
                Height = 200 + (12 * cases.Count),
                XAxis = { Title = "variant", Type = "category" },
                YAxis = { Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50, Left = 280 },
            },
        };
    }

    /// <summary>Scheme × scenario: how many of the scheme's claims the scenario violates.</summary>
    public static Figure NamingHeatmap(NamingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var schemes = report.Ranking.Select(r => r.Scheme).ToList();
        var scenarios = report.Checks.Select(c => c.Scenario).Distinct().Order(StringComparer.Ordinal).ToList();
        var heat = report.Heatmap;
        var z = schemes.Select(s => scenarios.Select(c => heat.GetValueOrDefault((s, c))).ToArray()).ToList();
        return new Figure(new Heatmap
        {
            Name = "violations",
            Z = z,
            X = scenarios,
            Y = schemes,
            ColorScale = s_redScale,
            XGap = 2,
            YGap = 2,
            HoverTemplate = "%{y} in %{x}: %{z} violated claims<extra></extra>",
        })
        {
            Layout =
            {
                Title = "Where names mislead: violated claims per scheme and scenario",
                Height = 200 + (28 * schemes.Count),
                XAxis = { Type = "category", AutoMargin = true },
                YAxis = { Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50, Left = 220 },
            },
        };
    }

    /// <summary>Schemes ranked by violated claims (fewest first).</summary>
    public static Figure NamingRanking(NamingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ranking = report.Ranking;
        return new Figure(new Bar
        {
            Name = "violated claims",
            X = ranking.Select(r => r.Violations).ToList(),
            Y = ranking.Select(r => r.Scheme).ToList(),
            Orientation = "h",
            Text = ranking.Select(r => $"{r.Violations} of {r.Checked}").ToList(),
        })
        {
            Layout =
            {
                Title = "Naming schemes ranked by violated claims (fewer is better)",
                Height = 160 + (30 * ranking.Count),
                XAxis = { Title = "violated claim checks" },
                YAxis = { Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50, Left = 220 },
            },
        };
    }

    /// <summary>Object × scenario: fraction of the object's declared fields the scenario used (the god-structure view).</summary>
    public static Figure FieldUse(VariantStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var scenarios = structure.Objects.SelectMany(o => o.UsedByScenario.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var z = structure.Objects.Select(o => scenarios.Select(s => o.Fields.Length == 0 ? 0 : (double)o.UsedByScenario[s].Length / o.Fields.Length).ToArray()).ToList();
        return new Figure(new Heatmap
        {
            Name = "fields used",
            Z = z,
            X = scenarios,
            Y = structure.Objects.Select(o => $"{DisplayNames.Of(o.Object, DisplayNames.AnyPart)} ({o.Fields.Length} fields)").ToList(),
            ZMin = 0,
            ZMax = 1,
            XGap = 2,
            YGap = 2,
            HoverTemplate = "%{y} in %{x}: %{z:.0%} of its fields used<extra></extra>",
        })
        {
            Layout =
            {
                Title = $"{structure.Variant}: share of each object's fields used per scenario",
                Height = 220 + (40 * structure.Objects.Length),
                XAxis = { Type = "category", AutoMargin = true },
                YAxis = { Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50, Left = 200 },
            },
        };
    }

    /// <summary>Operation → object for L1 and L2 under nested EPT, as a sankey.</summary>
    public static Figure Operations(VariantStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var operations = structure.OperationServedBy.Keys.ToList();
        var objects = structure.OperationServedBy.Values.Distinct().ToList();
        var labels = operations.Concat(objects.Select(o => DisplayNames.Of(o, DisplayNames.AnyPart))).ToList();
        return new Figure(new Sankey
        {
            Node = { Label = labels, Pad = 12, Thickness = 14 },
            Link =
            {
                Source = operations.Select((_, i) => i).ToList(),
                Target = operations.Select(o => operations.Count + objects.IndexOf(structure.OperationServedBy[o])).ToList(),
                Value = operations.Select(_ => 1).ToList(),
            },
        })
        {
            Layout = { Title = $"{structure.Variant}: which object serves each operation", Height = 460 },
        };
    }
}
