using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// One <c>mmu-workbench.experiment/1</c> run as an immutable value: the VM, raw guest memory, the vCPU's initial
/// registers and the steps to execute. Files parse into it (<see cref="ExperimentParser"/>), notebooks and tools
/// build it in C#, <see cref="ExperimentWriter"/> turns it back into canonical JSON and
/// <see cref="ExperimentRunner"/> executes it. Later format parts (the nested guest) arrive as new init-only
/// properties whose default means "absent", so version-1 experiments keep their meaning.
/// </summary>
public sealed record Experiment
{
    /// <summary>The exact value of the <c>"format"</c> field.</summary>
    public const string FormatId = "mmu-workbench.experiment/1";

    /// <summary>
    /// Registers used when an experiment gives no <c>"vcpu"</c> (or leaves a register out): everything zero
    /// (paging off, real-mode-like flat addressing) except RFLAGS bit 1, which is fixed to 1.
    /// </summary>
    public static readonly CpuRegisters DefaultRegisters = new(0, 0, 0, 0, Rflags.Fixed1, 0);

    /// <summary>Free-form label copied into the result (<c>null</c>: no name).</summary>
    public string? Name { get; init; }

    /// <summary>The virtual machine: vendor, MAXPHYADDR, memory size and how the host virtualizes memory.</summary>
    public VmConfig Vm { get; init; } = new();

    /// <summary>Initial guest-physical memory contents, written in order before the vCPU state is loaded.</summary>
    public ImmutableArray<MemoryEntry> Memory { get; init; } = ImmutableArray<MemoryEntry>.Empty;

    /// <summary>Initial register values, loaded with the model's architectural checks.</summary>
    public CpuRegisters Vcpu { get; init; } = DefaultRegisters;

    /// <summary>
    /// The L2 guest L1 runs (<c>"nested"</c>), or null: how L1 virtualizes L2's memory (nested EPT/NPT or shadow
    /// paging) and L2's registers at VM entry. With it, steps run in L2 unless they say <c>"level": 1</c>.
    /// </summary>
    public NestedGuest? Nested { get; init; }

    /// <summary>What the vCPU does, in order.</summary>
    public ImmutableArray<ExperimentStep> Steps { get; init; } = ImmutableArray<ExperimentStep>.Empty;

    /// <summary>The level steps run at when they do not say: 2 with a nested guest, else 1.</summary>
    public int InnermostLevel => Nested is null ? 1 : 2;
}

/// <summary>One 64-bit word of guest-physical memory (<c>{"gpa": "0x...", "u64": "0x..."}</c>); GPA 8-byte aligned.</summary>
/// <param name="Gpa">Guest-physical address, a multiple of 8 inside the VM's memory.</param>
/// <param name="Value">The little-endian 64-bit value stored there.</param>
public readonly record struct MemoryEntry(ulong Gpa, ulong Value);

/// <summary>A register an experiment can load or write (the keys of <c>"vcpu"</c> and of a <c>"set"</c> step).</summary>
public enum VcpuRegister
{
    /// <summary><c>cr0</c>.</summary>
    Cr0,
    /// <summary><c>cr3</c>.</summary>
    Cr3,
    /// <summary><c>cr4</c>.</summary>
    Cr4,
    /// <summary><c>efer</c> (IA32_EFER).</summary>
    Efer,
    /// <summary><c>rflags</c>.</summary>
    Rflags,
    /// <summary><c>pkru</c> (32 bits).</summary>
    Pkru,
}

/// <summary>One write of a <see cref="SetStep"/>.</summary>
/// <param name="Register">The register written.</param>
/// <param name="Value">The raw value (PKRU: must fit in 32 bits).</param>
public readonly record struct RegisterAssignment(VcpuRegister Register, ulong Value);

/// <summary>One thing the vCPU does; the concrete types are the step kinds of the format.</summary>
public abstract record ExperimentStep
{
    private protected ExperimentStep()
    {
    }

    /// <summary>The key that selects this kind in JSON (<c>access</c>, <c>peek</c>, ...).</summary>
    public abstract string KindName { get; }

