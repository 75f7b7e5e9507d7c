using System.Collections.Immutable;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Analysis
{
    /// <summary>What an object was doing when it served one access (a row of the facts naming claims are checked against).</summary>
    /// <param name="Object">The variant's name for the object.</param>
    /// <param name="Part">How it served: <c>mmu</c> (vcpu-&gt;arch.mmu: faults, roots), <c>walk</c> (walked the guest's
    /// tables), <c>inner</c> (walked L1's EPT/NPT to translate the guest walk's GPAs).</param>
    /// <param name="Level">1 while L1 runs, 2 while L2 runs.</param>
    /// <param name="GuestMode">The serving MMU's root role has guest_mode = 1.</param>
    /// <param name="Tables">The tables it walks or shadows: <c>ept</c>, <c>x86</c>, or <c>none</c> (a direct TDP MMU).</param>
    /// <param name="Root">Where those tables are rooted: <c>cr3</c>, <c>eptp</c>, <c>ncr3</c>, or <c>none</c>.</param>
    /// <param name="TdpMmu">The serving MMU is a direct TDP MMU (kvm_tdp_page_fault).</param>
    /// <param name="Access">Index of the access within its scenario (uses of one access share it).</param>
    public sealed record ObjectUse(string Object, string Part, int Level, bool GuestMode, string Tables, string Root, bool TdpMmu, int Access);

    /// <summary>One scenario of spec §7.1 as a short experiment: L1 accesses, then (when there is an L2) L2 accesses.</summary>
    /// <param name="Name">e.g. <c>L2, nested NPT</c>.</param>
    /// <param name="Experiment">The experiment.</param>
    public sealed record Scenario(string Name, Experiment Experiment);

    /// <summary>Collects who served what, per scenario, under a structure variant — the facts naming claims are judged by.</summary>
    public static class ObjectUsage
    {
        /// <summary>
        /// The six scenarios: L1 with TDP, L1 with shadow paging, L2 under nested EPT, under nested NPT, L2 whose
        /// tables L1 shadows (L0 TDP), the same with L0 shadow paging. Each runs an L1 read, then L2 reads and writes.
        /// </summary>
        public static IReadOnlyList<Scenario> Scenarios { get; } = BuildScenarios();

        /// <summary>Runs every scenario under <paramref name="variant"/> and returns, per scenario, every object use.</summary>
        public static ImmutableDictionary<string, ImmutableArray<ObjectUse>> Collect(string variant)
        {
            var result = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ObjectUse>>();
            foreach (Scenario scenario in Scenarios)
            {
                var uses = ImmutableArray.CreateBuilder<ObjectUse>();
                var options = new RunOptions(Layout: variant, BeforeAccess: (vm, step) => Record(vm, uses, step));
                ExperimentResult run = ExperimentRunner.Run(scenario.Experiment, options);
                if (!run.Succeeded)
                {
                    throw new InvalidOperationException($"{scenario.Name} under {variant}: {run.Error}");
                }

                result[scenario.Name] = uses.ToImmutable();
            }

            return result.ToImmutable();
        }

        private static void Record(Vm vm, ImmutableArray<ObjectUse>.Builder uses, int access)
        {
            ContextLayout layout = vm.Vcpu.Contexts;
            MmuContext mmu = layout.ActiveMmu;
            ServingContexts serving = layout.Serving;
            int level = vm.Vcpu.Level;
            bool tdpMmu = mmu.PageFault == PageFaultHandler.Tdp;
            uses.Add(new ObjectUse(serving.Mmu, "mmu", level, serving.GuestMode, tdpMmu ? "none" : Tables(mmu.Walker), tdpMmu ? "none" : Root(mmu.Walker), tdpMmu, access));
            PageWalker walker = layout.ActiveWalker;
            uses.Add(new ObjectUse(serving.Walk, "walk", level, serving.GuestMode, Tables(walker), Root(walker), tdpMmu, access));
            if (walker.TranslateThrough is { } inner)
            {
                uses.Add(new ObjectUse(inner.Name, "inner", level, serving.GuestMode, Tables(inner), Root(inner), tdpMmu, access));
            }
        }

        private static string Tables(PageWalker walker) => walker.Mode.IsEpt() ? "ept" : "x86";

        private static string Root(PageWalker walker) => walker.PgdSource switch
        {
            GuestPgdSource.Eptp => "eptp",
            GuestPgdSource.NestedCr3 => "ncr3",
            _ => "cr3",
        };

        private static IReadOnlyList<Scenario> BuildScenarios()
        {
            var list = new List<Scenario>();
            void Add(string name, NestedSetup.Options options, bool l2)
            {
                var setup = NestedSetup.Build(options);
                var steps = new List<ExperimentStep> { new AccessStep(Walk.AccessKind.Read, 0x40_0000) { Level = 1 } };
                if (l2)
                {
                    steps.Add(new AccessStep(Walk.AccessKind.Read, NestedSetup.Gva) { Level = 2 });
                    steps.Add(new AccessStep(Walk.AccessKind.Write, NestedSetup.Gva) { Level = 2 });
                }

                var experiment = setup.Experiment with { Name = name, Steps = [.. steps] };
                list.Add(new Scenario(name, l2 ? experiment : experiment with { Nested = null }));
            }

            Add("L1, TDP", new NestedSetup.Options { L1Tdp = false, L0Tdp = true }, l2: false);
            Add("L1, shadow paging", new NestedSetup.Options { L1Tdp = false, L0Tdp = false }, l2: false);
            Add("L2, nested EPT", new NestedSetup.Options { Kind = Nested.NestedKind.Vmx }, l2: true);
            Add("L2, nested NPT", new NestedSetup.Options { Kind = Nested.NestedKind.Svm }, l2: true);
            Add("L2, L1 shadows L2, L0 TDP", new NestedSetup.Options { L1Tdp = false, L0Tdp = true }, l2: true);
            Add("L2, L1 shadows L2, L0 shadow", new NestedSetup.Options { L1Tdp = false, L0Tdp = false }, l2: true);
            return list;
        }
    }
}
