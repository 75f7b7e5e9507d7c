using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Commands;

namespace Workbench.Mmu.Notebook;

/// <summary>What <c>#!mmu-explain</c> learned: when <paramref name="Variant"/> diverges from <paramref name="Baseline"/>.</summary>
/// <param name="Baseline">The variant compared against.</param>
/// <param name="Variant">The variant whose divergence is explained.</param>
/// <param name="Suite">The comparison suite the rows come from.</param>
/// <param name="Divergent">Cases where <paramref name="Variant"/> diverges (the rule's positive rows).</param>
/// <param name="Cases">Cases of the suite (the rows).</param>
/// <param name="Rule">The rule over the cases' configuration features, with its accuracy and support.</param>
public sealed record Explanation(string Baseline, string Variant, string Suite, int Divergent, int Cases, LearnedRule Rule);

/// <summary>A variant's first divergent access, replayed under the baseline and under the variant, for the side-by-side walks.</summary>
/// <param name="Case">The suite case.</param>
/// <param name="Step">The step's index in the case's experiment.</param>
/// <param name="Baseline">The baseline variant.</param>
/// <param name="Variant">The divergent variant.</param>
/// <param name="Expected">The access under the baseline: result, walk, who served it, SPTEs.</param>
/// <param name="Actual">The same access under <paramref name="Variant"/>.</param>
public sealed record DivergentAccess(string Case, int Step, string Baseline, string Variant, AccessReport Expected, AccessReport Actual);

/// <summary>
/// The C# API of the structure-variant commands (<c>#!mmu-compare</c>, <c>#!mmu-naming</c>, <c>#!mmu-explain</c>), for
/// cells: the same checks and the same values as the commands. Bad input throws <see cref="MmuCommandException"/>
/// naming the command's parameter.
/// </summary>
public static class Variants
{
    /// <summary>The scheme name that goes back to the organizations' own names.</summary>
    public const string NoScheme = "none";

    /// <summary>The upstream names: the 6.12 objects' own, so choosing it is choosing <see cref="NoScheme"/>.</summary>
    public const string UpstreamScheme = "upstream-6.12";

    /// <summary>
    /// Learns rules for <see cref="Explain"/>. The host-neutral layer does not depend on ML.NET: each host adapter sets
    /// this at load to <c>Workbench.Mmu.Explain.FastTreeRuleLearner</c> (a cell may set another).
    /// </summary>
    public static IRuleLearner? Learner { get; set; }

    /// <summary><c>#!mmu-compare</c>: runs <paramref name="suite"/> under every variant (the first is the baseline).</summary>
    /// <param name="variants">Two or more registered variants (<see cref="ContextLayouts.Names"/>).</param>
    /// <param name="suite">One of <see cref="ComparisonSuite.Names"/>.</param>
    /// <param name="includeSweep">Also run the access.c sample under each (about 30,000 cases per variant).</param>
    public static ComparisonReport Compare(IReadOnlyList<string> variants, string suite = "standard", bool includeSweep = true)
    {
        ArgumentNullException.ThrowIfNull(variants);
        return VariantComparison.Run(CheckVariants(variants), Suite(suite), includeSweep);
    }

    /// <summary><c>#!mmu-compare</c> on the standard suite: <c>Variants.Compare("6.12", "my-refactor")</c>.</summary>
    public static ComparisonReport Compare(params string[] variants) => Compare((IReadOnlyList<string>)variants);

    /// <summary>
    /// Each divergent variant's first divergence, when it is an access: the case replayed up to that step under the
    /// baseline and under the variant, then the access run with its full report (walk, contexts, SPTEs) under each.
    /// </summary>
    public static IReadOnlyList<DivergentAccess> FirstDivergentAccesses(ComparisonReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var accesses = new List<DivergentAccess>();
        foreach (string variant in report.Variants.Skip(1))
        {
            if (report.Cases.FirstOrDefault(c => c.Divergences.Any(d => d.Variant == variant)) is not { } first
                || first.Divergences.First(d => d.Variant == variant) is not { Step: >= 0 } divergence
                || first.Case.Experiment.Steps[divergence.Step] is not AccessStep step)
            {
                continue;
            }

            AccessReport Replay(string under) =>
                LiveExperiment.Replay(first.Case.Experiment with { Steps = [.. first.Case.Experiment.Steps.Take(divergence.Step)] }, under).Access(step);

            accesses.Add(new DivergentAccess(first.Case.Name, divergence.Step, report.Variants[0], variant, Replay(report.Variants[0]), Replay(variant)));
        }

        return accesses;
    }

