using System.Globalization;
using System.Text;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Notebook.Html;
using static Workbench.Mmu.Notebook.Html.Theme;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>
/// Renderings of the structure-variant analyses (<c>#!mmu-compare</c>, <c>#!mmu-naming --compare</c>,
/// <c>#!mmu-explain</c>): they lay out what the model computed, with object names through <see cref="DisplayNames"/>.
/// </summary>
public static class VariantRendering
{
    /// <summary>The types rendered here.</summary>
    public static IReadOnlyList<Type> FormattedTypes { get; } = [typeof(ComparisonReport), typeof(NamingReport), typeof(LearnedRule), typeof(Explanation), typeof(DivergentAccess)];

    /// <summary>Hands these renderings to <paramref name="registry"/>.</summary>
    public static void RegisterAll(IMmuFormatterRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<ComparisonReport>(r => MmuFormatters.Html(ComparisonHtml(r)), ComparisonText);
        registry.Add<NamingReport>(r => MmuFormatters.Html(NamingHtml(r)), NamingText);
        registry.Add<LearnedRule>(r => MmuFormatters.Html(new HtmlElement("div", RuleLine(r))), RuleText);
        registry.Add<Explanation>(e => MmuFormatters.Html(ExplanationHtml(e)), ExplanationText);
        registry.Add<DivergentAccess>(a => MmuFormatters.Html(DivergentAccessHtml(a)), DivergentAccessText);
    }

    /// <summary>
    /// The comparison: per variant the divergent cases, each divergent variant's first divergence side by side (result
    /// and who served the step under the baseline and under it), every case equal or different, and the chart.
    /// </summary>
    public static HtmlElement ComparisonHtml(ComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var card = Card(ComparisonTitle(report));
        var summary = new HtmlTable("variant", "divergent cases", "access.c sample mismatches") { Caption = $"against {report.Variants[0]}" };
        foreach ((string variant, int count) in OrderedCounts(report))
        {
            summary.AddRow(variant, count == 0 ? Badge("equal on every case", Tone.Ok) : Badge(Count(count, "divergent case"), Tone.Fault),
                report.SweepCases == 0 ? Faint("not run") : report.SweepMismatches.GetValueOrDefault(variant).ToString(CultureInfo.InvariantCulture));
        }

        card.Add(summary.ToElement());
        foreach ((string variant, CaseComparison first, Divergence divergence) in FirstDivergences(report))
        {
            var side = new HtmlTable(string.Empty, report.Variants[0], variant)
            {
                Caption = string.Create(CultureInfo.InvariantCulture, $"first divergence of {variant}: {first.Case.Name}, {StepName(divergence)}"),
            };
            side.AddStyledRow(FaultCell, "what the guest sees", "result", Code(divergence.Expected), Code(divergence.Actual));
            side.AddRow("faults by", ContextCell(divergence.ExpectedContexts, c => DisplayNames.Mmu(c.Mmu)), ContextCell(divergence.ActualContexts, c => DisplayNames.Mmu(c.Mmu)));
            side.AddRow("walked by", ContextCell(divergence.ExpectedContexts, c => DisplayNames.Walker(c.Walk)), ContextCell(divergence.ActualContexts, c => DisplayNames.Walker(c.Walk)));
            side.AddRow("root_role.guest_mode", ContextCell(divergence.ExpectedContexts, GuestMode), ContextCell(divergence.ActualContexts, GuestMode));
            card.Add(side.ToElement());
        }

        var cases = new HtmlTable(["case", .. report.Variants.Skip(1)]) { Caption = Count(report.Cases.Length, "case") };
        foreach (CaseComparison comparison in report.Cases)
        {
            object?[] cells = [comparison.Case.Name, .. report.Variants.Skip(1).Select(v => comparison.Divergences.Any(d => d.Variant == v) ? Badge("different", Tone.Fault) : Badge("equal", Tone.Ok))];
            if (comparison.Diverges)
            {
                cases.AddStyledRow(HighlightRow, "some variant differs from the baseline here", cells);
            }
            else
            {
                cases.AddRow(cells);
            }
        }

        card.Add(cases.ToElement());
        card.Add(MmuHtml.EmbedCharts ? new HtmlElement("div", new HtmlChart(VariantCharts.Divergence(report))) : null);
        return card;
    }

    /// <summary>The comparison as text: a line per variant, then each divergent variant's first divergence and the divergent cases.</summary>
    public static string ComparisonText(ComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder(ComparisonTitle(report)).Append('\n');
        foreach ((string variant, int count) in OrderedCounts(report))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {variant,-20} {(count == 0 ? "equal on every case" : Count(count, "divergent case"))}\n");
        }

