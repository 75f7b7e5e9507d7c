using System.Globalization;
using System.Text;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// A human-readable account of an experiment and its result (the default output of <c>./workbench run FILE</c>):
/// the VM, the initial registers, one line per step with its outcome, trace lines under traced accesses.
/// Deterministic like the JSON form, but meant for reading, not parsing.
/// </summary>
public static class ExperimentReport
{
    /// <summary>Formats <paramref name="result"/>; <paramref name="experiment"/> is <c>null</c> when it did not parse.</summary>
    public static string ToText(Experiment? experiment, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        var title = result.Name ?? experiment?.Name ?? "(unnamed experiment)";
        if (experiment is null)
        {
            text.Append(title).Append('\n');
            text.Append("  error: ").Append(result.Error).Append('\n');
            return text.ToString();
        }

        var vm = experiment.Vm;
        text.Append(CultureInfo.InvariantCulture,
            $"{title}: {(vm.Vendor == Vendor.Amd ? "amd" : "intel")}, MAXPHYADDR {vm.MaxPhyAddr}, {MemorySize.Format(vm.MemorySize)} memory, "
            + $"tdp {vm.Tdp.ToString().ToLowerInvariant()}, {(vm.GbPages ? "1G pages" : "no 1G pages")}, {experiment.Memory.Length} memory words\n");
        text.Append("  vcpu:");
        foreach (var register in ExperimentRegisters.All)
        {
            text.Append(' ').Append(ExperimentRegisters.Name(register)).Append('=')
                .Append(ExperimentNumbers.Hex(ExperimentRegisters.Get(experiment.Vcpu, register)));
        }

        text.Append('\n');
        if (experiment.Nested is { } nested)
        {
            var vmx = nested.Kind == Nested.NestedKind.Vmx;
            text.Append(CultureInfo.InvariantCulture, $"  nested: {(vmx ? "vmx" : "svm")}, ")
                .Append(nested.L1Tdp
                    ? $"L1 gives L2 nested {(vmx ? "EPT, eptp" : "NPT, ncr3")} {ExperimentNumbers.Hex(nested.TdpRoot)}"
                    : "L1 shadows L2's page tables")
                .Append("\n  L2 vcpu:");
            foreach (var register in ExperimentRegisters.All)
            {
                text.Append(' ').Append(ExperimentRegisters.Name(register)).Append('=')
                    .Append(ExperimentNumbers.Hex(ExperimentRegisters.Get(nested.Registers, register)));
            }

            text.Append('\n');
        }

        if (result.Error is not null)
        {
            text.Append("  error: ").Append(result.Error).Append('\n');
            return text.ToString();
        }

        for (var i = 0; i < result.Steps.Length; i++)
        {
            var step = i >= experiment.Steps.Length ? "?"
                : Describe(experiment.Steps[i]) + (experiment.Steps[i].Level is { } level ? $" @L{level}" : "");
            text.Append(CultureInfo.InvariantCulture, $"  [{i}] {step,-36} -> {Outcome(result.Steps[i])}\n");
            if (result.Steps[i] is AccessResult { Trace.IsDefault: false } access)
            {
                if (access.Contexts is { } contexts)
                {
                    text.Append(CultureInfo.InvariantCulture,
                        $"        served by mmu={contexts.Mmu} walk={contexts.Walk} guest_mode={(contexts.GuestMode ? 1 : 0)}\n");
                }

                foreach (var entry in access.Trace)
                {
                    var kind = entry.Kind switch
                    {
                        TraceKind.Read => "read ",
                        TraceKind.Write => "write",
                        _ => "pdptr",
                    };
                    var dimension = entry.Dimension switch
                    {
                        1 => " (guest)  ",
                        2 => " (EPT/NPT)",
                        _ => "",
                    };
                    text.Append(CultureInfo.InvariantCulture,
                        $"        {kind} L{entry.Level}{dimension} {ExperimentNumbers.Hex(entry.Gpa)} = {ExperimentNumbers.Hex(entry.Value)}\n");
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Names the set bits of a page-fault error code, e.g. <c>P|W|U</c>.</summary>
    public static string DescribeErrorCode(PfErr errorCode)
    {
        ReadOnlySpan<(PfErr Bit, string Name)> names =
        [
            (PfErr.Present, "P"), (PfErr.Write, "W"), (PfErr.User, "U"), (PfErr.Rsvd, "RSVD"), (PfErr.Fetch, "F"),
            (PfErr.PK, "PK"), (PfErr.SS, "SS"), (PfErr.Sgx, "SGX"), (PfErr.GuestFinal, "GUEST_FINAL"),
            (PfErr.GuestPage, "GUEST_PAGE"), (PfErr.ImplicitAccess, "IMPLICIT"),
        ];
        var parts = new List<string>();
        var rest = errorCode;
        foreach (var (bit, name) in names)
        {
            if ((errorCode & bit) != 0)
            {
                parts.Add(name);
                rest &= ~bit;
            }
        }

        if (rest != 0)
        {
            parts.Add(ExperimentNumbers.Hex((ulong)rest));
        }

        return parts.Count == 0 ? "not present, read, supervisor" : string.Join("|", parts);
    }

    private static string Describe(ExperimentStep step) => step switch
    {
        AccessStep access => string.Create(CultureInfo.InvariantCulture,
            $"{access.Kind.ToString().ToLowerInvariant(),-5} {ExperimentNumbers.Hex(access.Gva)} cpl {access.Cpl}{(access.Implicit ? " implicit" : "")}"),
        PeekStep peek => $"peek  {ExperimentNumbers.Hex(peek.Gpa)}",
        PokeStep poke => $"poke  {ExperimentNumbers.Hex(poke.Gpa)} = {ExperimentNumbers.Hex(poke.Value)}",
        InvlpgStep invlpg => $"invlpg {ExperimentNumbers.Hex(invlpg.Gva)}",
        StoreStep store => $"store {ExperimentNumbers.Hex(store.Gva)} = {ExperimentNumbers.Hex(store.Value)} cpl {store.Cpl}",
        DumpStep => "dump  mmu",
        CpuidStep cpuid => "cpuid " + string.Join(" ", new[]
        {
            cpuid.MaxPhyAddr is { } m ? $"maxphyaddr={m}" : null,
            cpuid.GbPages is { } g ? $"gbpages={(g ? "true" : "false")}" : null,
        }.Where(p => p is not null)),
        SetStep set => "set   " + string.Join(" ", set.Writes.Select(w => $"{ExperimentRegisters.Name(w.Register)}={ExperimentNumbers.Hex(w.Value)}")),
        _ => step.KindName,
    };

    private static string Outcome(StepResult result) => result switch
    {
        AccessResult { Walk: var walk } => walk.Outcome switch
        {
            WalkOutcome.Ok when walk.Level == 0 => $"ok gpa {ExperimentNumbers.Hex(walk.Gpa)} (paging off)",
            WalkOutcome.Ok => string.Create(CultureInfo.InvariantCulture,
                $"ok gpa {ExperimentNumbers.Hex(walk.Gpa)} ({MemorySize.Format(walk.PageSize)} page, leaf level {walk.Level})"),
            WalkOutcome.PageFault => $"#PF error_code {ExperimentNumbers.Hex((ulong)walk.ErrorCode)} ({DescribeErrorCode(walk.ErrorCode)}) "
                + $"cr2 {ExperimentNumbers.Hex(walk.FaultAddress)}",
            WalkOutcome.GeneralProtection => $"#GP(0) {ExperimentNumbers.Hex(walk.FaultAddress)} is not canonical",
            _ => walk.ExitReason switch
            {
                ExitReason.Npf => $"VM exit NPF exit_info_1 {ExperimentNumbers.Hex(walk.ExitInfo)} exit_info_2 {ExperimentNumbers.Hex(walk.FaultAddress)}"
                    + $" (gva {ExperimentNumbers.Hex(walk.Gva)})",
                var reason => $"VM exit {(reason == ExitReason.EptMisconfig ? "EPT_MISCONFIG" : "EPT_VIOLATION")} qualification "
                    + $"{ExperimentNumbers.Hex(walk.ExitInfo)} gpa {ExperimentNumbers.Hex(walk.FaultAddress)} gva {ExperimentNumbers.Hex(walk.Gva)}",
            },
        },
        PeekResult peek => ExperimentNumbers.Hex(peek.Value),
        DumpResult dump => $"{dump.Dump.Mmu}: root_role {ExperimentNumbers.Hex(dump.Dump.RootRole)}, {dump.Dump.ShadowPages.Length} shadow pages, "
            + $"{dump.Dump.ShadowPages.Sum(p => p.Sptes.Length)} SPTEs"
            + string.Concat(dump.Dump.ShadowPages.Select(p => $"\n        {(p.Direct ? "direct " : "")}L{p.Level} gfn {ExperimentNumbers.Hex(p.Gfn)} role {ExperimentNumbers.Hex(p.Role)}"
                + $"{(p.Unsync ? " unsync" : "")}: " + string.Join(" ", p.Sptes.Take(8).Select(e => $"[{e.Index}]={ExperimentNumbers.Hex(e.Spte)}"))
                + (p.Sptes.Length > 8 ? " ..." : ""))),
        CompletedResult => "ok",
        GeneralProtectionResult fault => $"#GP {ExperimentRegisters.Name(fault.Register)}: {fault.Error}",
        _ => result.GetType().Name,
    };
}
