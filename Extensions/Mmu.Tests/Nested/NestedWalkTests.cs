using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>
/// The 2-D walk of an L2 access under nested EPT/NPT (spec 6.5, 6.9; KVM <c>nested_mmu</c> walking L2's tables with
/// every GPA translated through <c>guest_mmu</c>): which entries are read, in which order, in which dimension.
/// </summary>
public class NestedWalkTests
{
    [Theory]
    [InlineData(NestedKind.Vmx, PagingMode.Long4, 4, 24)]
    [InlineData(NestedKind.Vmx, PagingMode.Long5, 5, 35)]
    [InlineData(NestedKind.Vmx, PagingMode.Long4, 5, 29)]
    [InlineData(NestedKind.Svm, PagingMode.Long4, 4, 24)]
    public void A_two_dimensional_walk_reads_every_outer_table_through_the_inner_walk(NestedKind kind, PagingMode l2Paging, int tdpLevels, int reads)
    {
        var rig = NestedRig.Build(new NestedSetup.Options { Kind = kind, L2Paging = l2Paging, TdpLevels = tdpLevels, MaxPhyAddr = 46 });
        var access = (AccessResult)NestedRig.Run(rig.With(NestedRig.Read()))[0];

        Assert.True(access.Walk.IsOk, access.Walk.ToString());
        Assert.Equal(NestedRig.DataL1Gpa + 0x234, access.Walk.Gpa);
        var readEntries = access.Trace.Where(e => e.Kind == TraceKind.Read).ToList();
        Assert.Equal(reads, readEntries.Count);

        // Per outer level: a full inner walk (dimension 2) of the table's L2 GPA, then the outer entry (dimension 1);
        // finally one more inner walk for the data page's GPA.
        int outerLevels = l2Paging.RootLevel();
        var expected = new List<int>();
        for (int i = 0; i < outerLevels; i++)
        {
            expected.AddRange(Enumerable.Repeat(2, tdpLevels));
            expected.Add(1);
        }

        expected.AddRange(Enumerable.Repeat(2, tdpLevels));
        Assert.Equal(expected, readEntries.Select(e => e.Dimension));

        // Outer entries are where they really are: in L2's memory region of L1's guest-physical memory.
        Assert.All(readEntries.Where(e => e.Dimension == 1), e => Assert.InRange(e.Gpa, NestedRig.L2Base, NestedRig.L2Base + 0xFFFFF));

        // Inner entries are L1's EPT/NPT tables.
        Assert.All(readEntries.Where(e => e.Dimension == 2), e => Assert.InRange(e.Gpa, NestedRig.TdpTables, NestedRig.TdpTables + 0xFFFFF));
    }

    [Fact]
    public void The_outer_walk_sets_accessed_bits_in_L2_tables_and_the_inner_walk_in_L1s_EPT_when_enabled()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { EptAd = true });
        var access = (AccessResult)NestedRig.Run(rig.With(NestedRig.Write()))[0];

        var writes = access.Trace.Where(e => e.Kind == TraceKind.Write).ToList();
        Assert.Contains(writes, w => w.Dimension == 1 && (w.Value & Pte64.DirtyMask) != 0);
        Assert.Contains(writes, w => w.Dimension == 2 && (w.Value & (1UL << EptPte.AccessedShift)) != 0);

        // The data page's EPT leaf gets D on the final write.
        Assert.Contains(writes, w => w.Dimension == 2 && w.Gpa == rig.TdpEntryGpa(1) && (w.Value & (1UL << EptPte.DirtyShift)) != 0);
    }

    [Fact]
    public void Without_EPT_AD_the_inner_walk_writes_nothing()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { EptAd = false });
        var access = (AccessResult)NestedRig.Run(rig.With(NestedRig.Write()))[0];

        Assert.True(access.Walk.IsOk);
        Assert.DoesNotContain(access.Trace, e => e.Kind == TraceKind.Write && e.Dimension == 2);
        Assert.Contains(access.Trace, e => e.Kind == TraceKind.Write && e.Dimension == 1);
    }

    [Fact]
    public void A_fault_in_L2s_own_tables_is_a_page_fault_for_L2_with_its_linear_address()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var pte = rig.L2Tables.EntryGpa(NestedRig.Gva, 1)!.Value + NestedRig.L2Base;
        var steps = NestedRig.Run(rig.With(new PokeStep(pte, 0), NestedRig.Write(), NestedRig.Read()));

        var write = ((AccessResult)steps[1]).Walk;
        Assert.Equal(WalkOutcome.PageFault, write.Outcome);
        Assert.Equal(PfErr.Write, write.ErrorCode);
        Assert.Equal(NestedRig.Gva, write.FaultAddress);
        Assert.Equal("guest_mmu", ((AccessResult)steps[2]).Contexts!.Value.Mmu);
    }

    [Fact]
    public void An_L2_PAE_guest_under_nested_EPT_loads_its_PDPTRs_through_L1s_EPT()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { L2Paging = PagingMode.Pae });
        var access = (AccessResult)NestedRig.Run(rig.With(NestedRig.Read()))[0];

        Assert.True(access.Walk.IsOk, access.Walk.ToString());
        Assert.Equal(NestedRig.DataL1Gpa + 0x234, access.Walk.Gpa);

        // PDPTE from the register (no read), then 2 outer levels, each behind a 4-level EPT walk, plus the final one.
        Assert.Equal(2 + (3 * 4), access.Trace.Count(e => e.Kind == TraceKind.Read));
    }

    [Fact]
    public void An_L2_32bit_guest_under_nested_NPT_walks()
    {
        var rig = NestedRig.Build(new NestedSetup.Options { Kind = NestedKind.Svm, L2Paging = PagingMode.Legacy32 });
        var access = (AccessResult)NestedRig.Run(rig.With(NestedRig.Read()))[0];

        Assert.True(access.Walk.IsOk, access.Walk.ToString());
        Assert.Equal(NestedRig.DataL1Gpa + 0x234, access.Walk.Gpa);
    }
}
