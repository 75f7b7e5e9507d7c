using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>
/// L1's EPT permissions × L2's operation, at every level of the data page's EPT path, as kvm-unit-tests'
/// <c>ept_access_test_*</c> do: each R/W/X combination, each memory type class, read / write / fetch, and the exit L1
/// gets (EPT violation with its qualification, or misconfiguration) — exhaustive over 4 levels × 8 XWR × 3
/// operations × execute-only on/off, against an oracle written from the SDM (29.3.3) and KVM 6.12's synthesized
/// qualification (paging_tmpl.h, PTTYPE_EPT).
/// </summary>
public class EptAccessTests
{
    public static TheoryData<int, int, AccessKind, bool> Cases()
    {
        var data = new TheoryData<int, int, AccessKind, bool>();
        foreach (var level in new[] { 1, 2, 3, 4 })
        {
            for (var xwr = 0; xwr < 8; xwr++)
            {
                foreach (var kind in new[] { AccessKind.Read, AccessKind.Write, AccessKind.Fetch })
                {
                    data.Add(level, xwr, kind, true);
                    data.Add(level, xwr, kind, false);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_exit_L1_sees_matches_the_SDM(int level, int xwr, AccessKind kind, bool execOnly)
    {
        var rig = NestedRig.Build(new NestedSetup.Options { ExecOnly = execOnly, EptAd = false });
        var entryGpa = rig.TdpEntryGpa(level);
        var original = rig.Experiment.Memory.Single(m => m.Gpa == entryGpa).Value;
        var steps = NestedRig.Run(rig.With(
            new PokeStep(entryGpa, (original & ~7UL) | (uint)xwr),
            new AccessStep(kind, NestedRig.Gva)));
        var walk = ((AccessResult)steps[1]).Walk;

        var expected = Oracle(level, xwr, kind, execOnly);
        Assert.Equal(expected.Outcome, walk.Outcome);
        if (expected.Outcome == WalkOutcome.Ok)
        {
            Assert.Equal(NestedRig.DataL1Gpa + 0x234, walk.Gpa);
            return;
        }

        Assert.Equal(expected.Reason, walk.ExitReason);
        Assert.Equal(expected.Qualification, walk.ExitInfo);
        Assert.Equal(NestedRig.DataL2Gpa + 0x234, walk.FaultAddress);
        Assert.Equal(NestedRig.Gva, walk.Gva);

        // The walk stops at a not-present or misconfigured entry; a permission fault is found at the leaf, after the
        // AND over every level (KVM walker->level).
        Assert.Equal(xwr == 0 || walk.ExitReason == ExitReason.EptMisconfig ? level : 1, walk.Level);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_untraced_walk_returns_what_the_traced_walk_returns(int level, int xwr, AccessKind kind, bool execOnly)
    {
        // Untraced, the inner EPT walks return only a GPA and a fault's exit is built by walking again; traced, every
        // inner walk builds its full result.
        var rig = NestedRig.Build(new NestedSetup.Options { ExecOnly = execOnly, EptAd = false });
        var vm = ExperimentRunner.CreateVm(rig.Experiment);
        var entryGpa = rig.TdpEntryGpa(level);
        var original = rig.Experiment.Memory.Single(m => m.Gpa == entryGpa).Value;
        Assert.True(vm.Memory.TryWriteU64(entryGpa, (original & ~7UL) | (uint)xwr));
        ulong access = kind.AccessPfec(cpl: 0, implicitAccess: false);

        WalkResult untraced = vm.Vcpu.Translate(NestedRig.Gva, access);
        WalkResult traced = vm.Vcpu.Translate(NestedRig.Gva, access, new WalkTrace());

        Assert.Equal(Oracle(level, xwr, kind, execOnly).Outcome, untraced.Outcome);
        Assert.Equal(traced, untraced);
    }

    private static (WalkOutcome Outcome, ExitReason Reason, ulong Qualification) Oracle(int level, int xwr, AccessKind kind, bool execOnly)
    {
        bool r = (xwr & 1) != 0, w = (xwr & 2) != 0, x = (xwr & 4) != 0;

        // SDM 29.3.3.1: a present entry (any of R/W/X) with W and no R, or X alone without the execute-only
        // capability, is a misconfiguration; KVM reports it as EPT_MISCONFIG with qualification 0.
        bool present = xwr != 0;
        bool misconfigured = present && ((w && !r) || (xwr == 0b100 && !execOnly));
        if (misconfigured)
        {
            return (WalkOutcome.VmExit, ExitReason.EptMisconfig, 0);
        }

        // KVM 6.12 translate_nested_gpa adds PFERR_USER ("NPT walks are always user-walks"), and the EPT permission
        // table reads U as "needs R": every emulated access needs R, writes also W, fetches also X. (So an
        // execute-only page cannot be fetched by an emulated L2 access in 6.12.)
        bool allowed = present && r && (kind != AccessKind.Write || w) && (kind != AccessKind.Fetch || x);
        if (allowed)
        {
            return (WalkOutcome.Ok, ExitReason.None, 0);
        }

        // Qualification: bit 0 (U → read, always), bit 1 write, bit 2 fetch; bits 5:3 = R/W/X ANDed over the walk
        // (the other levels are RWX, so it is this entry's XWR); bit 7 GVA valid; bit 8 final translation.
        ulong qualification = EptViolation.AccRead
            | (kind == AccessKind.Write ? EptViolation.AccWrite : 0)
            | (kind == AccessKind.Fetch ? EptViolation.AccInstr : 0)
            | ((ulong)xwr << EptViolation.RwxShift)
            | EptViolation.GvaIsValid
            | EptViolation.GvaTranslated;
        return (WalkOutcome.VmExit, ExitReason.EptViolation, qualification);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void A_reserved_memory_type_in_a_leaf_is_a_misconfiguration(int memoryType)
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var entryGpa = rig.TdpEntryGpa(1);
        var original = rig.Experiment.Memory.Single(m => m.Gpa == entryGpa).Value;
        var steps = NestedRig.Run(rig.With(
            new PokeStep(entryGpa, (original & ~0x38UL) | ((ulong)memoryType << 3)),
            NestedRig.Read()));

        var walk = ((AccessResult)steps[1]).Walk;
        Assert.Equal(ExitReason.EptMisconfig, walk.ExitReason);
        Assert.Equal(0UL, walk.ExitInfo);
    }

    [Fact]
    public void A_violation_on_an_L2_page_table_access_leaves_bit_8_clear_and_reports_the_table_write()
    {
        // Make the EPT leaf of L2's PML4 page read-only: the walk must write A into it (nested access W|U).
        var rig = NestedRig.Build(new NestedSetup.Options());
        var pml4L2Gpa = rig.L2Tables.Root;
        var leaf = rig.Tdp!.EntryGpa(pml4L2Gpa, 1)!.Value;
        var original = rig.Experiment.Memory.Single(m => m.Gpa == leaf).Value;
        var steps = NestedRig.Run(rig.With(new PokeStep(leaf, original & ~EptPte.WritableMask), NestedRig.Read()));

        var walk = ((AccessResult)steps[1]).Walk;
        Assert.Equal(ExitReason.EptViolation, walk.ExitReason);
        Assert.Equal(EptViolation.AccRead | EptViolation.AccWrite | (0b101UL << EptViolation.RwxShift) | EptViolation.GvaIsValid, walk.ExitInfo);
        Assert.Equal(pml4L2Gpa, walk.FaultAddress);
    }

    [Fact]
    public void After_a_VM_exit_L1_runs_and_the_next_L2_step_resumes_L2()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var entryGpa = rig.TdpEntryGpa(1);
        var original = rig.Experiment.Memory.Single(m => m.Gpa == entryGpa).Value;
        var steps = NestedRig.Run(rig.With(
            new PokeStep(entryGpa, original & ~7UL),
            NestedRig.Read(),
            new AccessStep(AccessKind.Read, 0x40_0000) { Level = 1 },
            new PokeStep(entryGpa, original),
            NestedRig.Read()));

        Assert.Equal(ExitReason.EptViolation, ((AccessResult)steps[1]).Walk.ExitReason);
        Assert.Equal("root_mmu", ((AccessResult)steps[2]).Contexts!.Value.Mmu);
        Assert.True(((AccessResult)steps[2]).Walk.IsOk);
        Assert.True(((AccessResult)steps[4]).Walk.IsOk);
        Assert.Equal("guest_mmu", ((AccessResult)steps[4]).Contexts!.Value.Mmu);
    }
}
