using System.Collections.Immutable;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// What running an <see cref="Experiment"/> produced, as values: one <see cref="StepResult"/> per step, or an
/// <see cref="Error"/> when the experiment could not run (then <see cref="Steps"/> is empty). Faults are results,
/// not errors: a #PF or a #GP on a register write is what the CPU does.
/// </summary>
public sealed record ExperimentResult
{
    /// <summary>The experiment's name (<c>null</c> when it has none or it could not be read).</summary>
    public string? Name { get; init; }

    /// <summary>One result per step, in order.</summary>
    public ImmutableArray<StepResult> Steps { get; init; } = ImmutableArray<StepResult>.Empty;

    /// <summary><c>"&lt;field&gt;: &lt;what is wrong&gt;"</c> when the experiment is invalid, else <c>null</c>.</summary>
    public string? Error { get; init; }

    /// <summary>True when the experiment ran (whatever its steps' outcomes).</summary>
    public bool Succeeded => Error is null;

    /// <summary>The result of an experiment that could not run.</summary>
    public static ExperimentResult Invalid(string? name, string error) => new() { Name = name, Error = error };
}

/// <summary>The outcome of one step; the concrete types are the result shapes of the format.</summary>
public abstract record StepResult
{
    private protected StepResult()
    {
    }
}

/// <summary>
/// An access step's walk: <c>{"result": "ok", "gpa": ...}</c> or <c>{"result": "page_fault", "error_code": ...,
/// "cr2": ...}</c>, plus the page-table reads and writes when tracing.
/// </summary>
/// <param name="Walk">The model's walk result.</param>
/// <param name="Trace">Every page-table read and A/D write of the walk, in order; default (not empty) when not traced.</param>
/// <param name="Contexts">Which contexts served the access (reported with the trace); null when not traced.</param>
public sealed record AccessResult(WalkResult Walk, ImmutableArray<TraceEntry> Trace, ServingContexts? Contexts = null) : StepResult;

/// <summary>A peek step's value: <c>{"u64": "0x..."}</c>.</summary>
/// <param name="Value">The 64-bit word read.</param>
public sealed record PeekResult(ulong Value) : StepResult;

/// <summary>A poke, invlpg or set step that completed: <c>{"result": "ok"}</c>.</summary>
public sealed record CompletedResult : StepResult
{
    /// <summary>The one instance.</summary>
    public static CompletedResult Instance { get; } = new();
}

/// <summary>
/// A register write the CPU refuses with #GP(0): <c>{"result": "gp", "register": "cr4", "error": "..."}</c>.
/// Writes of the same step before it took effect; the ones after it were not attempted.
/// </summary>
/// <param name="Register">The register whose write faulted.</param>
/// <param name="Error">The model's reason (which architectural check failed).</param>
public sealed record GeneralProtectionResult(VcpuRegister Register, string Error) : StepResult;

/// <summary>A dump step's MMU state: <c>{"mmu": NAME, "root_role": "0x..", "shadow_pages": [...]}</c>.</summary>
/// <param name="Dump">The state as a value.</param>
public sealed record DumpResult(Shadow.MmuDump Dump) : StepResult;
