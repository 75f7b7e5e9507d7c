using Workbench.Mmu.Analysis;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Tests.Nested;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Variants;

/// <summary>
/// Structure variants: the real organizations (2010, 6.12, chainsaw v1 and v2) agree on everything the guest sees,
/// each names its own objects, and the broken ones are caught exactly where their bug bites.
/// </summary>
public class VariantTests
{
    [Fact]
    public void The_real_variants_agree_on_the_whole_standard_suite_and_the_access_sample()
    {
        var report = VariantComparison.Run(ContextLayouts.Real.Prepend(ContextLayouts.Default).Distinct().ToList(), ComparisonSuite.Build("standard"));

        Assert.All(report.DivergentCounts, p => Assert.Equal(0, p.Value));
        Assert.All(report.SweepMismatches, p => Assert.Equal(0, p.Value));
        Assert.True(report.SweepCases > 25_000);
        Assert.Equal(54, report.Cases.Length);
    }

    [Fact]
    public void Each_broken_variant_diverges_exactly_where_its_bug_bites()
    {
        var report = VariantComparison.Run(["6.12", "broken-nested-wp", "broken-cpuid-role"], ComparisonSuite.Build("standard"), includeSweep: false);

        // broken-nested-wp: only L2 under nested EPT/NPT (the walker is nested_mmu), only after a CR0.WP flip.
        var wp = report.Cases.Where(c => c.Divergences.Any(d => d.Variant == "broken-nested-wp")).Select(c => c.Case).ToList();
        Assert.Equal(8, wp.Count);
        Assert.All(wp, c => Assert.True(c.Features["l2"] == 1 && c.Features["l1_tdp"] == 1 && c.Features["wp_flip"] == 1, c.Name));

        // broken-cpuid-role: every case whose guest has an entry with a bit between the old and the new MAXPHYADDR.
        var cpuid = report.Cases.Where(c => c.Divergences.Any(d => d.Variant == "broken-cpuid-role")).Select(c => c.Case).ToList();
        Assert.Equal(14, cpuid.Count);
        Assert.All(cpuid, c => Assert.Equal(1, c.Features["cpuid_change"]));

        // The divergence is a missed reserved-bit fault: 6.12 reports RSVD|P, the broken one does not.
        var first = report.Cases.First(c => c.Case.Name == "L1 TDP, 4level, cpuid-maxphyaddr").Divergences.Single();
        Assert.StartsWith("#PF 0x9", first.Expected);
        Assert.StartsWith("ok", first.Actual);
    }

    public static TheoryData<string, string, string, string, string> Names => new()
    {
        // variant, L1 mmu, L1 walk, L2 (nested EPT) mmu, L2 walk
        { "6.12", "root_mmu", "root_mmu", "guest_mmu", "nested_mmu" },
        { "2010", "mmu", "mmu", "mmu", "nested_mmu" },
        { "chainsaw-v1", "root_mmu", "cpu_walk", "guest_mmu", "cpu_walk" },
        { "chainsaw-v2", "root_mmu", "gva_walk", "guest_mmu", "gva_walk" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_variant_reports_its_own_objects(string variant, string l1Mmu, string l1Walk, string l2Mmu, string l2Walk)
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var result = ExperimentRunner.Run(rig.With(NestedRig.Read(), NestedRig.Read(0x400000, level: 1)), new RunOptions(Trace: true, Layout: variant));
        Assert.True(result.Succeeded, result.Error);

        var l2 = ((AccessResult)result.Steps[0]).Contexts!.Value;
        var l1 = ((AccessResult)result.Steps[1]).Contexts!.Value;
        Assert.Equal((l2Mmu, l2Walk, true), (l2.Mmu, l2.Walk, l2.GuestMode));
        Assert.Equal((l1Mmu, l1Walk, false), (l1.Mmu, l1.Walk, l1.GuestMode));
        Assert.Equal(24, ((AccessResult)result.Steps[0]).Trace.Count(e => e.Kind == TraceKind.Read));
    }

    [Fact]
    public void The_2010_layout_reinitialises_its_one_mmu_on_every_nested_entry_and_exit()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var vm = ExperimentRunner.CreateVm(rig.Experiment, "2010");
        var mmu = vm.Vcpu.Contexts.ActiveMmu;
        Assert.Equal(Workbench.Mmu.Paging.PagingMode.Ept4, mmu.Walker.Mode);

        vm.Vcpu.ExitToL1();
        Assert.Same(mmu, vm.Vcpu.Contexts.ActiveMmu);
        Assert.Equal(Workbench.Mmu.Paging.PagingMode.Long4, mmu.Walker.Mode);
        Assert.Equal(PageFaultHandler.Tdp, mmu.PageFault);
    }

    [Fact]
    public void A_user_defined_variant_registers_and_runs_everywhere_a_shipped_one_does()
    {
        ContextLayouts.Register("test-renamed", vm => new RenamedLayout(vm));
        Assert.Contains("test-renamed", ContextLayouts.Names);

        var report = VariantComparison.Run(["6.12", "test-renamed"], ComparisonSuite.Build("quick"), includeSweep: false);
        Assert.Equal(0, report.DivergentCounts["test-renamed"]);
        var serving = report.Cases.First(c => c.Case.Features["l1_tdp"] == 1 && c.Case.Features["svm"] == 0).Serving["test-renamed"];
        Assert.Contains(serving, s => s is { Walk: "walk12" });
    }

    /// <summary>A prototype refactor: 6.12's objects renamed as Paolo's 2021 sketch (walk01/walk12).</summary>
    private sealed class RenamedLayout : ContextLayout
    {
        private readonly Kvm612Layout _inner;

        public RenamedLayout(Vm vm) => _inner = new Kvm612Layout(vm);

        public override string Name => "test-renamed";

        public override MmuContext ActiveMmu => _inner.ActiveMmu;

        public override PageWalker ActiveWalker => _inner.ActiveWalker;

        public override IReadOnlyList<MmuContext> Mmus => _inner.Mmus;

        public override IReadOnlyList<PageWalker> Walkers => _inner.Walkers;

        public override ServingContexts Serving => _inner.Serving with
        {
            Walk = _inner.Serving.Walk == "nested_mmu" ? "walk12" : "walk01",
        };

        public override void InitMmu(Workbench.Mmu.Vcpu vcpu) => _inner.InitMmu(vcpu);

        public override void AfterSetCpuid(Workbench.Mmu.Vcpu vcpu) => _inner.AfterSetCpuid(vcpu);

        public override void EnterGuestMode(Workbench.Mmu.Vcpu vcpu) => _inner.EnterGuestMode(vcpu);

        public override void LeaveGuestMode(Workbench.Mmu.Vcpu vcpu) => _inner.LeaveGuestMode(vcpu);

        public override void LoadRoots(Workbench.Mmu.Vcpu vcpu) => _inner.LoadRoots(vcpu);
    }
}