    /// <summary><c>#!mmu-explain</c>: learns when <paramref name="variant"/> diverges from <paramref name="baseline"/> over the suite's features.</summary>
    public static Explanation Explain(string baseline, string variant, string suite = "standard")
    {
        IRuleLearner learner = Learner ?? throw new MmuCommandException(null,
            "no rule learner is loaded: the host adapter sets Variants.Learner (Workbench.Mmu.Explain's FastTreeRuleLearner, ML.NET) when it loads; "
            + "in this host, reference Workbench.Mmu.Explain.dll and set Variants.Learner = new Workbench.Mmu.Explain.FastTreeRuleLearner()");
        IReadOnlyList<string> pair = CheckVariants([baseline, variant]);
        ComparisonReport report = VariantComparison.Run(pair, Suite(suite), includeSweep: false);
        IReadOnlyList<LabeledRow> rows = ExplainData.Divergence(report, pair[1]);
        return new Explanation(pair[0], pair[1], suite, rows.Count(r => r.Label), rows.Count, learner.Learn(rows));
    }

    /// <summary>Every naming scheme of <c>datasets/naming</c> (the nearest one above the working directory or the program).</summary>
    public static IReadOnlyList<NamingScheme> Schemes()
    {
        string folder = NamingBakeOff.FindDefaultDirectory()
            ?? throw new MmuCommandException(null, $"no datasets/naming folder in {Environment.CurrentDirectory} or above it; run the notebook from the repository");
        try
        {
            return NamingBakeOff.Load(folder);
        }
        catch (FormatException bad)
        {
            throw new MmuCommandException(null, $"a naming scheme in {folder} is malformed: {bad.Message}");
        }
    }

    /// <summary>The schemes' names and <see cref="NoScheme"/>, for completions (empty when the folder is missing or malformed).</summary>
    public static IReadOnlyList<string> SchemeNames()
    {
        try
        {
            return [NoScheme, .. Schemes().Select(s => s.Scheme)];
        }
        catch (MmuCommandException)
        {
            return [NoScheme];
        }
    }

    /// <summary>
    /// <c>#!mmu-naming --scheme</c>: every later output names the objects with <paramref name="scheme"/>'s names
    /// (<see cref="DisplayNames"/>); <see cref="NoScheme"/> or <see cref="UpstreamScheme"/> goes back. Returns the
    /// scheme now in use (<see langword="null"/>: the organizations' own names).
    /// </summary>
    public static NamingScheme? UseNaming(string scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        string wanted = scheme.Trim();
        if (string.Equals(wanted, NoScheme, StringComparison.OrdinalIgnoreCase) || string.Equals(wanted, UpstreamScheme, StringComparison.OrdinalIgnoreCase))
        {
            DisplayNames.Use(null);
            return null;
        }

        IReadOnlyList<NamingScheme> schemes = Schemes();
        NamingScheme chosen = schemes.FirstOrDefault(s => string.Equals(s.Scheme, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new MmuCommandException("--scheme", $"'{scheme}' is not one of {NoScheme}, {string.Join(", ", schemes.Select(s => s.Scheme))}");
        DisplayNames.Use(chosen);
        return chosen;
    }

    /// <summary><c>#!mmu-naming --compare</c>: every scheme's claims checked against the traces of its organization.</summary>
    public static NamingReport CompareNaming() => NamingBakeOff.Run(Schemes());

    private static IReadOnlyList<string> CheckVariants(IReadOnlyList<string> variants)
    {
        IReadOnlyList<string> known = ContextLayouts.Names;
        var canonical = new List<string>();
        foreach (string variant in variants)
        {
            canonical.Add(known.FirstOrDefault(k => string.Equals(k, variant?.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new MmuCommandException("--variants", $"'{variant}' is not one of {string.Join(", ", known)}"));
        }

        if (canonical.Distinct(StringComparer.Ordinal).Count() < 2)
        {
            throw new MmuCommandException("--variants", "give at least two different variants, the baseline first (e.g. 6.12,chainsaw-v2)");
        }

        return canonical;
    }

    private static IReadOnlyList<ComparisonCase> Suite(string suite) =>
        ComparisonSuite.Names.Contains(suite)
            ? ComparisonSuite.Build(suite)
            : throw new MmuCommandException("--suite", $"'{suite}' is not one of {string.Join(", ", ComparisonSuite.Names)}");
}
