using System.Collections.Immutable;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// Executes an <see cref="Experiment"/> on a fresh <see cref="Vm"/>: writes the initial memory, loads the vCPU
/// state, then performs each step and records its <see cref="StepResult"/>.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>
    /// Runs <paramref name="experiment"/>. Never throws for a bad experiment or a model failure: those come back as
    /// <see cref="ExperimentResult.Error"/> (this is the experiment boundary; steps themselves do not catch).
    /// </summary>
    public static ExperimentResult Run(Experiment experiment, RunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        options ??= RunOptions.Default;
        if (ExperimentValidator.Validate(experiment) is { } invalid)
        {
            return ExperimentResult.Invalid(experiment.Name, invalid.Message);
        }

        try
        {
            return RunValid(experiment, options);
        }
        catch (ExperimentFormatException problem)
        {
            return ExperimentResult.Invalid(experiment.Name, problem.Message);
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            // A model bug must not take down a batch of experiments; it is reported as this experiment's error.
            return ExperimentResult.Invalid(experiment.Name, $"internal error: {failure.GetType().Name}: {failure.Message}");
        }
    }

    /// <summary>Creates the VM an experiment starts from: memory written, registers loaded.</summary>
    /// <exception cref="ExperimentFormatException">The registers fail the model's checks (field <c>vcpu.&lt;register&gt;</c>).</exception>
    public static Vm CreateVm(Experiment experiment, string layout = ContextLayouts.Default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var vm = Vm.Create(experiment.Vm, layout);
        for (var i = 0; i < experiment.Memory.Length; i++)
        {
            var entry = experiment.Memory[i];
            if (!vm.Memory.TryWriteU64(entry.Gpa, entry.Value))
            {
                throw new ExperimentFormatException($"memory[{i}].gpa", $"{ExperimentNumbers.Hex(entry.Gpa)} is not writable guest memory");
            }
        }

        var load = vm.Vcpu.LoadState(experiment.Vcpu);
        if (!load.Ok)
        {
            // The model's reasons start with the register they blame ("cr4: reserved bit 5 set").
            var (register, reason) = SplitRegisterPrefix(load.Error);
            throw new ExperimentFormatException(register is null ? "vcpu" : "vcpu." + ExperimentRegisters.Name(register.Value), reason);
        }

        if (experiment.Nested is { } nested)
        {
            // VM entry into L2: the model's checks name the field (nested.eptp, nested.vcpu.cr4, ...).
            var entry = vm.Vcpu.EnterNested(nested);
            if (!entry.Ok)
            {
                throw ExperimentValidator.Split(entry.Error!);
            }
        }

        return vm;
    }

    private static ExperimentResult RunValid(Experiment experiment, RunOptions options)
    {
        var vm = CreateVm(experiment, options.Layout);
        var results = ImmutableArray.CreateBuilder<StepResult>(experiment.Steps.Length);
        for (var i = 0; i < experiment.Steps.Length; i++)
        {
            results.Add(RunStep(vm, experiment.Steps[i], i, experiment.InnermostLevel, options));
        }

        return new ExperimentResult { Name = experiment.Name, Steps = results.MoveToImmutable() };
    }

    /// <summary>
    /// Runs one step on <paramref name="vm"/> exactly as <see cref="Run"/> runs it as the experiment's step
    /// <paramref name="index"/> (a notebook session runs its steps one at a time through here, so a saved session
    /// replays bit for bit).
    /// </summary>
    /// <param name="vm">The VM, in the state the steps before left it.</param>
    /// <param name="step">The step.</param>
    /// <param name="index">Its index, for error field names (<c>steps[3].gva</c>).</param>
    /// <param name="innermostLevel">The level steps without a <c>level</c> run at (2 when the experiment has L2).</param>
    /// <param name="options">Trace, layout and hooks.</param>
    /// <exception cref="ExperimentFormatException">The step cannot run in this state (names the field).</exception>
    public static StepResult RunStep(Vm vm, ExperimentStep step, int index, int innermostLevel, RunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(step);
        options ??= RunOptions.Default;
        if (step is AccessStep or SetStep or InvlpgStep or StoreStep or DumpStep)
        {
            SwitchLevel(vm, step.Level ?? innermostLevel, index);
        }

        if (step is AccessStep or StoreStep)
        {
            options.BeforeAccess?.Invoke(vm, index);
        }

        return step switch
        {
            AccessStep access => RunAccess(vm, access, index, options),
            PeekStep peek => new PeekResult(ReadU64(vm, peek.Gpa, index)),
            PokeStep poke => Poke(vm, poke, index),
            InvlpgStep invlpg => Invlpg(vm, invlpg),
            SetStep set => RunSet(vm, set),
            CpuidStep cpuid => RunCpuid(vm, cpuid, index),
            StoreStep store => RunStore(vm, store, index, options),
            DumpStep => new DumpResult(Shadow.MmuDump.Of(vm, vm.Vcpu.Contexts)),
            var other => throw new ExperimentFormatException($"steps[{index}]", $"step kind {other.GetType().Name} is not supported"),
        };
    }

    private static StepResult RunAccess(Vm vm, AccessStep access, int index, RunOptions options)
    {
        // Outside IA-32e mode a 64-bit GVA cannot come from any instruction; which mode is in force depends on the
        // set steps before, so this is checked here rather than by the parser.
        if (ExperimentValidator.CheckLinearAddress(access.Gva, vm.Vcpu.Registers) is { } problem)
        {
            throw new ExperimentFormatException($"steps[{index}].gva", problem);
        }

        if (!options.Trace)
        {
            return new AccessResult(vm.Vcpu.Access(access.Gva, access.Kind, access.Cpl, access.Implicit), default);
        }

        // Who serves the access is read before it: a VM exit switches the vCPU back to L1's contexts.
        var contexts = vm.Vcpu.Contexts.Serving;
        var trace = new WalkTrace();
        var walk = vm.Vcpu.Access(access.Gva, access.Kind, access.Cpl, access.Implicit, trace);
        return new AccessResult(walk, [.. trace.Entries], contexts);
    }

    private static StepResult RunStore(Vm vm, StoreStep store, int index, RunOptions options)
    {
        if (ExperimentValidator.CheckLinearAddress(store.Gva, vm.Vcpu.Registers) is { } problem)
        {
            throw new ExperimentFormatException($"steps[{index}].store", problem);
        }

        if (!options.Trace)
        {
            return new AccessResult(vm.Vcpu.Store(store.Gva, store.Value, store.Cpl), default);
        }

        var contexts = vm.Vcpu.Contexts.Serving;
        var trace = new WalkTrace();
        var walk = vm.Vcpu.Store(store.Gva, store.Value, store.Cpl, trace);
        return new AccessResult(walk, [.. trace.Entries], contexts);
    }

    /// <summary>
    /// Runs the step in the guest it names: leaving L2 is a nested VM exit, entering it a VM entry with the L2 state
    /// saved at the last exit (VMRESUME / VMRUN).
    /// </summary>
    private static void SwitchLevel(Vm vm, int level, int index)
    {
        if (level == 1)
        {
            vm.Vcpu.ExitToL1();
            return;
        }

        var entry = vm.Vcpu.ResumeL2();
        if (!entry.Ok)
        {
            // L2's saved state no longer passes VM entry (e.g. L1 changed CPUID under it): the step cannot run.
            throw new ExperimentFormatException($"steps[{index}].level", "VM entry into L2 failed: " + entry.Error);
        }
    }

    private static CompletedResult RunCpuid(Vm vm, CpuidStep cpuid, int index)
    {
        var error = vm.SetCpuid(cpuid.MaxPhyAddr ?? vm.Config.MaxPhyAddr, cpuid.GbPages ?? vm.Config.GbPages);
        return error is null
            ? CompletedResult.Instance
            : throw new ExperimentFormatException($"steps[{index}].cpuid", error);
    }

    private static (VcpuRegister? Register, string Reason) SplitRegisterPrefix(string? error)
    {
        if (string.IsNullOrEmpty(error))
        {
            return (null, "rejected by the model");
        }

        var colon = error.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && ExperimentRegisters.TryParse(error[..colon], out var register)
            ? (register, error[(colon + 2)..])
            : (null, error);
    }

    private static ulong ReadU64(Vm vm, ulong gpa, int index) =>
        vm.Memory.TryReadU64(gpa, out var value)
            ? value
            : throw new ExperimentFormatException($"steps[{index}].peek", $"{ExperimentNumbers.Hex(gpa)} is not readable guest memory");

    private static CompletedResult Poke(Vm vm, PokeStep poke, int index) =>
        vm.Memory.TryWriteU64(poke.Gpa, poke.Value)
            ? CompletedResult.Instance
            : throw new ExperimentFormatException($"steps[{index}].poke", $"{ExperimentNumbers.Hex(poke.Gpa)} is not writable guest memory");

    private static CompletedResult Invlpg(Vm vm, InvlpgStep invlpg)
    {
        vm.Vcpu.Invlpg(invlpg.Gva);
        return CompletedResult.Instance;
    }

    private static StepResult RunSet(Vm vm, SetStep set)
    {
        var vcpu = vm.Vcpu;
        foreach (var write in set.Writes)
        {
            var outcome = write.Register switch
            {
                VcpuRegister.Cr0 => vcpu.SetCr0(write.Value),
                VcpuRegister.Cr3 => vcpu.SetCr3(write.Value),
                VcpuRegister.Cr4 => vcpu.SetCr4(write.Value),
                VcpuRegister.Efer => vcpu.SetEfer(write.Value),
                VcpuRegister.Rflags => vcpu.SetRflags(write.Value),
                _ => vcpu.SetPkru((uint)write.Value),
            };
            if (!outcome.Ok)
            {
                var (blamed, reason) = SplitRegisterPrefix(outcome.Error);
                return new GeneralProtectionResult(write.Register, blamed is null || blamed == write.Register ? reason : outcome.Error!);
            }
        }

        return CompletedResult.Instance;
    }
}
