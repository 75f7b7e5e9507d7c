using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;

namespace Workbench.Mmu.Notebook.Commands;

/// <summary>
/// The structure-variant commands (issue "Structure variants and naming schemes"): <c>#!mmu-compare</c>,
/// <c>#!mmu-naming</c>, <c>#!mmu-explain</c>. Written once for both hosts like <see cref="MmuCommands"/> (which lists
/// them); each handler parses its arguments, calls the <see cref="Variants"/> C# API and displays the value it returns.
/// </summary>
public static class VariantCommands
{
    private static MmuCommandParameter VariantsParameter(string what) =>
        new("--variants", what, Required: true, Completions: () => ContextLayouts.Names);

    private static MmuCommandParameter SuiteParameter() =>
        new("--suite", $"Scenario suite: {string.Join("|", ComparisonSuite.Names)} (default standard; quick: 4-level L2 only)", Completions: () => ComparisonSuite.Names);

    /// <summary><c>#!mmu-compare --variants A,B[,…] [--suite standard|quick] [--no-chart]</c>.</summary>
    public static MmuCommandSpec Compare { get; } = new(
        "#!mmu-compare",
        "Runs the same scenario suite under several structure variants and shows, per case, whether what the guest sees is equal; each divergent variant's first divergence side by side.",
        [
            VariantsParameter("Comma-separated variants, the baseline first (e.g. 6.12,chainsaw-v2); Tab lists the registered ones"),
            SuiteParameter(),
            new("--no-sweep", "Skip the access.c sample (about 30,000 cases per variant)", Flag: true),
            new("--no-chart", "Tables only, without the divergence chart", Flag: true),
        ])
    {
        Handler = (args, output) =>
        {
            ComparisonReport report = Variants.Compare(args.List("variants", ContextLayouts.Names, []), Suite(args), includeSweep: !args.Flag("no-sweep"));
            bool charts = !args.Flag("no-chart");
            Display(output, report, charts);
            foreach (DivergentAccess access in Variants.FirstDivergentAccesses(report))
            {
                Display(output, access, charts);
            }
        },
    };

    /// <summary><c>#!mmu-naming --scheme X</c> / <c>#!mmu-naming --compare [--json]</c>.</summary>
    public static MmuCommandSpec Naming { get; } = new(
        "#!mmu-naming",
        "--scheme X: every later output names MMU objects, walkers and pointer targets with scheme X (none: their own names). --compare: checks every scheme's claims against the traces.",
        [
            new("--scheme", "A scheme of datasets/naming (none or upstream-6.12: the organizations' own names)", Completions: Variants.SchemeNames),
            new("--compare", "Rank every scheme by violated claims: bar chart, heatmap and each violation in one sentence", Flag: true),
            new("--json", "With --compare: one JSON line per checked claim, as ./workbench naming --compare --json", Flag: true),
            new("--no-chart", "With --compare: tables only", Flag: true),
        ])
    {
        Handler = (args, output) =>
        {
            bool compare = args.Flag("compare");
            string? scheme = args.Text("scheme");
            if (compare == (scheme is not null))
            {
                throw new MmuCommandException("--scheme/--compare", "give exactly one of them: --scheme NAME renames, --compare ranks every scheme");
            }

            if (scheme is not null)
            {
                NamingScheme? chosen = Variants.UseNaming(scheme);
                output.WriteLine(chosen is null
                    ? "names: each organization's own (no scheme)"
                    : $"{DisplayNames.Note()}\n  for organization {chosen.Variant}: "
                        + string.Join(", ", chosen.Names.Select(n => $"{n.Object}{(n.Part == DisplayNames.AnyPart ? string.Empty : $" ({n.Part})")} → {n.Name}")));
                return;
            }

            NamingReport report = Variants.CompareNaming();
            if (args.Flag("json"))
            {
                foreach (ClaimCheck check in report.Checks)
                {
                    output.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new
                    {
                        scheme = check.Scheme, @object = check.Object, name = check.Name, claim = check.Claim.ToString(), scenario = check.Scenario, holds = check.Holds, why = check.Why,
                    }));
                }

                return;
            }

            Display(output, report, charts: !args.Flag("no-chart"));
        },
    };

    /// <summary><c>#!mmu-explain --variants A,B [--suite standard|quick]</c>.</summary>
    public static MmuCommandSpec Explain { get; } = new(
        "#!mmu-explain",
        "Learns a short rule for when B diverges from A over the suite cases' configuration features (one ML.NET FastTree tree read as rules): rule, accuracy, support.",
        [
            VariantsParameter("Exactly two variants: the baseline A, then the variant B to explain (e.g. 6.12,broken-nested-wp)"),
            SuiteParameter(),
        ])
    {
        Handler = (args, output) =>
        {
            IReadOnlyList<string> pair = args.List("variants", ContextLayouts.Names, []);
            if (pair.Count != 2)
            {
                throw new MmuCommandException("--variants", $"give exactly two variants, the baseline then the one to explain (got {pair.Count})");
            }

            output.Display(Variants.Explain(pair[0], pair[1], Suite(args)));
        },
    };

    // --no-chart renders this one output without its embedded chart (the scope is this flow's only).
    private static void Display(IMmuCommandOutput output, object value, bool charts)
    {
        using IDisposable? tablesOnly = charts ? null : Formatting.MmuHtml.WithoutCharts();
        output.Display(value);
    }

    private static string Suite(MmuArguments args) => args.Choice("suite", ComparisonSuite.Names, "standard");
}