        foreach ((string variant, CaseComparison first, Divergence divergence) in FirstDivergences(report))
        {
            text.Append(CultureInfo.InvariantCulture, $"first divergence of {variant}: {first.Case.Name}, {StepName(divergence)}\n");
            text.Append(CultureInfo.InvariantCulture, $"  {report.Variants[0],-20} {divergence.Expected}   [{ContextsText(divergence.ExpectedContexts)}]\n");
            text.Append(CultureInfo.InvariantCulture, $"  {variant,-20} {divergence.Actual}   [{ContextsText(divergence.ActualContexts)}]\n");
        }

        foreach (CaseComparison comparison in report.Cases.Where(c => c.Diverges))
        {
            text.Append("  different: ").Append(comparison.Case.Name).Append(" (").AppendJoin(", ", comparison.Divergences.Select(d => d.Variant)).Append(")\n");
        }

        return text.ToString();
    }

    /// <summary>A first divergent access side by side: the baseline's access report beside the variant's (walks, contexts, results).</summary>
    public static HtmlElement DivergentAccessHtml(DivergentAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        HtmlElement Column(string variant, Experiments.AccessReport report) =>
            new HtmlElement("div", new HtmlElement("div", new HtmlElement("strong", variant)), MmuHtml.AccessReport(report)).Attr("style", "flex:1 1 0;min-width:0");
        return Card(DivergentAccessTitle(access),
            new HtmlElement("div", Column(access.Baseline, access.Expected), Column(access.Variant, access.Actual)).Attr("style", "display:flex;gap:12px;align-items:flex-start"));
    }

    /// <summary>A first divergent access as text: the baseline's access report, then the variant's.</summary>
    public static string DivergentAccessText(DivergentAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        return $"{DivergentAccessTitle(access)}\n--- {access.Baseline}\n{MmuText.AccessReport(access.Expected)}--- {access.Variant}\n{MmuText.AccessReport(access.Actual)}";
    }

    /// <summary>The bake-off: schemes ranked, the charts, and every violation in one sentence (repeats across scenarios merged).</summary>
    public static HtmlElement NamingHtml(NamingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var card = Card(NamingTitle(report));
        var ranking = new HtmlTable("rank", "scheme", "violated claims", "claims checked") { Caption = "fewer violations is a better fit" };
        foreach ((string scheme, int violated, int checkedClaims) in report.Ranking)
        {
            // Schemes with as many violations share a rank.
            int rank = 1 + report.Ranking.Count(r => r.Violations < violated);
            ranking.AddRow(rank.ToString(CultureInfo.InvariantCulture), scheme,
                violated == 0 ? Badge("0", Tone.Ok) : Badge(violated.ToString(CultureInfo.InvariantCulture), Tone.Fault), checkedClaims.ToString(CultureInfo.InvariantCulture));
        }

        card.Add(ranking.ToElement());
        if (MmuHtml.EmbedCharts)
        {
            card.Add(new HtmlElement("div", new HtmlChart(VariantCharts.NamingRanking(report))), new HtmlElement("div", new HtmlChart(VariantCharts.NamingHeatmap(report))));
        }

        var violations = new HtmlTable("scheme", "name", "claim", "why it misleads", "scenarios") { Caption = "violations, each in one sentence" };
        violations.DescribeColumn("scenarios", "the scenarios of spec §7.1 where the claim fails");
        foreach (Violation violation in Violations(report))
        {
            violations.AddRow(violation.Scheme, Code(violation.Name), NamingFit.Describe(violation.Claim), violation.Why, string.Join("; ", violation.Scenarios));
        }

        card.Add(violations.RowCount == 0 ? new HtmlElement("div", Faint("every claim holds in every scenario")) : violations.ToElement());
        return card;
    }

    /// <summary>The bake-off as text: the ranking, then each violation.</summary>
    public static string NamingText(NamingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder(NamingTitle(report)).Append('\n');
        foreach ((string scheme, int violations, int checkedClaims) in report.Ranking)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {scheme,-28} {violations,3} of {checkedClaims,3} claims violated\n");
        }

        foreach (Violation violation in Violations(report))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {violation.Scheme}: {violation.Why} ({string.Join("; ", violation.Scenarios)})\n");
        }

        return text.ToString();
    }

    /// <summary>What <c>#!mmu-explain</c> learned, with how many cases diverge.</summary>
    public static HtmlElement ExplanationHtml(Explanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return Card(ExplanationTitle(explanation),
            new HtmlElement("div", Badge(string.Create(CultureInfo.InvariantCulture, $"diverges on {explanation.Divergent} of {explanation.Cases} cases"),
                explanation.Divergent == 0 ? Tone.Ok : Tone.Fault)),
            new HtmlElement("div", RuleLine(explanation.Rule)),
            new HtmlElement("div", Faint("features: " + FeatureNames)));
    }

    /// <summary>The explanation as text.</summary>
    public static string ExplanationText(Explanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return string.Create(CultureInfo.InvariantCulture, $"{ExplanationTitle(explanation)}: diverges on {explanation.Divergent} of {explanation.Cases} cases\n")
            + RuleText(explanation.Rule) + "\n";
    }

    /// <summary>A rule as text: <c>rule: l1_tdp &amp;&amp; wp_flip (accuracy 100.0 %, support 8 cases)</c>.</summary>
    public static string RuleText(LearnedRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return string.Create(CultureInfo.InvariantCulture, $"rule: {rule.Rule} (accuracy {rule.Accuracy * 100:0.0} %, support {Count(rule.Support, "case")})");
    }

    // The features the comparison suite gives every case (ComparisonSuite), for reading a rule.
    private const string FeatureNames = "l2, l1_tdp, l0_tdp, svm, paging_levels, wp_flip, cpuid_change";

    private static HtmlElement RuleLine(LearnedRule rule) =>
        new HtmlElement("span", "rule ", Code(rule.Rule),
            Faint(string.Create(CultureInfo.InvariantCulture, $" · accuracy {rule.Accuracy * 100:0.0} % · support {Count(rule.Support, "case")} (rows the rule matches)")));

    private static string DivergentAccessTitle(DivergentAccess access) =>
        string.Create(CultureInfo.InvariantCulture, $"first divergence of {access.Variant} side by side: {access.Case}, step {access.Step}");

    private static string ExplanationTitle(Explanation e) => $"when {e.Variant} diverges from {e.Baseline} ({e.Suite} suite)";

    private static string ComparisonTitle(ComparisonReport report) =>
        string.Create(CultureInfo.InvariantCulture, $"comparison: {Count(report.Cases.Length, "case")} × {report.Variants.Length} variants, baseline {report.Variants[0]}, {report.Elapsed.TotalSeconds:0.00} s")
        + (report.SweepCases > 0 ? string.Create(CultureInfo.InvariantCulture, $"; access.c sample of {report.SweepCases:N0} cases per variant") : string.Empty);

    private static string NamingTitle(NamingReport report) =>
        $"naming bake-off: {report.Ranking.Count} schemes, {Count(report.Checks.Length, "claim check")}, {Count(report.Checks.Count(c => !c.Holds), "violation")}"
        + (DisplayNames.Note() is { } note ? $" ({note})" : string.Empty);

    private static IEnumerable<(string Variant, int Count)> OrderedCounts(ComparisonReport report) =>
        report.Variants.Skip(1).Select(v => (v, report.DivergentCounts.GetValueOrDefault(v)));

    private static IEnumerable<(string Variant, CaseComparison Case, Divergence Divergence)> FirstDivergences(ComparisonReport report)
    {
        foreach (string variant in report.Variants.Skip(1))
        {
            if (report.Cases.FirstOrDefault(c => c.Divergences.Any(d => d.Variant == variant)) is { } first)
            {
                yield return (variant, first, first.Divergences.First(d => d.Variant == variant));
            }
        }
    }

    private static string StepName(Divergence divergence) =>
        divergence.Step < 0 ? "before any step (the experiment could not run)" : string.Create(CultureInfo.InvariantCulture, $"step {divergence.Step}");

    private static object ContextCell(ServingContexts? contexts, Func<ServingContexts, string> part) =>
        contexts is { } c ? Code(part(c)) : Faint("-");

    private static string GuestMode(ServingContexts contexts) => contexts.GuestMode ? "1" : "0";

    private static string ContextsText(ServingContexts? contexts) =>
        contexts is { } c ? $"faults by {DisplayNames.Mmu(c.Mmu)}, walked by {DisplayNames.Walker(c.Walk)}, guest_mode {GuestMode(c)}" : "-";

    private static string Count(int count, string what) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {what}{(count == 1 ? string.Empty : "s")}");

    private sealed record Violation(string Scheme, string Name, NamingClaim Claim, string Why, IReadOnlyList<string> Scenarios);

    // One row per distinct sentence: a claim that fails the same way in several scenarios is one violation seen there.
    private static IEnumerable<Violation> Violations(NamingReport report) =>
        report.Checks.Where(c => !c.Holds)
            .GroupBy(c => (c.Scheme, c.Name, c.Claim, c.Why))
            .Select(g => new Violation(g.Key.Scheme, g.Key.Name, g.Key.Claim, g.Key.Why, [.. g.Select(c => c.Scenario)]))
            .OrderBy(v => report.Ranking.Select(r => r.Scheme).ToList().IndexOf(v.Scheme))
            .ThenBy(v => v.Name, StringComparer.Ordinal);
}
