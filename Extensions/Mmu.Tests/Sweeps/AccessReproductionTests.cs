using Workbench.Mmu.Experiments;
using Workbench.Mmu.Sweeps;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Sweeps;

/// <summary>
/// A disagreement produces a report whose reproduction line is an experiment that parses and replays the case.
/// The "wrong walker" is simulated by feeding the checker fabricated observations.
/// </summary>
public sealed class AccessReproductionTests
{
    private static readonly AccessCase s_userWriteToReadOnly = AccessCase.PtePresent | AccessCase.PteUser
        | AccessCase.PdePresent | AccessCase.PdeUser | AccessCase.PdeWritable
        | AccessCase.AccessUser | AccessCase.AccessWrite | AccessCase.AccessTwice | AccessCase.CpuEferNx;

    [Fact]
    public void Checker_reports_each_kind_of_difference_in_access_c_order()
    {
        var expected = new AccessExpectation(Fault: true, ErrorCode: 0x7, Pte: 0x2000021, Pde: 0x2103027, PdeIgnore: 0);
        var right = new AccessObservation(WalkOutcome.PageFault, 0x7, AccessLayout.TestAddress, 0, 0x2000021, 0x2103027);
        Assert.Null(AccessChecker.Compare(s_userWriteToReadOnly, expected, right, AccessLayout.DataPhys, AccessLayout.TestAddress));

        Assert.StartsWith("unexpected access", AccessChecker.Compare(
            s_userWriteToReadOnly, expected, right with { Outcome = WalkOutcome.Ok, Gpa = AccessLayout.DataPhys }, AccessLayout.DataPhys, AccessLayout.TestAddress));
        Assert.StartsWith("error code 0x5 expected 0x7", AccessChecker.Compare(
            s_userWriteToReadOnly, expected, right with { ErrorCode = 0x5 }, AccessLayout.DataPhys, AccessLayout.TestAddress));
        Assert.StartsWith("pte 0x2000061 expected 0x2000021", AccessChecker.Compare(
            s_userWriteToReadOnly, expected, right with { Pte = 0x2000061 }, AccessLayout.DataPhys, AccessLayout.TestAddress));
        Assert.StartsWith("pde ", AccessChecker.Compare(
            s_userWriteToReadOnly, expected, right with { Pde = 0x2103007 }, AccessLayout.DataPhys, AccessLayout.TestAddress));
        Assert.StartsWith("fault address", AccessChecker.Compare(
            s_userWriteToReadOnly, expected, right with { FaultAddress = 0 }, AccessLayout.DataPhys, AccessLayout.TestAddress));
        Assert.StartsWith("unexpected outcome", AccessChecker.Compare(
            s_userWriteToReadOnly, expected, right with { Outcome = WalkOutcome.VmExit }, AccessLayout.DataPhys, AccessLayout.TestAddress));

        // The PDE's A bit is not compared when the oracle says it may go either way.
        var ignoring = expected with { Pde = 0x2103007, PdeIgnore = 0x20 };
        Assert.Null(AccessChecker.Compare(s_userWriteToReadOnly, ignoring, right, AccessLayout.DataPhys, AccessLayout.TestAddress));
    }

    [Fact]
    public void Fabricated_wrong_result_yields_a_reproduction_line_that_parses_and_replays()
    {
        var sweep = new AccessSweep(new AccessSweepOptions(MaxPhyAddr: 46));
        Assert.True(sweep.RunAndCheck(s_userWriteToReadOnly, out AccessExpectation expected, out AccessObservation real, out string? reason), reason);

        // A walker that let the write through would look like this.
        AccessObservation wrong = real with { Outcome = WalkOutcome.Ok, ErrorCode = 0, FaultAddress = 0, Gpa = AccessLayout.DataPhys, Pte = real.Pte | 0x40 };
        string? difference = AccessChecker.Compare(s_userWriteToReadOnly, expected, wrong, AccessLayout.DataPhys, AccessLayout.TestAddress);
        Assert.NotNull(difference);

        AccessMismatch mismatch = sweep.DescribeMismatch(s_userWriteToReadOnly, expected, wrong, difference!);
        string[] lines = mismatch.ToReport().Split('\n');
        Assert.StartsWith("FAIL access.c case 0x", lines[0]);
        Assert.Contains("unexpected access", lines[0]);
        Assert.Equal(mismatch.ReproductionLine, lines[1]);
        Assert.Contains("case:     pte.user pte.p pde.rw pde.user pde.p user write twice efer.nx", mismatch.ToReport());
        Assert.Contains("Read L4", mismatch.TraceDump);
        Assert.DoesNotContain('\n', mismatch.ReproductionLine);

        Experiment experiment = ExperimentParser.Parse(mismatch.ReproductionLine);
        Assert.Equal(46, experiment.Vm.MaxPhyAddr);
        Assert.Equal(sweep.Layout.Root, experiment.Vcpu.Cr3);
        Assert.Equal(5, experiment.Memory.Length); // PML4E, PDPTE, PDE, PTE and the RET at the test page

        // Replaying gives the model's real answer: the supervisor read, then the faulting user write.
        ExperimentResult replay = ExperimentRunner.Run(experiment);
        Assert.True(replay.Succeeded, replay.Error);
        var accesses = replay.Steps.OfType<AccessResult>().ToArray();
        Assert.Equal(2, accesses.Length);
        Assert.Equal(WalkOutcome.Ok, accesses[0].Walk.Outcome);
        Assert.Equal(WalkOutcome.PageFault, accesses[1].Walk.Outcome);
        Assert.Equal(expected.ErrorCode, (ulong)accesses[1].Walk.ErrorCode);
        var peeks = replay.Steps.OfType<PeekResult>().Select(p => p.Value).ToArray();
        Assert.Equal(new[] { expected.Pde, expected.Pte }, peeks);
    }

    [Fact]
    public void Reproduction_of_a_large_page_case_has_no_pte_and_five_level_has_a_pml5e()
    {
        AccessCase flags = AccessCase.PdePresent | AccessCase.PdePse | AccessCase.PdeBit13 | AccessCase.AccessFetch;
        Experiment experiment = AccessReproduction.Build(flags, new AccessLayout(5), 52);
        Assert.Equal(4, experiment.Memory.Count(m => m.Gpa != AccessLayout.DataPhys)); // PML5E, PML4E, PDPTE, PDE
        Assert.Equal(2, experiment.Steps.Length); // fetch, peek PDE
        Assert.Contains("pde.pse", experiment.Name);
        Experiment parsed = ExperimentParser.Parse(AccessReproduction.ToJsonLine(experiment));
        Assert.Equal(experiment.Memory.ToArray(), parsed.Memory.ToArray());
        Assert.Equal(experiment.Vcpu, parsed.Vcpu);
    }
}
