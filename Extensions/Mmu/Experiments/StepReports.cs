using System.Collections.Immutable;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Shadow;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// One access a notebook ran on a guest, with everything the model knows about it: the result, every page-table
/// read and A/D write (both dimensions of a 2-D walk), who served it, and the shadow pages and SPTEs KVM built
/// or changed for it.
/// </summary>
/// <param name="Guest">The guest's name.</param>
/// <param name="Step">The step as recorded in the experiment (kind, GVA, CPL, implicit, level).</param>
/// <param name="Level">The level that ran it (1 or 2).</param>
/// <param name="Mode">Paging mode of that level's walk.</param>
/// <param name="NestedMode">Paging mode of L1's EPT/NPT tables when L2 ran under L1's TDP, else <see cref="PagingMode.None"/>.</param>
/// <param name="Result">The access's result (ok / #PF / VM exit).</param>
/// <param name="Trace">Every page-table read and A/D write-back, in order.</param>
/// <param name="Contexts">Who served it (read before the access: a VM exit switches to L1's contexts).</param>
/// <param name="Sptes">SPTEs the access created or changed, with their shadow pages.</param>
public sealed record AccessReport(
    string Guest,
    ExperimentStep Step,
    int Level,
    PagingMode Mode,
    PagingMode NestedMode,
    WalkResult Result,
    ImmutableArray<TraceEntry> Trace,
    ServingContexts Contexts,
    ImmutableArray<SpteChange> Sptes);

/// <summary>An SPTE an access created or changed.</summary>
/// <param name="Mmu">The MMU whose tables hold it.</param>
/// <param name="Gfn">The shadow page's gfn (for a direct page: the first gfn it maps).</param>
/// <param name="Level">The shadow page's level.</param>
/// <param name="Role">The shadow page's role word.</param>
/// <param name="NewPage">The shadow page itself was created by this access.</param>
/// <param name="Index">Index of the SPTE in its page.</param>
/// <param name="Before">Its value before (0: absent).</param>
/// <param name="After">Its value after.</param>
/// <param name="SpteFormat">The SPTE encoding of that MMU: <c>legacy</c> (x86) or <c>ept</c>.</param>
public readonly record struct SpteChange(string Mmu, ulong Gfn, int Level, uint Role, bool NewPage, int Index, ulong Before, ulong After, string SpteFormat = "legacy");

/// <summary>A <c>gva_to_gpa</c> through one walker, for inspection: its A/D writes are undone afterwards.</summary>
/// <param name="Guest">The guest's name.</param>
/// <param name="Walker">The walker's name in the guest's organization.</param>
/// <param name="Gva">The address translated.</param>
/// <param name="Access">The access bits asked for (PFERR_* bits: W, U, F).</param>
/// <param name="Result">The translation.</param>
/// <param name="Trace">Every page-table read, and the A/D writes the walk made before they were undone.</param>
/// <param name="Mode">The format of the walker's own tables (an EPT walker walks EPT entries).</param>
/// <param name="NestedMode">The format of the tables its GPAs go through (L1's EPT/NPT), or <see cref="PagingMode.None"/>.</param>
public sealed record WalkReport(string Guest, string Walker, ulong Gva, ulong Access, WalkResult Result, ImmutableArray<TraceEntry> Trace, PagingMode Mode = PagingMode.None, PagingMode NestedMode = PagingMode.None);

/// <summary>What <c>#!mmu-fault</c> did: the smallest change that makes an access fault, the access, and why.</summary>
/// <param name="Kind">The fault asked for (<c>wp</c>, <c>ept-violation</c>, …).</param>
/// <param name="Changes">The changes made to the guest, in order, in words ("CR0.WP = 1", "PTE of 0x… read-only").</param>
/// <param name="Access">The access that faulted.</param>
/// <param name="Explanation">One sentence: why this access faults.</param>
public sealed record FaultReport(string Kind, ImmutableArray<string> Changes, AccessReport Access, string Explanation);

/// <summary>The MMU state of a guest: every MMU object's roots, shadow pages and SPTEs.</summary>
/// <param name="Guest">The guest's name.</param>
/// <param name="Variant">The organization.</param>
/// <param name="Mmus">One dump per MMU object that has a root (the active one first).</param>
public sealed record DumpReport(string Guest, string Variant, ImmutableArray<MmuDump> Mmus);
