using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>
/// The five scenarios of spec 7.1 (KVM 6.12): which object <c>arch.mmu</c> and <c>walk_mmu</c> designate, the root
/// role's guest_mode, and the exact result of the same access.
/// </summary>
public class ScenarioContextTests
{
    public static TheoryData<string, NestedSetup.Options?, int, string, string, bool> Scenarios => new()
    {
        // name, rig (null = L1 only), level, arch.mmu, walk_mmu, guest_mode
        { "L1, TDP", new NestedSetup.Options { L0Tdp = true }, 1, "root_mmu", "root_mmu", false },
        { "L1, shadow paging", new NestedSetup.Options { L0Tdp = false, L1Tdp = false }, 1, "root_mmu", "root_mmu", false },
        { "L2, nested EPT", new NestedSetup.Options { Kind = NestedKind.Vmx }, 2, "guest_mmu", "nested_mmu", true },
        { "L2, nested NPT", new NestedSetup.Options { Kind = NestedKind.Svm }, 2, "guest_mmu", "nested_mmu", true },
        { "L2, L1 shadows, L0 TDP", new NestedSetup.Options { L1Tdp = false, L0Tdp = true }, 2, "root_mmu", "root_mmu", true },
        { "L2, L1 shadows, L0 shadow", new NestedSetup.Options { L1Tdp = false, L0Tdp = false }, 2, "root_mmu", "root_mmu", true },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Each_scenario_is_served_by_the_contexts_KVM_612_uses(string name, NestedSetup.Options? options, int level,
        string mmu, string walk, bool guestMode)
    {
        var rig = NestedRig.Build(options!);
        var gva = level == 1 ? 0x40_0123UL : NestedRig.Gva;
        var access = (AccessResult)NestedRig.Run(rig.With(new AccessStep(AccessKind.Read, gva) { Level = level }))[0];

        Assert.True(access.Walk.IsOk, $"{name}: {access.Walk}");
        Assert.Equal(new ServingContexts(mmu, walk, guestMode), access.Contexts);
        Assert.Equal(level == 1 ? 0x20_0123UL : NestedRig.DataL1Gpa + 0x234, access.Walk.Gpa);
    }

    [Fact]
    public void Nested_entry_and_exit_move_both_pointers_and_nothing_else()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        var layout = (Kvm612Layout)vm.Vcpu.Contexts;

        Assert.True(layout.MmuIsNested);
        Assert.Equal(2, layout.PointerReassignments);
        Assert.Equal(2, vm.Vcpu.Level);

        // mmu_is_nested ⇒ arch.mmu == guest_mmu (spec 10, invariant 1).
        Assert.Equal("guest_mmu", layout.ActiveMmu.Name);

        vm.Vcpu.ExitToL1();
        Assert.False(layout.MmuIsNested);
        Assert.Equal(("root_mmu", "root_mmu"), (layout.ActiveMmu.Name, layout.ActiveWalker.Name));
        Assert.Equal(4, layout.PointerReassignments);
        Assert.Equal(rig.Experiment.Vcpu.Cr3, vm.Vcpu.Registers.Cr3);

        Assert.True(vm.Vcpu.ResumeL2().Ok);
        Assert.Equal(rig.Experiment.Nested!.Registers.Cr3, vm.Vcpu.Registers.Cr3);
        Assert.Equal(6, layout.PointerReassignments);
    }

    [Fact]
    public void Without_nested_TDP_root_mmu_serves_L2_with_a_guest_mode_root_role()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { L1Tdp = false, L0Tdp = true });
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        var root = vm.Vcpu.Contexts.ActiveMmu;

        Assert.Equal("root_mmu", root.Name);
        Assert.True(root.RootRole.GuestMode);
        Assert.True(root.RootRole.Direct);
        Assert.True(vm.Vcpu.Role.Base.GuestMode);

        vm.Vcpu.ExitToL1();
        Assert.False(root.RootRole.GuestMode);
    }

    [Fact]
    public void Nested_EPT_roles_follow_kvm_calc_shadow_ept_root_page_role()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { EptAd = false, TdpLevels = 5 });
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        var guest = vm.Vcpu.Contexts.ActiveMmu;

        Assert.Equal(PagingMode.Ept5, guest.Walker.Mode);
        Assert.Equal(5, guest.RootRole.Level);
        Assert.True(guest.RootRole.AdDisabled);
        Assert.True(guest.RootRole.GuestMode);
        Assert.False(guest.RootRole.Direct);
        Assert.Equal(Acc.All, guest.RootRole.Access);
        Assert.True(guest.Walker.CpuRole.Ext.ExecOnly);
        Assert.Equal(PageFaultHandler.Ept, guest.PageFault);
    }

    [Fact]
    public void Nested_NPT_walks_L1s_tables_in_L1s_paging_mode_with_CR0_PG_only_and_no_PKE()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { Kind = NestedKind.Svm });
        var vm = ExperimentRunner.CreateVm(rig.Experiment with { Vcpu = rig.Experiment.Vcpu with { Cr4 = rig.Experiment.Vcpu.Cr4 | Cr4.PKE } });
        var guest = vm.Vcpu.Contexts.ActiveMmu;

        Assert.Equal(PagingMode.Long4, guest.Walker.Mode);
        Assert.False(guest.Walker.CpuRole.IsCr0Wp);
        Assert.False(guest.Walker.CpuRole.IsCr4Pke);
        Assert.True(guest.Walker.CpuRole.Base.GuestMode);
        Assert.True(guest.Walker.CpuRole.IsEferNx);
        Assert.Equal(4, guest.RootRole.Level);
        Assert.Equal(PageFaultHandler.Paging64, guest.PageFault);
    }

    [Fact]
    public void A_CPUID_change_invalidates_and_rebuilds_every_role()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { L1Tdp = false, L0Tdp = true });
        var steps = NestedRig.Run(rig.With(
            new CpuidStep(MaxPhyAddr: 36, GbPages: null),
            NestedRig.Read()));

        // The rig's tables and data sit far below 2^36, so the walk still translates after the change; what changed
        // is the reserved-bit format, rebuilt for the new MAXPHYADDR (bit 40 is now reserved).
        Assert.True(((AccessResult)steps[1]).Walk.IsOk);
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        var before = vm.Vcpu.WalkFormat;
        Assert.Null(vm.SetCpuid(36, true));
        Assert.NotSame(before, vm.Vcpu.WalkFormat);
        Assert.True(vm.Vcpu.WalkFormat.IsReserved((1UL << 40) | 1, 1));
    }
}
