using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// The rules an <see cref="Experiment"/> must satisfy before it runs, whoever built it (the parser checks JSON
/// types; this checks values). Register contents are not judged here: the model's architectural checks do that
/// when the state is loaded or written, as the CPU would.
/// </summary>
public static class ExperimentValidator
{
    /// <summary>Returns the first problem of <paramref name="experiment"/>, or <c>null</c> when it can run.</summary>
    public static ExperimentFormatException? Validate(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return ValidateVm(experiment.Vm)
            ?? ValidateMemory(experiment)
            ?? ValidateNested(experiment)
            ?? ValidateSteps(experiment);
    }

    /// <summary>Checks that <paramref name="gva"/> is canonical for the widest (5-level) address space.</summary>
    /// <returns>The problem, or <c>null</c>.</returns>
    public static string? CheckCanonical57(ulong gva) =>
        Vcpu.IsCanonical(gva, 57)
            ? null
            : $"{ExperimentNumbers.Hex(gva)} is not canonical (bits 63..57 must equal bit 56, even with 5-level paging)";

    /// <summary>
    /// Checks that <paramref name="gva"/> fits the linear address space outside IA-32e mode (32 bits). In IA-32e
    /// mode every 57-bit-canonical value is accepted: one the current mode cannot use is the CPU's #GP(0), a step
    /// result the model produces.
    /// </summary>
    /// <returns>The problem, or <c>null</c>.</returns>
    public static string? CheckLinearAddress(ulong gva, in CpuRegisters registers) =>
        (registers.Efer & Efer.LMA) == 0 && gva > uint.MaxValue
            ? $"{ExperimentNumbers.Hex(gva)} is beyond the 32-bit linear address space (EFER.LMA=0)"
            : null;

    private static ExperimentFormatException? ValidateVm(VmConfig vm) =>
        vm.Check() is { } problem ? new("vm." + problem.Field, problem.Message) : null;

    private static ExperimentFormatException? ValidateMemory(Experiment experiment)
    {
        var firstIndexByGpa = new Dictionary<ulong, int>();
        for (var i = 0; i < experiment.Memory.Length; i++)
        {
            var gpa = experiment.Memory[i].Gpa;
            var field = $"memory[{i}].gpa";
            if (CheckGpa(gpa, experiment.Vm) is { } problem)
            {
                return new(field, problem);
            }

            if (!firstIndexByGpa.TryAdd(gpa, i))
            {
                return new(field, $"{ExperimentNumbers.Hex(gpa)} is already set by memory[{firstIndexByGpa[gpa]}]");
            }
        }

        return null;
    }

    private static ExperimentFormatException? ValidateNested(Experiment experiment)
    {
        if (experiment.Nested is not { } nested)
        {
            return null;
        }

        // The model's own VM-entry check names the field ("nested.eptp: ..."): one rule, one place.
        return nested.Check(experiment.Vm, experiment.Vcpu) is { } problem ? Split(problem) : null;
    }

    /// <summary>Turns a model message that starts with its field (<c>"nested.eptp: reason"</c>) into a format error.</summary>
    internal static ExperimentFormatException Split(string message)
    {
        var colon = message.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 ? new(message[..colon], message[(colon + 2)..]) : new("nested", message);
    }

