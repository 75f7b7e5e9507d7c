using System.Globalization;
using System.CommandLine;
using Newtonsoft.Json;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench compare --variants A,B,… [--suite standard|quick] [--json] [--no-sweep]</c>: runs a scenario suite under
/// several structure variants and reports where what the guest sees differs (docs/variants.md);
/// <c>--list</c> prints the registered variants.
/// </summary>
public sealed class CompareVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "compare";

    /// <inheritdoc/>
    public string Summary => "run a scenario suite under several MMU structure variants and report divergences (--list: the variants)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var list = new Option<bool>("--list") { Description = "Print the registered variants, one per line." };
        var metrics = new Option<bool>("--metrics") { Description = "Structural metrics per variant: objects, fields used per scenario, pointer moves, who serves what." };
        var variants = VariantOptions.Variants(minimum: 1);
        var suite = VariantOptions.Suite();
        var json = new Option<bool>("--json") { Description = "One line per divergent case, then {\"summary\": ...} (metrics: one line per variant)." };
        var noSweep = new Option<bool>("--no-sweep") { Description = "Skip the access.c sample." };
        var command = new Command(Name,
            "Runs the suite under every variant (the first is the baseline) and reports each case where what the guest sees "
            + "differs, with the first divergence side by side (docs/variants.md).")
        {
            list, metrics, variants, suite, json, noSweep,
        };
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(list))
            {
                foreach (string name in ContextLayouts.Names)
                {
                    Console.WriteLine(name);
                }

                return 0;
            }

            string[] names = parsed.GetValue(variants) ?? [];
            if (parsed.GetValue(metrics) && names.Length > 0)
            {
                WriteMetrics(names.Select(StructureMetrics.Measure).ToList(), parsed.GetValue(json));
                return 0;
            }

            if (names.Length < 2)
            {
                Console.Error.WriteLine("compare: --variants needs at least two names, e.g. --variants 6.12,chainsaw-v2 (or --list, --metrics).");
                return 2;
            }

            ComparisonReport report = VariantComparison.Run(names, ComparisonSuite.Build(parsed.GetValue(suite)!), !parsed.GetValue(noSweep));
            if (parsed.GetValue(json))
            {
                WriteJson(report);
            }
            else
            {
                WriteText(report);
            }

            return 0;
        });
        return CliCommand.Invoke(command, args);
    }

    private static void WriteJson(ComparisonReport report)
    {
        foreach (CaseComparison comparison in report.Cases.Where(c => c.Diverges))
        {
            foreach (Divergence divergence in comparison.Divergences)
            {
                Console.WriteLine(JsonConvert.SerializeObject(new
                {
                    @case = comparison.Case.Name,
                    variant = divergence.Variant,
                    baseline = report.Variants[0],
                    step = divergence.Step,
                    expected = divergence.Expected,
                    actual = divergence.Actual,
                    expected_contexts = Contexts(divergence.ExpectedContexts),
                    actual_contexts = Contexts(divergence.ActualContexts),
                    features = comparison.Case.Features,
                }));
            }
        }

        Console.WriteLine(JsonConvert.SerializeObject(new
        {
            summary = new
            {
                cases = report.Cases.Length,
                sweep_cases = report.SweepCases,
                variants = report.Variants,
                divergent = report.DivergentCounts,
                seconds = Math.Round(report.Elapsed.TotalSeconds, 3),
            },
        }));
    }

    private static void WriteMetrics(IReadOnlyList<VariantStructure> structures, bool json)
    {
        foreach (VariantStructure structure in structures)
        {
            if (json)
            {
                Console.WriteLine(JsonConvert.SerializeObject(new
                {
                    variant = structure.Variant,
                    total_fields = structure.TotalFields,
                    pointer_reassignments_per_transition = structure.PointerReassignmentsPerTransition,
                    objects = structure.Objects.Select(o => new { name = o.Object, fields = o.Fields.Length, used = o.UsedByScenario.ToDictionary(p => p.Key, p => p.Value.Length) }),
                    served_by = structure.OperationServedBy,
                }));
                continue;
            }

            Console.WriteLine($"{structure.Variant}: {structure.Objects.Length} objects, {structure.TotalFields} fields per vCPU, "
                + FormattableString.Invariant($"{structure.PointerReassignmentsPerTransition:0.#} pointer reassignments per nested entry/exit"));
            foreach (ObjectFields obj in structure.Objects)
            {
                int best = obj.UsedByScenario.Values.Max(v => v.Length);
                Console.WriteLine(FormattableString.Invariant(
                    $"  {obj.Object,-12} {obj.Fields.Length,2} fields; most used in one scenario: {best,2} ({(obj.Fields.Length == 0 ? 0 : 100.0 * best / obj.Fields.Length):0}%); unused in {obj.UsedByScenario.Count(p => p.Value.IsEmpty)} of {obj.UsedByScenario.Count} scenarios"));
            }

            foreach (var (operation, served) in structure.OperationServedBy)
            {
                Console.WriteLine($"    {operation,-26} -> {served}");
            }
        }
    }

    private static object? Contexts(ServingContexts? contexts) =>
        contexts is { } c ? new { mmu = c.Mmu, walk = c.Walk, guest_mode = c.GuestMode } : null;

    private static void WriteText(ComparisonReport report)
    {
        var invariant = CultureInfo.InvariantCulture;
        Console.WriteLine(FormattableString.Invariant(
            $"compare: {report.Cases.Length} cases x {report.Variants.Length} variants, baseline {report.Variants[0]}, {report.Elapsed.TotalSeconds:0.00} s")
            + (report.SweepCases > 0 ? FormattableString.Invariant($"; access.c sample of {report.SweepCases:N0} cases per variant") : ""));
        foreach (var (variant, count) in report.DivergentCounts.OrderBy(p => Array.IndexOf(report.Variants.ToArray(), p.Key)))
        {
            Console.WriteLine(string.Create(invariant, $"  {variant,-20} {(count == 0 ? "equal on every case" : $"{count} divergent case(s)")}"));
        }

        foreach (string variant in report.Variants.Skip(1))
        {
            if (report.Cases.FirstOrDefault(c => c.Divergences.Any(d => d.Variant == variant)) is not { } first)
            {
                continue;
            }

            Divergence d = first.Divergences.First(x => x.Variant == variant);
            Console.WriteLine();
            Console.WriteLine($"first divergence of {variant}: {first.Case.Name}, step {d.Step}");
            Console.WriteLine(FormattableString.Invariant($"  {report.Variants[0],-20} {d.Expected}   [{Describe(d.ExpectedContexts)}]"));
            Console.WriteLine(FormattableString.Invariant($"  {variant,-20} {d.Actual}   [{Describe(d.ActualContexts)}]"));
        }
    }

    private static string Describe(ServingContexts? contexts) =>
        contexts is { } c ? $"mmu={c.Mmu} walk={c.Walk} guest_mode={(c.GuestMode ? 1 : 0)}" : "-";
}
