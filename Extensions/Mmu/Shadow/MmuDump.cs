using System.Collections.Immutable;
using Workbench.Mmu.Contexts;

namespace Workbench.Mmu.Shadow
{
    /// <summary>One present SPTE of a dumped page.</summary>
    /// <param name="Index">Entry index 0..511.</param>
    /// <param name="Spte">The raw SPTE.</param>
    public readonly record struct SpteDump(int Index, ulong Spte);

    /// <summary>One shadow page as a value (KVM <c>struct kvm_mmu_page</c>'s key and state, present SPTEs only).</summary>
    /// <param name="Gfn">Shadowed guest table, or the first GFN of a direct page.</param>
    /// <param name="Level">Table level.</param>
    /// <param name="Role">The role word.</param>
    /// <param name="Direct">No guest table behind the page.</param>
    /// <param name="Unsync">SPTEs may be stale until the page is synced.</param>
    /// <param name="Sptes">Present (and MMIO) SPTEs.</param>
    public sealed record ShadowPageDump(ulong Gfn, int Level, uint Role, bool Direct, bool Unsync, ImmutableArray<SpteDump> Sptes);

    /// <summary>
    /// The MMU state <c>vcpu-&gt;arch.mmu</c> designates (the <c>{"dump": "mmu"}</c> step): its name and root role,
    /// the guest root of its current root, and every shadow page reachable from its current and previous roots.
    /// </summary>
    /// <param name="Mmu">The organization's name for the MMU.</param>
    /// <param name="RootRole">Its root role word.</param>
    /// <param name="RootPgd">The guest root the current root shadows (0: direct, or none loaded).</param>
    /// <param name="PrevRoots">Number of cached previous roots.</param>
    /// <param name="ShadowPages">Pages, top-down from each root.</param>
    /// <param name="SpteFormat">The encoding of its SPTEs: <c>legacy</c> (x86) or <c>ept</c> (<see cref="ShadowMmu.FormatOf"/>).</param>
    public sealed record MmuDump(string Mmu, uint RootRole, ulong RootPgd, int PrevRoots, ImmutableArray<ShadowPageDump> ShadowPages, string SpteFormat = "legacy")
    {
        /// <summary>Takes the dump of <paramref name="layout"/>'s active MMU.</summary>
        public static MmuDump Of(Vm vm, ContextLayout layout)
        {
            ArgumentNullException.ThrowIfNull(vm);
            ArgumentNullException.ThrowIfNull(layout);
            return Of(vm, layout.ActiveMmu);
        }

        /// <summary>Takes the dump of one MMU object (its root and prev_roots).</summary>
        public static MmuDump Of(Vm vm, MmuContext mmu)
        {
            ArgumentNullException.ThrowIfNull(vm);
            ArgumentNullException.ThrowIfNull(mmu);
            var pages = new List<ShadowPage>();
            var seen = new HashSet<ShadowPage>();
            foreach (ShadowRoot root in new[] { mmu.Root }.Concat(mmu.PrevRoots).Where(r => r is not null)!)
            {
                foreach (ShadowPage page in vm.Mmu.Reachable(root!))
                {
                    if (seen.Add(page))
                    {
                        pages.Add(page);
                    }
                }
            }

            return new MmuDump(mmu.Name, mmu.RootRole.Word, mmu.Root?.Pgd ?? 0, mmu.PrevRoots.Count, [.. pages.Select(Dump)], vm.Mmu.FormatOf(mmu).Name);
        }

        private static ShadowPageDump Dump(ShadowPage page)
        {
            var sptes = ImmutableArray.CreateBuilder<SpteDump>();
            for (int i = 0; i < 512; i++)
            {
                if (page.Sptes[i] != 0)
                {
                    sptes.Add(new SpteDump(i, page.Sptes[i]));
                }
            }

            return new ShadowPageDump(page.Gfn, page.Role.Level, page.Role.Word, page.Role.Direct, page.Unsync, sptes.ToImmutable());
        }
    }
}
