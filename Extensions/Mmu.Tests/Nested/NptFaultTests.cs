using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>
/// NPF exits under nested NPT, as kvm-unit-tests' <c>svm_npt</c> tests check them: <c>EXITINFO1</c> = the #PF-style
/// error code of L1's NPT walk (which is a user walk) plus bit 32 (final GPA) or bit 33 (guest page-table access),
/// <c>EXITINFO2</c> = the L2 GPA (APM 15.25.6).
/// </summary>
public class NptFaultTests
{
    public static TheoryData<string, int, ulong, ulong, AccessKind, ulong> Cases => new()
    {
        // name, level of the data page's NPT path, bits cleared, bits set, operation, expected EXITINFO1
        { "not present leaf, read", 1, Pte64.PresentMask, 0, AccessKind.Read, NestedPageFault.GuestFinal | 0x4 },
        { "not present leaf, write", 1, Pte64.PresentMask, 0, AccessKind.Write, NestedPageFault.GuestFinal | 0x6 },
        { "not present PDPTE", 3, Pte64.PresentMask, 0, AccessKind.Read, NestedPageFault.GuestFinal | 0x4 },
        { "supervisor leaf (U=0)", 1, Pte64.UserMask, 0, AccessKind.Read, NestedPageFault.GuestFinal | 0x5 },
        { "supervisor PDE (U=0)", 2, Pte64.UserMask, 0, AccessKind.Read, NestedPageFault.GuestFinal | 0x5 },
        { "read-only leaf, write", 1, Pte64.WritableMask, 0, AccessKind.Write, NestedPageFault.GuestFinal | 0x7 },
        { "read-only leaf, read", 1, Pte64.WritableMask, 0, AccessKind.Read, 0 },
        { "NX leaf, fetch", 1, 0, Pte64.NxMask, AccessKind.Fetch, NestedPageFault.GuestFinal | 0x15 },
        { "NX leaf, read", 1, 0, Pte64.NxMask, AccessKind.Read, 0 },
        { "reserved bit 51 in the leaf", 1, 0, 1UL << 51, AccessKind.Read, NestedPageFault.GuestFinal | 0xD },
        { "PS in the PML4E (reserved)", 4, 0, Pte64.PageSizeMask, AccessKind.Read, NestedPageFault.GuestFinal | 0xD },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_NPF_exit_info_is_the_NPT_walks_error_code_and_stage(string name, int level, ulong clear, ulong set, AccessKind kind, ulong exitInfo1)
    {
        var rig = NestedRig.Build(new NestedSetup.Options { Kind = NestedKind.Svm });
        var entryGpa = rig.TdpEntryGpa(level);
        var original = rig.Experiment.Memory.Single(m => m.Gpa == entryGpa).Value;
        var steps = NestedRig.Run(rig.With(new PokeStep(entryGpa, (original & ~clear) | set), new AccessStep(kind, NestedRig.Gva)));
        var walk = ((AccessResult)steps[1]).Walk;

        if (exitInfo1 == 0)
        {
            Assert.True(walk.IsOk, $"{name}: {walk}");
            return;
        }

        Assert.Equal(WalkOutcome.VmExit, walk.Outcome);
        Assert.Equal(ExitReason.Npf, walk.ExitReason);
        Assert.Equal(exitInfo1, walk.ExitInfo);
        Assert.Equal(NestedRig.DataL2Gpa + 0x234, walk.FaultAddress);
    }

    [Fact]
    public void A_fault_on_an_L2_page_table_sets_bit_33_and_W_from_the_accessed_bit_update()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { Kind = NestedKind.Svm });
        var leaf = rig.Tdp!.EntryGpa(rig.L2Tables.Root, 1)!.Value;
        var original = rig.Experiment.Memory.Single(m => m.Gpa == leaf).Value;
        var steps = NestedRig.Run(rig.With(new PokeStep(leaf, original & ~Pte64.WritableMask), NestedRig.Read()));
        var walk = ((AccessResult)steps[1]).Walk;

        Assert.Equal(ExitReason.Npf, walk.ExitReason);
        Assert.Equal(NestedPageFault.GuestPage | 0x7, walk.ExitInfo);
        Assert.Equal(rig.L2Tables.Root, walk.FaultAddress);
    }
}
