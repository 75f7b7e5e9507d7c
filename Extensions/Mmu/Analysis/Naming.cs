using System.Collections.Immutable;
using Newtonsoft.Json.Linq;

namespace Workbench.Mmu.Analysis
{
    /// <summary>
    /// What a name promises about its object, checked against what the object does in each scenario
    /// (<see cref="ObjectUsage"/>). The vocabulary: each claim is one reading a KVM developer makes of a word in a name.
    /// </summary>
    public enum NamingClaim
    {
        /// <summary><c>guest_</c>: the object is in use exactly while the root role has guest_mode = 1.</summary>
        GuestMode,

        /// <summary><c>root</c>, <c>base</c>, <c>01</c>: only ever used while L1 runs.</summary>
        L1Only,

        /// <summary><c>l2</c>, <c>12</c>, <c>nested</c>: in use exactly while L2 runs.</summary>
        L2Exactly,

        /// <summary><c>tdp</c>, <c>ngpa</c>: walks or shadows EPT/NPT tables (rooted at EPTP or nCR3), nothing else.</summary>
        TdpTables,

        /// <summary><c>tdp_</c> read as "the TDP MMU's": used only together with the TDP MMU (a direct kvm_tdp_page_fault MMU).</summary>
        TdpMmu,

        /// <summary><c>cr3</c>, <c>gva</c>, <c>cpu</c>: walks tables rooted at the running guest's CR3.</summary>
        Cr3Tables,

        /// <summary><c>cr3</c> as a distinction: no other object in the same access walks tables rooted at a CR3 (nCR3 is one).</summary>
        Cr3Unambiguous,

        /// <summary><c>legacy</c> as a distinction: the only object walking legacy (x86-format) tables in the same access.</summary>
        LegacyUnique,

        /// <summary><c>mmu</c>: builds page tables (serves as vcpu-&gt;arch.mmu) whenever it is used.</summary>
        BuildsTables,

        /// <summary><c>walk</c>: only walks; never serves as vcpu-&gt;arch.mmu.</summary>
        OnlyWalks,
    }

    /// <summary>One name of a scheme: which object (and which part of it) it names, and what it claims.</summary>
    /// <param name="Object">The variant's object name.</param>
    /// <param name="Part"><c>any</c>, <c>mmu</c> or <c>walk</c> (6.12's kvm_mmu is both; a scheme may name the parts apart),
    /// or <c>pointer</c> when <paramref name="Object"/> is a pointer of the organization (<c>walk_mmu</c>) rather than an object.</param>
    /// <param name="Name">The proposed name.</param>
    /// <param name="Claims">What the name claims.</param>
    public sealed record SchemeName(string Object, string Part, string Name, ImmutableArray<NamingClaim> Claims);

    /// <summary>A naming scheme as data (<c>datasets/naming/*.json</c>), with where it comes from.</summary>
    /// <param name="Scheme">Short id.</param>
    /// <param name="Source">Seed file or mail it comes from.</param>
    /// <param name="Variant">The structure variant whose objects it names.</param>
    /// <param name="Names">Its names.</param>
    public sealed record NamingScheme(string Scheme, string Source, string Variant, ImmutableArray<SchemeName> Names)
    {
        /// <summary>Reads a scheme file; errors name the field.</summary>
        /// <exception cref="FormatException">A field is missing or has a bad value.</exception>
        public static NamingScheme Parse(string json)
        {
            JObject root = JObject.Parse(json);
            string Field(JToken token, string name, string path) =>
                token[name]?.Type == JTokenType.String ? (string)token[name]! : throw new FormatException($"{path}{name}: missing or not a string");

            var names = ImmutableArray.CreateBuilder<SchemeName>();
            var array = root["names"] as JArray ?? throw new FormatException("names: missing or not an array");
            for (int i = 0; i < array.Count; i++)
            {
                string path = $"names[{i}].";
                var claims = ImmutableArray.CreateBuilder<NamingClaim>();
                foreach (JToken claim in array[i]["claims"] as JArray ?? throw new FormatException(path + "claims: missing"))
                {
                    string text = (string?)claim ?? string.Empty;
                    claims.Add(Enum.TryParse(text.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out NamingClaim parsed)
                        ? parsed
                        : throw new FormatException($"{path}claims: unknown claim \"{text}\" (expected {string.Join(", ", Enum.GetNames<NamingClaim>())})"));
                }

                string part = array[i]["part"]?.ToString() ?? "any";
                if (part is not ("any" or "mmu" or "walk" or "pointer"))
                {
                    throw new FormatException($"{path}part: \"{part}\" is not any, mmu, walk or pointer");
                }

                names.Add(new SchemeName(Field(array[i], "object", path), part, Field(array[i], "name", path), claims.ToImmutable()));
            }

            return new NamingScheme(Field(root, "scheme", ""), Field(root, "source", ""), Field(root, "variant", ""), names.ToImmutable());
        }
    }

