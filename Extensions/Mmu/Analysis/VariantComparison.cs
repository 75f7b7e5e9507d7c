using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Analysis
{
    /// <summary>How one variant ran one case, compared with the first variant.</summary>
    /// <param name="Variant">The variant.</param>
    /// <param name="Step">First step whose guest-visible result differs.</param>
    /// <param name="Expected">The first variant's result at that step.</param>
    /// <param name="Actual">This variant's result.</param>
    /// <param name="ExpectedContexts">Who served the step under the first variant.</param>
    /// <param name="ActualContexts">Who served it under this one.</param>
    public sealed record Divergence(string Variant, int Step, string Expected, string Actual, ServingContexts? ExpectedContexts, ServingContexts? ActualContexts);

    /// <summary>One case under every variant: equal, or the first divergence of each divergent variant.</summary>
    /// <param name="Case">The case.</param>
    /// <param name="Divergences">Empty when every variant agrees with the first.</param>
    /// <param name="Serving">Per variant, who served each access step (for naming-fit and the side-by-side view).</param>
    public sealed record CaseComparison(ComparisonCase Case, ImmutableArray<Divergence> Divergences, ImmutableDictionary<string, ImmutableArray<ServingContexts?>> Serving)
    {
        /// <summary>True when some variant differs from the first.</summary>
        public bool Diverges => !Divergences.IsEmpty;
    }

    /// <summary>The comparison of several variants over a suite.</summary>
    /// <param name="Variants">The variants, baseline first.</param>
    /// <param name="Cases">Each case's outcome.</param>
    /// <param name="SweepCases">Access.c cases run per variant (a sample of the space).</param>
    /// <param name="SweepMismatches">Per variant, sweep cases that disagreed with the oracle.</param>
    /// <param name="Elapsed">Wall time.</param>
    public sealed record ComparisonReport(ImmutableArray<string> Variants, ImmutableArray<CaseComparison> Cases, long SweepCases,
        ImmutableDictionary<string, long> SweepMismatches, TimeSpan Elapsed)
    {
        /// <summary>Per variant (not the baseline), the number of divergent cases (suite cases plus sweep mismatches beyond the baseline's).</summary>
        public ImmutableDictionary<string, int> DivergentCounts => Variants.Skip(1).ToImmutableDictionary(
            v => v,
            v => Cases.Count(c => c.Divergences.Any(d => d.Variant == v))
                + (int)Math.Max(0, SweepMismatches.GetValueOrDefault(v) - SweepMismatches.GetValueOrDefault(Variants[0])));
    }

    /// <summary>
    /// Runs the same cases under several structure variants and compares what the guest sees (results of every step:
    /// translations, #PF error codes and CR2, VM exits with their exit information, register-write #GPs), not how
    /// the objects are named. Also runs a sample of the access.c space under each.
    /// </summary>
    public static class VariantComparison
    {
        /// <summary>Every 64th access.c case (about 30,000), enough to cover every flag and cheap enough for four variants.</summary>
        public const int SweepSampleEvery = 64;

        /// <summary>Compares <paramref name="variants"/> (the first is the baseline) over <paramref name="suite"/>.</summary>
        public static ComparisonReport Run(IReadOnlyList<string> variants, IReadOnlyList<ComparisonCase> suite, bool includeSweep = true)
        {
            ArgumentNullException.ThrowIfNull(variants);
            ArgumentNullException.ThrowIfNull(suite);
            if (variants.Count < 1)
            {
                throw new ArgumentException("at least one variant", nameof(variants));
            }

            var stopwatch = Stopwatch.StartNew();
            var cases = ImmutableArray.CreateBuilder<CaseComparison>(suite.Count);
            foreach (ComparisonCase @case in suite)
            {
                var runs = variants.Select(v => Execute(@case.Experiment, v)).ToList();
                var divergences = ImmutableArray.CreateBuilder<Divergence>();
                for (int v = 1; v < variants.Count; v++)
                {
                    if (FirstDifference(runs[0], runs[v]) is { } d)
                    {
                        divergences.Add(d with { Variant = variants[v] });
                    }
                }

                cases.Add(new CaseComparison(@case, divergences.ToImmutable(),
                    variants.Select((v, i) => (v, runs[i].Serving)).ToImmutableDictionary(p => p.v, p => p.Serving)));
            }

            var sweepMismatches = ImmutableDictionary.CreateBuilder<string, long>();
            long sweepCases = 0;
            if (includeSweep)
            {
                foreach (string variant in variants)
                {
                    var sweep = new AccessSweep(new AccessSweepOptions(Shard: new AccessShard(0, SweepSampleEvery), KeepGoing: true, Layout: variant));
                    AccessSweepResult result = sweep.Run();
                    sweepCases = result.CasesRun;
                    sweepMismatches[variant] = result.Mismatches;
                }
            }

            return new ComparisonReport([.. variants], cases.ToImmutable(), sweepCases, sweepMismatches.ToImmutable(), stopwatch.Elapsed);
        }

        private sealed record VariantRun(ImmutableArray<string> Results, ImmutableArray<ServingContexts?> Serving, string? Error);

        private static VariantRun Execute(Experiment experiment, string variant)
        {
            ExperimentResult result = ExperimentRunner.Run(experiment, new RunOptions(Trace: true, Layout: variant));
            if (!result.Succeeded)
            {
                return new VariantRun([], [], result.Error);
            }

            return new VariantRun(
                [.. result.Steps.Select(GuestVisible)],
                [.. result.Steps.Select(s => s is AccessResult a ? a.Contexts : null)],
                null);
        }

        private static Divergence? FirstDifference(VariantRun baseline, VariantRun other)
        {
            if (baseline.Error != other.Error)
            {
                return new Divergence("", -1, baseline.Error ?? "ran", other.Error ?? "ran", null, null);
            }

            for (int i = 0; i < baseline.Results.Length; i++)
            {
                if (baseline.Results[i] != other.Results[i])
                {
                    return new Divergence("", i, baseline.Results[i], other.Results[i], baseline.Serving[i], other.Serving[i]);
                }
            }

            return null;
        }

        /// <summary>What the guest (or L1) sees of a step, without the variant's object names.</summary>
        public static string GuestVisible(StepResult step) => step switch
        {
            AccessResult access => Describe(access.Walk),
            PeekResult peek => "u64 0x" + peek.Value.ToString("x", CultureInfo.InvariantCulture),
            GeneralProtectionResult gp => $"#GP {gp.Register}: {gp.Error}",
            DumpResult => "dump",
            _ => "ok",
        };

        private static string Describe(in WalkResult walk) => walk.Outcome switch
        {
            WalkOutcome.Ok => FormattableString.Invariant($"ok gpa 0x{walk.Gpa:x}"),
            WalkOutcome.PageFault => FormattableString.Invariant($"#PF 0x{(ulong)walk.ErrorCode:x} cr2 0x{walk.FaultAddress:x}"),
            WalkOutcome.GeneralProtection => FormattableString.Invariant($"#GP 0x{walk.FaultAddress:x}"),
            _ => FormattableString.Invariant($"exit {walk.ExitReason} info 0x{walk.ExitInfo:x} gpa 0x{walk.FaultAddress:x} gva 0x{walk.Gva:x}"),
        };
    }
}
