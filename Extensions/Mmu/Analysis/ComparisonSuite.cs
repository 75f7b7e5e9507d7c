using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Analysis
{
    /// <summary>One case of a comparison suite: an experiment plus the configuration features it was built from.</summary>
    /// <param name="Name">Readable name, e.g. <c>L2 nested EPT, 4level, wp-flip</c>.</param>
    /// <param name="Experiment">What runs under every variant.</param>
    /// <param name="Features">Configuration features (0/1 or small numbers) for <c>explain</c>.</param>
    public sealed record ComparisonCase(string Name, Experiment Experiment, ImmutableSortedDictionary<string, double> Features);

    /// <summary>
    /// The scenario suites the comparison runs (issue "Structure variants"): the nested scenarios of spec §7.1 × L2
    /// paging modes × register changes × CPUID changes, each a short experiment of reads, writes and fetches at CPL 0
    /// and 3; plus a sample of the access.c space, run separately by <see cref="VariantComparison"/>.
    /// </summary>
    public static class ComparisonSuite
    {
        /// <summary>The suite names: <c>standard</c> (every combination) and <c>quick</c> (4-level L2 only).</summary>
        public static IReadOnlyList<string> Names { get; } = ["standard", "quick"];

        private static readonly (string Name, NestedKind Kind, bool L1Tdp, bool L0Tdp)[] s_scenarios =
        [
            ("L2 nested EPT", NestedKind.Vmx, true, true),
            ("L2 nested NPT", NestedKind.Svm, true, true),
            ("L2 L1-shadow L0-TDP", NestedKind.Vmx, false, true),
            ("L2 L1-shadow L0-shadow", NestedKind.Vmx, false, false),
        ];

        private static readonly PagingMode[] s_pagingModes = [PagingMode.Legacy32, PagingMode.Pae, PagingMode.Long4, PagingMode.Long5];

        private static readonly string[] s_changes = ["none", "wp-flip", "cpuid-maxphyaddr"];

        /// <summary>Builds the named suite.</summary>
        /// <exception cref="ArgumentException">Unknown suite name.</exception>
        public static IReadOnlyList<ComparisonCase> Build(string name)
        {
            PagingMode[] modes = name switch
            {
                "standard" => s_pagingModes,
                "quick" => [PagingMode.Long4],
                _ => throw new ArgumentException($"unknown suite \"{name}\" (expected {string.Join(", ", Names)})", nameof(name)),
            };
            var cases = new List<ComparisonCase>();
            foreach (string change in s_changes)
            {
                // L1 alone, with TDP and with shadow paging.
                foreach (bool l0Tdp in new[] { true, false })
                {
                    cases.Add(Build($"L1 {(l0Tdp ? "TDP" : "shadow")}, 4level, {change}", NestedKind.Vmx, l1Tdp: false, l0Tdp, PagingMode.Long4, change, level: 1));
                }

                foreach (var scenario in s_scenarios)
                {
                    foreach (PagingMode mode in modes)
                    {
                        cases.Add(Build($"{scenario.Name}, {mode.DisplayName()}, {change}", scenario.Kind, scenario.L1Tdp, scenario.L0Tdp, mode, change, level: 2));
                    }
                }
            }

            return cases;
        }

        private static ComparisonCase Build(string name, NestedKind kind, bool l1Tdp, bool l0Tdp, PagingMode l2Paging, string change, int level)
        {
            var setup = NestedSetup.Build(new NestedSetup.Options { Kind = kind, L1Tdp = l1Tdp, L0Tdp = l0Tdp, L2Paging = l2Paging, TdpLevels = l2Paging == PagingMode.Long5 ? 5 : 4 });
            ulong gva = level == 1 ? 0x40_0123 : NestedSetup.Gva;
            ulong pteGpa = level == 1
                ? NestedSetup.L1PteGpa
                : setup.L2Tables.EntryGpa(NestedSetup.Gva, 1)!.Value + (l1Tdp ? NestedSetup.L2Base : 0);
            ulong pte = setup.Experiment.Memory.Single(m => m.Gpa == (pteGpa & ~7UL)).Value;
            bool fourByte = level == 2 && l2Paging == PagingMode.Legacy32;
            var steps = new List<ExperimentStep>();
            void Accesses()
            {
                foreach (var kindOfAccess in new[] { AccessKind.Read, AccessKind.Write, AccessKind.Fetch })
                {
                    steps.Add(new AccessStep(kindOfAccess, gva) { Level = level });
                }

                steps.Add(new AccessStep(AccessKind.Read, gva, Cpl: 3) { Level = level });
            }

            Accesses();
            ulong cr0 = level == 1 ? setup.Experiment.Vcpu.Cr0 : setup.Experiment.Nested!.Registers.Cr0;
            switch (change)
            {
                case "wp-flip":
                    // Make the page read-only; a supervisor write faults with CR0.WP = 1 and succeeds once the guest
                    // clears WP (SDM 4.6.1).
                    steps.Add(Poke(pteGpa, pte, clear: Pte64.WritableMask, set: 0, fourByte));
                    steps.Add(new InvlpgStep(gva) { Level = level });
                    steps.Add(new AccessStep(AccessKind.Write, gva) { Level = level });
                    steps.Add(new SetStep([new RegisterAssignment(VcpuRegister.Cr0, cr0 & ~Cr0.WP)]) { Level = level });
                    steps.Add(new AccessStep(AccessKind.Write, gva) { Level = level });
                    steps.Add(new SetStep([new RegisterAssignment(VcpuRegister.Cr0, cr0)]) { Level = level });
                    steps.Add(new AccessStep(AccessKind.Write, gva) { Level = level });
                    break;
                case "cpuid-maxphyaddr":
                    // Bit 41 of the frame is an address bit at MAXPHYADDR 46 and reserved at 40 (RSVD #PF, SDM 4.7).
                    // 32-bit PTEs have no such bit: their case checks that nothing else changes.
                    if (!fourByte)
                    {
                        steps.Add(Poke(pteGpa, pte, clear: 0, set: 1UL << 41, fourByte));
                    }

                    steps.Add(new AccessStep(AccessKind.Read, gva) { Level = level });
                    steps.Add(new CpuidStep(40, null));
                    steps.Add(new AccessStep(AccessKind.Read, gva) { Level = level });
                    steps.Add(new AccessStep(AccessKind.Write, gva) { Level = level });
                    break;
            }

            Accesses();
            var features = ImmutableSortedDictionary.CreateRange(new Dictionary<string, double>
            {
                ["l2"] = level == 2 ? 1 : 0,
                ["l1_tdp"] = l1Tdp ? 1 : 0,
                ["l0_tdp"] = l0Tdp ? 1 : 0,
                ["svm"] = kind == NestedKind.Svm && level == 2 ? 1 : 0,
                ["paging_levels"] = level == 1 ? 4 : l2Paging.RootLevel(),
                ["wp_flip"] = change == "wp-flip" ? 1 : 0,
                ["cpuid_change"] = change == "cpuid-maxphyaddr" ? 1 : 0,
            });
            var experiment = setup.Experiment with { Name = name, Steps = [.. steps] };
            if (level == 1)
            {
                experiment = experiment with { Nested = null };
            }

            return new ComparisonCase(name, experiment, features);
        }

        private static PokeStep Poke(ulong gpa, ulong word, ulong clear, ulong set, bool fourByte)
        {
            // A 32-bit PTE is half of a memory word: shift the change to its half.
            int shift = fourByte && (gpa & 4) != 0 ? 32 : 0;
            ulong aligned = gpa & ~7UL;
            return new PokeStep(aligned, (word & ~(clear << shift)) | (set << shift));
        }
    }
}
