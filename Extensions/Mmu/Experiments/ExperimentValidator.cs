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
            ?? ValidateSteps(experiment);
    }

    /// <summary>Checks that <paramref name="gva"/> is canonical for the widest (5-level) address space.</summary>
    /// <returns>The problem, or <c>null</c>.</returns>
    public static string? CheckCanonical57(ulong gva) =>
        IsCanonical(gva, 57)
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

    private static bool IsCanonical(ulong address, int bits) =>
        (ulong)((long)(address << (64 - bits)) >> (64 - bits)) == address;

    private static ExperimentFormatException? ValidateVm(VmConfig vm)
    {
        if (vm.MaxPhyAddr is < VmConfig.MinMaxPhyAddr or > VmConfig.MaxMaxPhyAddr)
        {
            return new("vm.maxphyaddr", $"{vm.MaxPhyAddr} is out of range ({VmConfig.MinMaxPhyAddr}..{VmConfig.MaxMaxPhyAddr})");
        }

        if (vm.MemorySize == 0 || vm.MemorySize % 4096 != 0)
        {
            return new("vm.memory", $"{MemorySize.Format(vm.MemorySize)} is not a positive multiple of 4K");
        }

        if (vm.MemorySize > 1UL << vm.MaxPhyAddr)
        {
            return new("vm.memory", $"{MemorySize.Format(vm.MemorySize)} is more than MAXPHYADDR {vm.MaxPhyAddr} "
                + $"can address ({MemorySize.Format(1UL << vm.MaxPhyAddr)})");
        }

        if (vm.Tdp == TdpMode.Ept && vm.Vendor != Vendor.Intel)
        {
            return new("vm.tdp", "ept needs vendor intel (AMD hosts use npt)");
        }

        if (vm.Tdp == TdpMode.Npt && vm.Vendor != Vendor.Amd)
        {
            return new("vm.tdp", "npt needs vendor amd (Intel hosts use ept)");
        }

        return null;
    }

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

    private static ExperimentFormatException? ValidateSteps(Experiment experiment)
    {
        for (var i = 0; i < experiment.Steps.Length; i++)
        {
            var step = experiment.Steps[i];
            var prefix = $"steps[{i}]";
            var problem = step switch
            {
                AccessStep access => ValidateAccess(access, prefix),
                PeekStep peek => Field(prefix + ".peek", CheckGpa(peek.Gpa, experiment.Vm)),
                PokeStep poke => Field(prefix + ".poke", CheckGpa(poke.Gpa, experiment.Vm)),
                InvlpgStep invlpg => Field(prefix + ".invlpg", CheckCanonical57(invlpg.Gva)),
                SetStep set => ValidateSet(set, prefix + ".set"),
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
