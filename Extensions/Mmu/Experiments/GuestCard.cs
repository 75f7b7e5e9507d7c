using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Experiments;

/// <summary>One MMU object of the vCPU's organization (a <c>struct kvm_mmu</c>, or a chainsaw <c>kvm_mmu</c>).</summary>
/// <param name="Name">The organization's name for it (<c>root_mmu</c>, <c>guest_mmu</c>, …).</param>
/// <param name="RootRole">Its <c>root_role</c> (invalid when never configured).</param>
/// <param name="PageFault">Which fault handler it uses.</param>
/// <param name="Root">The loaded root's guest page-directory address (CR3, EPTP/nCR3 root; 0 for a direct TDP root), or <see langword="null"/> when none is loaded.</param>
/// <param name="PrevRoots">Cached previous roots (<c>prev_roots</c>).</param>
public sealed record MmuObjectCard(string Name, PageRole RootRole, PageFaultHandler PageFault, ulong? Root, int PrevRoots);

/// <summary>One walker of the organization (the walking half of a 6.12 <c>kvm_mmu</c>, a chainsaw <c>kvm_pagewalk</c>).</summary>
/// <param name="Name">The organization's name for it.</param>
/// <param name="Mode">Paging format it walks.</param>
/// <param name="CpuRole">Its <c>cpu_role</c> (raw 64-bit union).</param>
/// <param name="Root">The table root it walks from (CR3, EPTP or nCR3 address).</param>
/// <param name="TranslatesThrough">The walker its GPAs go through (nested walks), or <see langword="null"/>.</param>
public sealed record WalkerCard(string Name, PagingMode Mode, ulong CpuRole, ulong Root, string? TranslatesThrough);

/// <summary>A pointer of the organization and what it designates now (<c>arch.mmu</c> → <c>guest_mmu</c>).</summary>
/// <param name="Pointer">The pointer's name.</param>
/// <param name="Target">The name of the object it designates.</param>
public readonly record struct ContextPointerCard(string Pointer, string Target);

/// <summary>
/// Everything about a notebook guest a KVM developer reads first: the VM, the running level's registers and roles,
/// and the context organization (objects, walkers, pointers, who serves accesses). Built from the model
/// (<see cref="Of"/>); renderings only lay it out.
/// </summary>
/// <param name="Name">The guest's name in the session.</param>
/// <param name="Variant">The context organization (<see cref="ContextLayouts"/> name).</param>
/// <param name="Vm">The VM's configuration.</param>
/// <param name="Level">1 (L1 runs) or 2 (L2 runs).</param>
/// <param name="Registers">The running level's registers.</param>
/// <param name="L1Registers">L1's registers (equal to <paramref name="Registers"/> at level 1).</param>
/// <param name="Mode">Paging mode of the running level.</param>
/// <param name="CpuRole">The running walker's <c>cpu_role</c>.</param>
/// <param name="RootRole"><c>arch.mmu</c>'s <c>root_role</c>.</param>
/// <param name="Nested">The L2 guest, if one was entered.</param>
/// <param name="Mmus">Every MMU object.</param>
/// <param name="Walkers">Every walker.</param>
/// <param name="Pointers">Every pointer and its target.</param>
/// <param name="Serving">Who serves an access now.</param>
/// <param name="Steps">Steps run so far (the experiment's length).</param>
public sealed record GuestCard(
    string Name,
    string Variant,
    VmConfig Vm,
    int Level,
    CpuRegisters Registers,
    CpuRegisters L1Registers,
    PagingMode Mode,
    CpuRole CpuRole,
    PageRole RootRole,
    NestedGuest? Nested,
    ImmutableArray<MmuObjectCard> Mmus,
    ImmutableArray<WalkerCard> Walkers,
    ImmutableArray<ContextPointerCard> Pointers,
    ServingContexts Serving,
    int Steps)
{
    /// <summary>Reads the card off a live VM.</summary>
    /// <param name="name">The guest's name.</param>
    /// <param name="vm">The VM.</param>
    /// <param name="steps">Steps run so far.</param>
    public static GuestCard Of(string name, Vm vm, int steps = 0)
    {
        ArgumentNullException.ThrowIfNull(vm);
        Vcpu vcpu = vm.Vcpu;
        ContextLayout layout = vcpu.Contexts;
        return new GuestCard(
            name,
            layout.Name,
            vm.Config,
            vcpu.Level,
            vcpu.Registers,
            vcpu.L1Registers,
            vcpu.Mode,
            vcpu.Role,
            layout.ActiveMmu.RootRole,
            vcpu.Nested,
            [.. layout.Mmus.Select(m => new MmuObjectCard(m.Name, m.RootRole, m.PageFault, m.Root?.Pgd, m.PrevRoots.Count))],
            [.. layout.Walkers.Select(w => new WalkerCard(w.Name, w.Mode, w.CpuRole.AsU64, w.Root, w.TranslateThrough?.Name))],
            [.. layout.Pointers],
            layout.Serving,
            steps);
    }
}