    /// <summary>
    /// <c>"level"</c>: the guest the step runs in, 1 (L1) or 2 (L2); null = the innermost guest. Switching level is
    /// a nested VM exit (2 → 1) or VM entry (1 → 2). Only access, set and invlpg steps have it: peek and poke address
    /// L1's guest-physical memory whoever runs.
    /// </summary>
    public int? Level { get; init; }
}

/// <summary><c>{"access": "read"|"write"|"fetch", "gva": "0x...", "cpl": 0..3, "implicit": false}</c>: a memory access
/// through the vCPU's MMU (the guest walk with its A/D updates).</summary>
/// <param name="Kind">Read, write or instruction fetch.</param>
/// <param name="Gva">Guest-virtual (linear) address.</param>
/// <param name="Cpl">Current privilege level, 0..3.</param>
/// <param name="Implicit">An implicit supervisor access (descriptor-table read and the like): SMAP ignores RFLAGS.AC.</param>
public sealed record AccessStep(AccessKind Kind, ulong Gva, int Cpl = 0, bool Implicit = false) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "access";
}

/// <summary><c>{"peek": "0xGPA"}</c>: reads a 64-bit word of guest memory (e.g. to see A/D bits the walk set).</summary>
/// <param name="Gpa">Guest-physical address, 8-byte aligned.</param>
public sealed record PeekStep(ulong Gpa) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "peek";
}

/// <summary><c>{"poke": "0xGPA", "u64": "0x..."}</c>: writes a 64-bit word of guest memory, as the guest OS would.</summary>
/// <param name="Gpa">Guest-physical address, 8-byte aligned.</param>
/// <param name="Value">Value written.</param>
public sealed record PokeStep(ulong Gpa, ulong Value) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "poke";
}

/// <summary><c>{"invlpg": "0xGVA"}</c>: invalidates the translation of one page.</summary>
/// <param name="Gva">Guest-virtual address.</param>
public sealed record InvlpgStep(ulong Gva) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "invlpg";
}

/// <summary>
/// <c>{"store": "0xGVA", "u64": "0x...", "cpl": 0}</c>: a guest 8-byte store through its paging — the write access
/// (with A/D updates and SPTEs) and then the memory write, which reaches the shadow MMU as in KVM (a write to a
/// shadowed page table is emulated and <c>kvm_mmu_track_write</c> zaps what it shadows). Unlike <c>poke</c>, which
/// writes memory from outside the guest (user space), which KVM does not see.
/// </summary>
/// <param name="Gva">Linear address, 8-byte aligned.</param>
/// <param name="Value">The value stored.</param>
/// <param name="Cpl">Current privilege level, 0..3.</param>
public sealed record StoreStep(ulong Gva, ulong Value, int Cpl = 0) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "store";
}

/// <summary><c>{"dump": "mmu"}</c>: the MMU state <c>vcpu-&gt;arch.mmu</c> designates (roots, shadow pages, SPTEs).</summary>
public sealed record DumpStep : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "dump";
}

/// <summary>
/// <c>{"cpuid": {"maxphyaddr": 40, "gbpages": false}}</c>: changes the guest CPUID bits the MMU reads, as
/// KVM_SET_CPUID2 does (KVM <c>kvm_mmu_after_set_cpuid</c>: every MMU role invalidated and rebuilt). Left-out fields
/// keep their values.
/// </summary>
/// <param name="MaxPhyAddr">New MAXPHYADDR, or null to keep it.</param>
/// <param name="GbPages">New GBPAGES, or null to keep it.</param>
public sealed record CpuidStep(int? MaxPhyAddr, bool? GbPages) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "cpuid";
}

/// <summary>
/// <c>{"set": {"cr4": "0x...", "cr0": "0x..."}}</c>: register writes with their architectural checks, performed in
/// the order written (the order matters: PAE before LME before PG). The first write that fails stops the step
/// with a #GP result; the registers keep the values written before it.
/// </summary>
/// <param name="Writes">The writes in order; each register at most once.</param>
public sealed record SetStep(ImmutableArray<RegisterAssignment> Writes) : ExperimentStep
{
    /// <inheritdoc/>
    public override string KindName => "set";
}
