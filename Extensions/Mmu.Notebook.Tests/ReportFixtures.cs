using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Shadow;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>
/// Real report values for the formatter and chart tests: guests built with the model, accesses run through
/// <see cref="Vcpu.Access"/>, SPTE changes read off MMU dumps before and after (what the notebook session does).
/// </summary>
internal static class ReportFixtures
{
    /// <summary>An L2 under L1's EPT (VMX) or NPT (SVM), both 4-level, as <see cref="NestedSetup"/> lays it out.</summary>
    public static (Vm Vm, NestedSetup.Layout Layout) Nested(NestedKind kind)
    {
        NestedSetup.Layout layout = NestedSetup.Build(new NestedSetup.Options { Kind = kind });
        return (ExperimentRunner.CreateVm(layout.Experiment), layout);
    }

    /// <summary>Rewrites an L1 guest-physical word, as L1 would.</summary>
    public static void Poke(Vm vm, ulong gpa, Func<ulong, ulong> change)
    {
        Assert.True(vm.Memory.TryReadU64(gpa, out ulong value));
        Assert.True(vm.Memory.TryWriteU64(gpa, change(value)));
    }

    /// <summary>Runs an access on <paramref name="vm"/>'s running level and reports it.</summary>
    public static AccessReport Access(string guest, Vm vm, AccessKind kind, ulong gva, int cpl = 0)
    {
        Vcpu vcpu = vm.Vcpu;
        var step = new AccessStep(kind, gva, cpl) { Level = vcpu.Level };
        int level = vcpu.Level;
        PagingMode mode = vcpu.Mode;
        PagingMode nestedMode = NestedMode(vcpu);
        ServingContexts contexts = vcpu.Contexts.Serving;
        var before = Dumps(vm);
        var trace = new WalkTrace();
        WalkResult result = vcpu.Access(gva, kind, cpl, false, trace);
        return new AccessReport(guest, step, level, mode, nestedMode, result, [.. trace.Entries], contexts, Changes(before, Dumps(vm)));
    }

    /// <summary>The MMU state: every MMU object with a root, <c>arch.mmu</c> first.</summary>
    public static DumpReport Dump(string guest, Vm vm)
    {
        ContextLayout layout = vm.Vcpu.Contexts;
        return new DumpReport(guest, layout.Name, [.. Dumps(vm).Where(d => d.Mmu == layout.ActiveMmu.Name).Concat(Dumps(vm).Where(d => d.Mmu != layout.ActiveMmu.Name))]);
    }

    private static PagingMode NestedMode(Vcpu vcpu)
    {
        if (vcpu.Level != 2 || vcpu.Nested is not { L1Tdp: true } nested)
        {
            return PagingMode.None;
        }

        // NPT tables have L1's own format (4-level here); EPT's depth is in the EPTP (SDM Vol. 3C 25.6.11).
        return nested.Kind == NestedKind.Svm ? PagingMode.Long4 : new EptPointer(nested.TdpRoot).Levels == 5 ? PagingMode.Ept5 : PagingMode.Ept4;
    }

    private static List<MmuDump> Dumps(Vm vm) =>
        vm.Vcpu.Contexts.Mmus.Where(m => m.Root is not null).Select(m => MmuDump.Of(vm, m)).ToList();

    private static ImmutableArray<SpteChange> Changes(List<MmuDump> before, List<MmuDump> after)
    {
        var old = before.SelectMany(d => d.ShadowPages.Select(p => (Key: (d.Mmu, p.Gfn, p.Level, p.Role), Page: p))).ToDictionary(x => x.Key, x => x.Page);
        var changes = ImmutableArray.CreateBuilder<SpteChange>();
        foreach (MmuDump dump in after)
        {
            foreach (ShadowPageDump page in dump.ShadowPages)
            {
                bool existed = old.TryGetValue((dump.Mmu, page.Gfn, page.Level, page.Role), out ShadowPageDump? previous);
                foreach (SpteDump spte in page.Sptes)
                {
                    ulong was = previous?.Sptes.FirstOrDefault(s => s.Index == spte.Index).Spte ?? 0;
                    if (was != spte.Spte)
                    {
                        changes.Add(new SpteChange(dump.Mmu, page.Gfn, page.Level, page.Role, !existed, spte.Index, was, spte.Spte, dump.SpteFormat));
                    }
                }
            }
        }

        return changes.ToImmutable();
    }
}
