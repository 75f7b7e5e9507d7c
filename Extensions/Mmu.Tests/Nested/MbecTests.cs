using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>
/// Mode-based execute control for L1's EPT (SDM 29.3.2, 29.3.3): bit 2 allows execution from supervisor-mode linear
/// addresses, bit 10 (XU) from user-mode ones (U/S = 1 in the L2 walk); XU alone makes an entry present; the exit
/// qualification reports XU in bit 6.
/// </summary>
public class MbecTests
{
    public static TheoryData<bool, bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool, bool>();
        foreach (bool userPage in new[] { false, true })
        {
            foreach (bool xs in new[] { false, true })
            {
                foreach (bool xu in new[] { false, true })
                {
                    data.Add(userPage, xs, xu, userPage ? xu : xs);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_fetch_needs_XU_for_a_user_page_and_XS_for_a_supervisor_page(bool userPage, bool xs, bool xu, bool allowed)
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var experiment = rig.Experiment with { Nested = rig.Experiment.Nested! with { Ept = rig.Experiment.Nested.Ept with { Mbec = true } } };
        ulong l2Pte = rig.L2Tables.EntryGpa(NestedRig.Gva, 1)!.Value + NestedRig.L2Base;
        ulong l2PteValue = experiment.Memory.Single(m => m.Gpa == l2Pte).Value;
        ulong eptLeaf = rig.TdpEntryGpa(1);
        ulong eptValue = experiment.Memory.Single(m => m.Gpa == eptLeaf).Value & ~(EptPte.ExecutableMask | EptPte.UserExecutableMask);
        eptValue |= (xs ? EptPte.ExecutableMask : 0) | (xu ? EptPte.UserExecutableMask : 0);
        // XU is ANDed over the levels like the other rights: the data page's upper EPT entries allow everything.
        var steps = Enumerable.Range(2, 3)
            .Select(level => rig.TdpEntryGpa(level))
            .Select(gpa => (ExperimentStep)new PokeStep(gpa, experiment.Memory.Single(m => m.Gpa == gpa).Value | EptPte.UserExecutableMask))
            .ToList();
        steps.Add(new PokeStep(l2Pte, userPage ? l2PteValue | Pte64.UserMask : l2PteValue));
        steps.Add(new PokeStep(eptLeaf, eptValue));
        steps.Add(new AccessStep(AccessKind.Fetch, NestedRig.Gva));
        var result = ExperimentRunner.Run(experiment with { Steps = [.. steps] });
        Assert.True(result.Succeeded, result.Error);
        var walk = ((AccessResult)result.Steps[^1]).Walk;

        if (allowed)
        {
            Assert.True(walk.IsOk, walk.ToString());
            return;
        }

        Assert.Equal(ExitReason.EptViolation, walk.ExitReason);
        ulong expected = EptViolation.AccRead | EptViolation.AccInstr | EptViolation.GvaIsValid | EptViolation.GvaTranslated
            | ((eptValue & 7) << EptViolation.RwxShift) | (xu ? 1UL << 6 : 0);
        Assert.Equal(expected, walk.ExitInfo);
    }

    [Fact]
    public void XU_alone_makes_an_entry_present_only_with_MBEC_and_is_execute_only()
    {
        foreach (bool mbec in new[] { false, true })
        {
            foreach (bool execOnly in new[] { false, true })
            {
                var rig = NestedRig.Build(new NestedSetup.Options { ExecOnly = execOnly });
                var experiment = rig.Experiment with { Nested = rig.Experiment.Nested! with { Ept = rig.Experiment.Nested.Ept with { Mbec = mbec } } };
                ulong eptLeaf = rig.TdpEntryGpa(1);
                var steps = Enumerable.Range(2, 3)
                    .Select(level => rig.TdpEntryGpa(level))
                    .Select(gpa => (ExperimentStep)new PokeStep(gpa, experiment.Memory.Single(m => m.Gpa == gpa).Value | EptPte.UserExecutableMask))
                    .ToList();
                steps.Add(new PokeStep(eptLeaf, NestedRig.DataL1Gpa | EptPte.UserExecutableMask | (6UL << 3)));
                steps.Add(new AccessStep(AccessKind.Read, NestedRig.Gva));
                var result = ExperimentRunner.Run(experiment with { Steps = [.. steps] });
                var walk = ((AccessResult)result.Steps[^1]).Walk;

                // Without MBEC bit 10 is ignored: not present (violation, RWX 0). With MBEC it is present and
                // execute-only: a misconfiguration without the capability, a read violation with it.
                var expected = !mbec ? ExitReason.EptViolation : execOnly ? ExitReason.EptViolation : ExitReason.EptMisconfig;
                Assert.Equal(expected, walk.ExitReason);
                if (mbec && execOnly)
                {
                    Assert.Equal(1UL << 6, walk.ExitInfo & (1UL << 6));
                }
            }
        }
    }
}
