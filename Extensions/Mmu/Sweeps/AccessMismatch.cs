using System.Text;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// One case where the model and the oracle disagree, with everything needed to look at it: the case by name,
/// the difference, a one-line experiment that replays it, the mapping (access.c <c>dump_mapping</c>) and the
/// walk trace of the model.
/// </summary>
/// <param name="Case">The flag word.</param>
/// <param name="Levels">Paging levels of the run (4 or 5).</param>
/// <param name="MaxPhyAddr">Guest MAXPHYADDR of the run.</param>
/// <param name="Reason">The first difference, in access.c's check order.</param>
/// <param name="Expected">What the oracle expected.</param>
/// <param name="Observed">What the model did.</param>
/// <param name="ReproductionLine">An <c>mmu-workbench.experiment/1</c> JSON line for <c>./workbench run --jsonl</c>.</param>
/// <param name="MappingDump">The paging entries on the walk before the access, one line per level.</param>
/// <param name="TraceDump">The model's walk trace of the case, replayed with tracing on.</param>
public sealed record AccessMismatch(
    AccessCase Case,
    int Levels,
    int MaxPhyAddr,
    string Reason,
    AccessExpectation Expected,
    AccessObservation Observed,
    string ReproductionLine,
    string MappingDump,
    string TraceDump)
{
    /// <summary>The case as access.c names ("pte.rw pte.p pde.p write cr0.wp").</summary>
    public string CaseNames => Case.Format();

    /// <summary>A multi-line report; its second line is the reproduction line alone.</summary>
    public string ToReport()
    {
        var report = new StringBuilder();
        report.Append($"FAIL access.c case 0x{(uint)Case:x8} ({Levels}-level, MAXPHYADDR {MaxPhyAddr}): {Reason}\n");
        report.Append(ReproductionLine).Append('\n');
        report.Append($"  case:     {CaseNames}\n");
        report.Append($"  expected: fault={Expected.Fault} error=0x{Expected.ErrorCode:x} pte=0x{Expected.Pte:x} pde=0x{Expected.Pde:x}");
        report.Append(Expected.PdeIgnore != 0 ? $" (pde ignore 0x{Expected.PdeIgnore:x})\n" : "\n");
        report.Append($"  observed: fault={Observed.Fault} error=0x{Observed.ErrorCode:x} cr2=0x{Observed.FaultAddress:x} gpa=0x{Observed.Gpa:x}");
        report.Append($" pte=0x{Observed.Pte:x} pde=0x{Observed.Pde:x}{(Observed.Outcome is not (Walk.WalkOutcome.Ok or Walk.WalkOutcome.PageFault) ? " outcome=" + Observed.Outcome : string.Empty)}\n");
        report.Append("  mapping before the access:\n").Append(MappingDump);
        report.Append("  walk trace (model):\n").Append(TraceDump);
        return report.ToString();
    }
}
