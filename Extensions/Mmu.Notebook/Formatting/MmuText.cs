using System.Globalization;
using System.Text;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>The <c>text/plain</c> renderings: what consoles, logs and text-only front ends show.</summary>
public static partial class MmuText
{
    /// <summary><c>ok gpa 0x… (4K page, leaf level 1, rights UWX)</c> or <c>#PF error code 0x7 [P W U] CR2 0x…</c>.</summary>
    public static string WalkResult(WalkResult result) => result.Outcome switch
    {
        WalkOutcome.Ok => string.Create(CultureInfo.InvariantCulture,
            $"ok gpa {Bits.Hex(result.Gpa)} ({Bits.PageSize(result.PageSize)} page, leaf level {result.Level}, rights {Bits.AccessLetters(result.PteAccess)})"),
        WalkOutcome.PageFault => string.Create(CultureInfo.InvariantCulture,
            $"#PF error code {Bits.Hex((ulong)result.ErrorCode)} [{Bits.ErrorCodeNames(result.ErrorCode)}] CR2 {Bits.Hex(result.FaultAddress)} (level {result.Level}: {Bits.ExplainErrorCode(result.ErrorCode)})"),
        WalkOutcome.GeneralProtection => $"#GP(0) {Bits.Hex(result.FaultAddress)} is not canonical",
        _ => string.Create(CultureInfo.InvariantCulture,
            $"VM exit: {Bits.ExitReasonName(result.ExitReason)}, {Bits.ExitInfoName(result.ExitReason)} {Bits.Hex(result.ExitInfo)} [{Bits.SetNames(result.ExitInfo, Bits.ExitInfoBits(result.ExitReason))}] GPA {Bits.Hex(result.FaultAddress)} GVA {Bits.Hex(result.Gva)} (level {result.Level}: {Bits.ExplainExit(result.ExitReason, result.ExitInfo)})"),
    };

    /// <summary>One line per page-table access: <c>R L4 0x1000 = 0x2007 [P RW US] A 0→1</c>.</summary>
    public static string WalkTrace(IReadOnlyList<TraceEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var text = new StringBuilder();
        ulong?[] previous = Bits.PreviousValues(entries);
        for (int i = 0; i < entries.Count; i++)
        {
            TraceEntry entry = entries[i];
            string kind = entry.Kind switch { TraceKind.Read => "R", TraceKind.Write => "W", _ => "PDPTR" };
            text.Append(CultureInfo.InvariantCulture, $"{i + 1,2} {kind,-5} L{entry.Level}{(Bits.IsTdpRead(entry) ? " tdp" : string.Empty)} {Bits.Hex(entry.Gpa),-12} = {Bits.Hex(entry.Value),-20} [{Bits.SetNames(entry.Value, Bits.EntryBits)}]");
            if (entry.Kind == TraceKind.Write && previous[i] is ulong before)
            {
                text.Append("  ").Append(Bits.AccessedDirtyChange(before, entry.Value));
            }

            text.Append('\n');
        }

        return text.Length == 0 ? "(empty walk trace)\n" : text.ToString();
    }

    /// <summary>Registers with their set bits and the paging mode they select.</summary>
    public static string Registers(CpuRegisters registers) => Registers(registers, CpuRole.Compute(registers));

    private static string Registers(CpuRegisters registers, CpuRole role)
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"cr0={Bits.Hex(registers.Cr0)} [{Bits.SetNames(registers.Cr0, Bits.Cr0Bits)}] cr3={Bits.Hex(registers.Cr3)} "
            + $"cr4={Bits.Hex(registers.Cr4)} [{Bits.SetNames(registers.Cr4, Bits.Cr4Bits)}] efer={Bits.Hex(registers.Efer)} [{Bits.SetNames(registers.Efer, Bits.EferBits)}] "
            + $"rflags={Bits.Hex(registers.Rflags)} pkru={Bits.Hex(registers.Pkru)}\n"
            + $"{MmuHtml.ModeName(PagingModes.FromRole(role))}; cpu_role {role}\n");
    }

    /// <summary>The vCPU's registers, role and paging mode.</summary>
    public static string Vcpu(Vcpu vcpu)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        // The vCPU's own role (its walker's, with guest_mode while L2 runs), not one recomputed from the registers.
        var text = new StringBuilder("vCPU: ").Append(Registers(vcpu.Registers, vcpu.Role));
        if (vcpu.Mode == PagingMode.Pae)
        {
            text.Append("pdptrs: ").Append(string.Join(' ', vcpu.Pdptrs.ToArray().Select(Bits.Hex))).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The permission table as 16 lines of 8 cells (<c>#</c> = fault, <c>.</c> = allowed), then the PKRU mask.</summary>
    public static string PageFormat(PageFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        var text = new StringBuilder();
        text.Append("idx access                               ");
        text.AppendJoin(' ', Enumerable.Range(0, 8).Select(v => Bits.AccessLetters((Acc)v)));
        text.Append('\n');
        ReadOnlySpan<byte> permissions = format.Permissions;
        for (int index = 0; index < permissions.Length; index++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{index,3} {MmuHtml.PermissionIndexName(index),-36}");
            for (int access = 0; access < 8; access++)
            {
                text.Append(((permissions[index] >> access) & 1) != 0 ? "  # " : "  . ");
            }

            text.Append('\n');
        }

        text.Append("pkru_mask ").Append(Bits.Hex(format.PkruMask)).Append('\n');
        return text.ToString();
    }

    /// <summary>The experiment and its step outcomes, as <c>./workbench run</c> prints them.</summary>
    public static string ExperimentRun(ExperimentRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Source + "\n" + ExperimentReport.ToText(run.Experiment, run.Result);
    }

    /// <summary>An experiment result without its experiment: the name, then one outcome per step (or the error).</summary>
    public static string ExperimentResult(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder(result.Name ?? "(unnamed experiment)").Append('\n');
        if (result.Error is not null)
        {
            return text.Append("  error: ").Append(result.Error).Append('\n').ToString();
        }

        for (int i = 0; i < result.Steps.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  [{i}] ").Append(StepOutcome(result.Steps[i])).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The outcome of one step in one line.</summary>
    public static string StepOutcome(StepResult outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome switch
        {
            AccessResult access => WalkResult(access.Walk),
            PeekResult peek => $"{Bits.Hex(peek.Value)} [{Bits.SetNames(peek.Value, Bits.EntryBits)}]",
            CompletedResult => "ok",
            GeneralProtectionResult gp => $"#GP(0) {ExperimentRegisters.Name(gp.Register)}: {gp.Error}",
            _ => outcome.GetType().Name,
        };
    }

    /// <summary>A short description of a step: <c>read 0x401234 cpl 0</c>, <c>peek 0x4008</c>, <c>set cr0=0x…</c>.</summary>
    public static string Describe(ExperimentStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step switch
        {
            AccessStep access => string.Create(CultureInfo.InvariantCulture,
                $"{access.Kind.ToString().ToLowerInvariant()} {Bits.Hex(access.Gva)} cpl {access.Cpl}{(access.Implicit ? " implicit" : string.Empty)}"),
            PeekStep peek => "peek " + Bits.Hex(peek.Gpa),
            PokeStep poke => $"poke {Bits.Hex(poke.Gpa)} = {Bits.Hex(poke.Value)}",
            InvlpgStep invlpg => "invlpg " + Bits.Hex(invlpg.Gva),
            SetStep set => "set " + string.Join(' ', set.Writes.Select(w => $"{ExperimentRegisters.Name(w.Register)}={Bits.Hex(w.Value)}")),
            _ => step.KindName,
        };
    }
}
