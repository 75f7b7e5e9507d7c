using System.CommandLine;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;

namespace Workbench.Cli;

/// <summary>Options shared by the structure-variant verbs (<c>compare</c>, <c>explain</c>).</summary>
internal static class VariantOptions
{
    /// <summary><c>--variants A,B,…</c>: registered variant names, at least <paramref name="minimum"/>.</summary>
    public static Option<string[]> Variants(int minimum, int? maximum = null)
    {
        var option = new Option<string[]>("--variants")
        {
            Description = $"Comma-separated structure variants, the first is the baseline ({string.Join(", ", ContextLayouts.Names)}).",
            CustomParser = result => result.Tokens.Count == 1
                ? result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [],
        };
        option.Validators.Add(result =>
        {
            string[] names = result.Tokens.Count == 1
                ? result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];
            if (names.FirstOrDefault(n => !ContextLayouts.Exists(n)) is { } unknown)
            {
                result.AddError($"unknown variant '{unknown}' (registered: {string.Join(", ", ContextLayouts.Names)}).");
            }
            else if (names.Length < minimum || names.Length > (maximum ?? int.MaxValue))
            {
                result.AddError(maximum == minimum
                    ? $"--variants needs exactly {minimum} names, e.g. --variants 6.12,broken-nested-wp."
                    : $"--variants needs at least {minimum} names, e.g. --variants 6.12,chainsaw-v2.");
            }
        });
        return option;
    }

    /// <summary><c>--suite standard|quick</c>.</summary>
    public static Option<string> Suite()
    {
        var option = new Option<string>("--suite") { Description = "The scenario suite.", DefaultValueFactory = _ => "standard" };
        option.AcceptOnlyFromAmong([.. ComparisonSuite.Names]);
        return option;
    }
}
