using System.CommandLine;
using Newtonsoft.Json;
using Workbench.Mmu.Analysis;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench naming --compare [--json] [--dir DIR]</c>: checks every naming scheme of <c>datasets/naming</c>
/// against what the named objects do in the six scenarios (docs/naming.md).
/// </summary>
public sealed class NamingVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "naming";

    /// <inheritdoc/>
    public string Summary => "naming bake-off: check what each naming scheme's names promise against the objects' behaviour";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        // The bake-off is what this verb does: --compare is accepted (as the issue and the docs write it), not needed.
        var compare = new Option<bool>("--compare") { Description = "Check every scheme (the default)." };
        var json = new Option<bool>("--json") { Description = "One line per checked claim: scheme, object, name, claim, scenario, holds, why." };
        var dir = new Option<string?>("--dir") { Description = "Folder of scheme files (default: the repository's datasets/naming)." };
        var command = new Command(Name,
            "Checks each scheme's claims (what its names promise) against observed behaviour in the six nested scenarios; "
            + "prints the ranking and every violation with its reason (docs/naming.md).")
        {
            compare, json, dir,
        };
        command.SetAction(parsed => Bake(parsed.GetValue(dir), parsed.GetValue(json)));
        return CliCommand.Invoke(command, args);
    }

    private static int Bake(string? directory, bool json)
    {
        directory ??= NamingBakeOff.FindDefaultDirectory();
        if (directory is null || !Directory.Exists(directory))
        {
            Console.Error.WriteLine("workbench naming: no datasets/naming directory found (give one with --dir)");
            return 2;
        }

        NamingReport report;
        try
        {
            report = NamingBakeOff.Run(NamingBakeOff.Load(directory));
        }
        catch (FormatException problem)
        {
            Console.Error.WriteLine($"workbench naming: {problem.Message}");
            return 1;
        }

        if (json)
        {
            foreach (ClaimCheck check in report.Checks)
            {
                Console.WriteLine(JsonConvert.SerializeObject(new
                {
                    scheme = check.Scheme,
                    @object = check.Object,
                    name = check.Name,
                    claim = check.Claim.ToString(),
                    scenario = check.Scenario,
                    holds = check.Holds,
                    why = check.Why,
                }));
            }

            return 0;
        }

        Console.WriteLine("naming fit: violations of what each name promises, over six scenarios (fewer is better)");
        foreach (var (scheme, violations, checkedClaims) in report.Ranking)
        {
            Console.WriteLine($"  {scheme,-28} {violations,3} of {checkedClaims,3} claim checks violated");
        }

        foreach (var group in report.Checks.Where(c => !c.Holds).GroupBy(c => (c.Scheme, c.Name, c.Claim)))
        {
            Console.WriteLine($"\n{group.Key.Scheme}: {group.Key.Name} ({NamingFit.Describe(group.Key.Claim)})");
            foreach (ClaimCheck check in group)
            {
                Console.WriteLine($"  {check.Scenario}: {check.Why}");
            }
        }

        return 0;
    }
}
