using System.Collections.Immutable;

namespace Workbench.Mmu.Analysis
{
    /// <summary>Every scheme checked: the claim checks, and per scheme the violations (fewer is a better fit).</summary>
    /// <param name="Checks">One row per (scheme, name, claim, scenario).</param>
    public sealed record NamingReport(ImmutableArray<ClaimCheck> Checks)
    {
        /// <summary>Schemes ranked by violations, fewest first (ties by name).</summary>
        public IReadOnlyList<(string Scheme, int Violations, int Checked)> Ranking => Checks
            .GroupBy(c => c.Scheme)
            .Select(g => (g.Key, g.Count(c => !c.Holds), g.Count()))
            .OrderBy(r => r.Item2).ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToList();

        /// <summary>Violations per (scheme, scenario), for the heatmap.</summary>
        public IReadOnlyDictionary<(string Scheme, string Scenario), int> Heatmap => Checks
            .GroupBy(c => (c.Scheme, c.Scenario))
            .ToDictionary(g => g.Key, g => g.Count(c => !c.Holds));
    }

    /// <summary>Loads the naming schemes and checks them all (<c>./workbench naming --compare</c>, <c>#!mmu-naming</c>).</summary>
    public static class NamingBakeOff
    {
        /// <summary>Reads every <c>*.json</c> scheme of <paramref name="directory"/>, sorted by file name.</summary>
        /// <exception cref="FormatException">A scheme is malformed; the message names the file and field.</exception>
        public static IReadOnlyList<NamingScheme> Load(string directory)
        {
            var schemes = new List<NamingScheme>();
            foreach (string file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                try
                {
                    schemes.Add(NamingScheme.Parse(File.ReadAllText(file)));
                }
                catch (Exception problem) when (problem is FormatException or Newtonsoft.Json.JsonException)
                {
                    throw new FormatException($"{Path.GetFileName(file)}: {problem.Message}", problem);
                }
            }

            return schemes;
        }

        /// <summary>Checks every scheme against the behaviour of its variant in every scenario.</summary>
        public static NamingReport Run(IEnumerable<NamingScheme> schemes)
        {
            var usageByVariant = new Dictionary<string, ImmutableDictionary<string, ImmutableArray<ObjectUse>>>();
            var checks = ImmutableArray.CreateBuilder<ClaimCheck>();
            foreach (NamingScheme scheme in schemes)
            {
                if (!usageByVariant.TryGetValue(scheme.Variant, out var usage))
                {
                    usageByVariant[scheme.Variant] = usage = ObjectUsage.Collect(scheme.Variant);
                }

                checks.AddRange(NamingFit.Check(scheme, usage));
            }

            return new NamingReport(checks.ToImmutable());
        }

        /// <summary>The repository's <c>datasets/naming</c>, found from the working directory or the program's location.</summary>
        public static string? FindDefaultDirectory()
        {
            foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (DirectoryInfo? dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    string candidate = Path.Combine(dir.FullName, "datasets", "naming");
                    if (Directory.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }
    }
}
