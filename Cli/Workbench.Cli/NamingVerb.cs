using Newtonsoft.Json;
using Workbench.Mmu.Analysis;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench naming --compare [--json] [--dir DIR]</c>: checks every naming scheme of <c>datasets/naming</c>
/// against what the named objects do in the six scenarios (docs/naming.md).
/// </summary>
public sealed class NamingVerb : ICliVerb
{
    private const string Usage =
        "usage: ./workbench naming --compare [--json] [--dir DIR]\n"
        + "  Checks each scheme's claims (what its names promise) against observed behaviour in the six nested\n"
        + "  scenarios; prints the ranking and every violation with its reason. --json: one line per checked claim.";

    /// <inheritdoc/>
    public string Name => "naming";

    /// <inheritdoc/>
    public string Summary => "naming bake-off: check what each naming scheme's names promise against the objects' behaviour";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        bool compare = false;
        bool json = false;
        string? directory = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                case "--compare":
                    compare = true;
                    break;
                case "--json":
                    json = true;
                    break;
                case "--dir" when i + 1 < args.Length:
                    directory = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"workbench naming: unexpected argument '{args[i]}'");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        if (!compare)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

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