    /// <summary>One checked claim: does the name's promise hold in the scenario, and why not.</summary>
    public sealed record ClaimCheck(string Scheme, string Object, string Name, NamingClaim Claim, string Scenario, bool Holds, string Why);

    /// <summary>Naming fit: every claim of every name of a scheme, checked in every scenario against observed behaviour.</summary>
    public static class NamingFit
    {
        /// <summary>Checks <paramref name="scheme"/> against <paramref name="usage"/> (from <see cref="ObjectUsage.Collect"/> for the scheme's variant).</summary>
        public static IEnumerable<ClaimCheck> Check(NamingScheme scheme, IReadOnlyDictionary<string, ImmutableArray<ObjectUse>> usage)
        {
            ArgumentNullException.ThrowIfNull(scheme);
            ArgumentNullException.ThrowIfNull(usage);
            foreach (SchemeName entry in scheme.Names)
            {
                foreach (var (scenario, uses) in usage.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    foreach (NamingClaim claim in entry.Claims)
                    {
                        string? why = Violation(scheme, entry, claim, uses);
                        yield return new ClaimCheck(scheme.Scheme, entry.Object, entry.Name, claim, scenario, why is null,
                            why ?? $"{entry.Name} keeps its promise ({Describe(claim)}) in {scenario}");
                    }
                }
            }
        }

        /// <summary>The claim in words.</summary>
        public static string Describe(NamingClaim claim) => claim switch
        {
            NamingClaim.GuestMode => "in use exactly when guest_mode=1",
            NamingClaim.L1Only => "used only for L1",
            NamingClaim.L2Exactly => "used exactly while L2 runs",
            NamingClaim.TdpTables => "walks EPT/NPT tables",
            NamingClaim.TdpMmu => "belongs with the TDP MMU",
            NamingClaim.Cr3Tables => "walks CR3-rooted tables",
            NamingClaim.Cr3Unambiguous => "the only walker rooted at a CR3",
            NamingClaim.LegacyUnique => "the only walker of legacy-format tables",
            NamingClaim.BuildsTables => "builds page tables",
            _ => "only walks",
        };

        /// <summary>What the scheme calls <paramref name="obj"/> (in that part), else the variant's own name.</summary>
        private static string Called(NamingScheme scheme, string obj, string part) =>
            scheme.Names.FirstOrDefault(n => n.Object == obj && (n.Part == part || (n.Part == "walk" && part == "inner")))?.Name
            ?? scheme.Names.FirstOrDefault(n => n.Object == obj && n.Part == "any")?.Name
            ?? obj;

        private static string Serving(NamingScheme scheme, IEnumerable<ObjectUse> access)
        {
            var list = access.ToList();
            string mmu = Called(scheme, list.First(u => u.Part == "mmu").Object, "mmu");
            string walk = Called(scheme, list.First(u => u.Part == "walk").Object, "walk");
            return mmu == walk ? $"{mmu} serves it" : $"{mmu} (faults) and {walk} (walk) serve it";
        }

