using Workbench.Mmu.Contexts;
using Workbench.Mmu.Shadow;

namespace Workbench.Mmu.Tests.Shadow;

/// <summary>The invariants of spec §10, checked on a VM's live MMU state; returns one sentence per violation.</summary>
public static class ShadowInvariants
{
    public static List<string> Check(Vm vm)
    {
        var problems = new List<string>();
        var layout = vm.Vcpu.Contexts;

        // (1) mmu_is_nested ⇒ arch.mmu == guest_mmu (6.12).
        if (layout is Kvm612Layout kvm && kvm.MmuIsNested && layout.ActiveMmu.Name != "guest_mmu")
        {
            problems.Add($"walk_mmu is nested_mmu but arch.mmu is {layout.ActiveMmu.Name}");
        }

        var pages = vm.Mmu.HashedPages.ToList();
        var keys = new HashSet<(ulong, uint)>();
        foreach (var page in pages)
        {
            // (4) role.word equality is the only reuse criterion: one page per (gfn, role).
            if (!keys.Add((page.Gfn, page.Role.Word)))
            {
                problems.Add($"two pages for gfn 0x{page.Gfn:x} role 0x{page.Role.Word:x}");
            }

            // (2) every indirect SP with level > 1 has its gfn write-tracked.
            if (!page.Role.Direct && page.Role.Level > 1 && !page.Role.Invalid && !vm.Mmu.IsWriteTracked(page.Gfn))
            {
                problems.Add($"{page} is not write-tracked");
            }

            // (5) no SPTE sets a bit above the host's 52 address bits in its frame field, and only leaves have PS.
            for (int i = 0; i < 512; i++)
            {
                ulong spte = page.Sptes[i];
                if (SpteFormat.IsPresent(spte) && page.Role.Level > 3 && (spte & SpteFormat.PageSize) != 0)
                {
                    problems.Add($"{page} entry {i}: PS set at level {page.Role.Level}");
                }
            }
        }

        // (3) a writable leaf SPTE never maps a gfn that has a synced (not unsync) valid indirect shadow page.
        foreach (var page in pages.Concat(vm.Mmu.TdpRoots.SelectMany(root => vm.Mmu.Reachable(new ShadowRoot(0, root.Role.Word, [root])))))
        {
            if (page.Role.Level != 1)
            {
                continue;
            }

            for (int i = 0; i < 512; i++)
            {
                ulong spte = page.Sptes[i];
                if (!SpteFormat.IsPresent(spte) || (spte & SpteFormat.Writable) == 0)
                {
                    continue;
                }

                ulong gfn = (spte & SpteFormat.AddressMask) >> 12;
                if (vm.Mmu.IndirectPagesOf(gfn).Any(sp => !sp.Unsync))
                {
                    problems.Add($"{page} entry {i} maps gfn 0x{gfn:x} writable although it is a synced shadowed table");
                }
            }
        }

        problems.AddRange(vm.Mmu.RetryFailures);
        return problems;
    }
}