    private static ExperimentFormatException? ValidateSteps(Experiment experiment)
    {
        for (var i = 0; i < experiment.Steps.Length; i++)
        {
            var step = experiment.Steps[i];
            var prefix = $"steps[{i}]";
            if (step?.Level is { } level && (level is < 1 or > 2 || (level == 2 && experiment.Nested is null)))
            {
                return new(prefix + ".level", level is < 1 or > 2
                    ? $"{level} is out of range (1..2)"
                    : "2 needs an L2 guest (a \"nested\" object); without one every step runs in L1");
            }

            var problem = step switch
            {
                AccessStep access => ValidateAccess(access, prefix),
                PeekStep peek => Field(prefix + ".peek", CheckGpa(peek.Gpa, experiment.Vm)),
                PokeStep poke => Field(prefix + ".poke", CheckGpa(poke.Gpa, experiment.Vm)),
                InvlpgStep invlpg => Field(prefix + ".invlpg", CheckCanonical57(invlpg.Gva)),
                SetStep set => ValidateSet(set, prefix + ".set"),
                CpuidStep cpuid => ValidateCpuid(cpuid, prefix + ".cpuid", experiment.Vm),
                StoreStep store => ValidateStore(store, prefix),
                DumpStep => null,
                null => new(prefix, "missing step"),
                _ => new(prefix, $"step kind {step.GetType().Name} is not part of {Experiment.FormatId}"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static ExperimentFormatException? ValidateAccess(AccessStep access, string prefix)
    {
        if (!Enum.IsDefined(access.Kind))
        {
            return new(prefix + ".access", $"{(int)access.Kind} is not read, write or fetch");
        }

        if (access.Cpl is < 0 or > 3)
        {
            return new(prefix + ".cpl", $"{access.Cpl} is out of range (0..3)");
        }

        return Field(prefix + ".gva", CheckCanonical57(access.Gva));
    }

    private static ExperimentFormatException? ValidateSet(SetStep set, string field)
    {
        if (set.Writes.IsDefaultOrEmpty)
        {
            return new(field, "no register to write");
        }

        var seen = new HashSet<VcpuRegister>();
        foreach (var write in set.Writes)
        {
            var registerField = field + "." + ExperimentRegisters.Name(write.Register);
            if (!Enum.IsDefined(write.Register))
            {
                return new(field, $"{(int)write.Register} is not a register");
            }

            if (!seen.Add(write.Register))
            {
                return new(registerField, "written twice in one step");
            }

            if (write.Register == VcpuRegister.Pkru && write.Value > uint.MaxValue)
            {
                return new(registerField, $"{ExperimentNumbers.Hex(write.Value)} does not fit in 32 bits");
            }
        }

        return null;
    }

    private static ExperimentFormatException? ValidateStore(StoreStep store, string prefix)
    {
        if (store.Cpl is < 0 or > 3)
        {
            return new(prefix + ".cpl", $"{store.Cpl} is out of range (0..3)");
        }

        if ((store.Gva & 7) != 0)
        {
            return new(prefix + ".store", $"{ExperimentNumbers.Hex(store.Gva)} is not 8-byte aligned (a store writes one 8-byte word)");
        }

        return Field(prefix + ".store", CheckCanonical57(store.Gva));
    }

    private static ExperimentFormatException? ValidateCpuid(CpuidStep cpuid, string field, VmConfig vm)
    {
        if (cpuid.MaxPhyAddr is null && cpuid.GbPages is null)
        {
            return new(field, "nothing to change (expected maxphyaddr and/or gbpages)");
        }

        var next = vm with { MaxPhyAddr = cpuid.MaxPhyAddr ?? vm.MaxPhyAddr, GbPages = cpuid.GbPages ?? vm.GbPages };
        return next.Check() is { } problem ? new(field + "." + (problem.Field == "memory" ? "maxphyaddr" : problem.Field), problem.Message) : null;
    }

    private static string? CheckGpa(ulong gpa, VmConfig vm)
    {
        if ((gpa & 7) != 0)
        {
            return $"{ExperimentNumbers.Hex(gpa)} is not 8-byte aligned";
        }

        return gpa >= vm.MemorySize || vm.MemorySize - gpa < 8
            ? $"{ExperimentNumbers.Hex(gpa)} is beyond guest memory ({MemorySize.Format(vm.MemorySize)})"
            : null;
    }

    private static ExperimentFormatException? Field(string field, string? problem) =>
        problem is null ? null : new ExperimentFormatException(field, problem);
}