        private static string? Violation(NamingScheme scheme, SchemeName entry, NamingClaim claim, ImmutableArray<ObjectUse> uses)
        {
            bool Mine(ObjectUse u) => u.Object == entry.Object && (entry.Part == "any" || u.Part == entry.Part || (entry.Part == "walk" && u.Part == "inner"));
            var mine = uses.Where(Mine).ToList();
            var accesses = uses.GroupBy(u => u.Access).ToList();
            string name = entry.Name;
            switch (claim)
            {
                case NamingClaim.GuestMode:
                    if (mine.FirstOrDefault(u => !u.GuestMode) is { } l1Use)
                    {
                        return $"{name} serves an access with guest_mode=0 (level {l1Use.Level})";
                    }

                    if (accesses.FirstOrDefault(a => a.Any(u => u.GuestMode) && !a.Any(Mine)) is { } unused)
                    {
                        return $"{name} is unused while L2 runs with guest_mode=1: {Serving(scheme, unused)}";
                    }

                    return null;
                case NamingClaim.L1Only:
                    return mine.FirstOrDefault(u => u.Level == 2) is { } l2Use
                        ? $"{name} is used for L2 (as {l2Use.Part}, guest_mode={(l2Use.GuestMode ? 1 : 0)})"
                        : null;
                case NamingClaim.L2Exactly:
                    if (mine.FirstOrDefault(u => u.Level == 1) is { } l1)
                    {
                        return $"{name} is used while L1 runs (as {l1.Part})";
                    }

                    return accesses.FirstOrDefault(a => a.Any(u => u.Level == 2) && !a.Any(Mine)) is { } l2Access
                        ? $"{name} is unused while L2 runs: {Serving(scheme, l2Access)}"
                        : null;
                case NamingClaim.TdpTables:
                    return mine.FirstOrDefault(u => u.Root is not ("eptp" or "ncr3")) is { } notTdp
                        ? $"{name} walks {notTdp.Tables} tables rooted at {notTdp.Root} (as {notTdp.Part})"
                        : null;
                case NamingClaim.TdpMmu:
                    return mine.FirstOrDefault(u => !u.TdpMmu) is { } shadow
                        ? $"{name} works for {Called(scheme, uses.First(u => u.Access == shadow.Access && u.Part == "mmu").Object, "mmu")}, a shadow MMU (of L1's {(shadow.Root == "ncr3" ? "NPT" : "EPT")}), not the TDP MMU"
                        : null;
                case NamingClaim.Cr3Tables:
                    return mine.FirstOrDefault(u => u.Root != "cr3") is { } other
                        ? $"{name} walks tables rooted at {other.Root}"
                        : null;
                case NamingClaim.Cr3Unambiguous:
                    return accesses.Where(a => a.Any(Mine)).SelectMany(a => a).FirstOrDefault(u => !Mine(u) && u.Part != "mmu" && u.Root == "ncr3") is { } ncr3
                        ? $"{name} is not the only walker rooted at a CR3: {Called(scheme, ncr3.Object, ncr3.Part)} walks L1's NPT from nCR3"
                        : null;
                case NamingClaim.LegacyUnique:
                    return accesses.Where(a => a.Any(Mine)).SelectMany(a => a).FirstOrDefault(u => !Mine(u) && u.Part != "mmu" && u.Tables == "x86") is { } x86
                        ? $"{name} is not the only walker of legacy-format tables: {Called(scheme, x86.Object, x86.Part)} walks L1's NPT, x86 format too"
                        : null;
                case NamingClaim.BuildsTables:
                    return mine.Count > 0 && !mine.Any(u => u.Part == "mmu")
                        ? $"{name} never builds page tables: it only walks ({string.Join(", ", mine.Select(u => u.Part).Distinct())})"
                        : null;
                default:
                    return mine.FirstOrDefault(u => u.Part == "mmu") is { }
                        ? $"{name} serves as vcpu->arch.mmu: it builds page tables"
                        : null;
            }
        }
    }
}
