using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Shadow
{
    /// <summary>
    /// KVM <c>struct kvm_mmu_page</c>: one 512-entry table the host builds, keyed by (<see cref="Gfn"/>,
    /// <see cref="Role"/>.Word) — "role.word equality is the only reuse criterion". Indirect pages shadow the guest
    /// table at <see cref="Gfn"/>; direct pages map the linear GPA range starting at <see cref="Gfn"/>.
    /// </summary>
    public sealed class ShadowPage
    {
        internal ShadowPage(int id, ulong gfn, PageRole role, ulong hpa, bool tdpMmu)
        {
            Id = id;
            Gfn = gfn;
            Role = role;
            Hpa = hpa;
            IsTdpMmuPage = tdpMmu;
            Sptes = new ulong[512];
            TranslationAccess = role.Direct ? null : new byte[512];
        }

        /// <summary>The page's number (its host address is derived from it; rmaps refer to pages by it).</summary>
        internal int Id { get; }

        /// <summary>Guest frame: the shadowed guest table (indirect) or the first GFN mapped (direct).</summary>
        public ulong Gfn { get; }

        /// <summary>The page's role (KVM <c>union kvm_mmu_page_role</c>).</summary>
        public PageRole Role { get; internal set; }

        /// <summary>The (modelled) host-physical address of the table, which parent SPTEs point to.</summary>
        public ulong Hpa { get; }

        /// <summary>Built by the TDP MMU (tdp_mmu.c: per-root private children, not in the hash).</summary>
        public bool IsTdpMmuPage { get; }

        /// <summary>The 512 SPTEs.</summary>
        public ulong[] Sptes { get; }

        /// <summary>
        /// Per entry the ACC rights a leaf was built with (the access half of KVM's <c>shadowed_translation</c>; the
        /// GFN half is the SPTE's frame, as the modelled host maps guest memory 1:1); null for direct pages.
        /// </summary>
        public byte[]? TranslationAccess { get; }

        /// <summary>The guest table changed under a writable mapping; SPTEs may be stale until synced (KVM <c>unsync</c>).</summary>
        public bool Unsync { get; internal set; }

        /// <summary>Number of unsync children (KVM <c>unsync_children</c>).</summary>
        public int UnsyncChildren { get; internal set; }

        /// <summary>Times the page is an active root (KVM <c>root_count</c>).</summary>
        public int RootCount { get; internal set; }

        /// <summary>Parent SPTEs that link to this page (KVM <c>parent_ptes</c>).</summary>
        internal List<(ShadowPage Parent, int Index)> Parents { get; } = new();

        /// <summary>Writes to this page's guest table since it was last used (KVM <c>write_flooding_count</c>).</summary>
        internal int WriteFloodingCount { get; set; }

        /// <summary>Zapped but still a root somewhere (KVM <c>role.invalid</c> for roots).</summary>
        public bool Invalid => Role.Invalid;

        /// <inheritdoc/>
        public override string ToString() => $"sp gfn 0x{Gfn:x} level {Role.Level} role 0x{Role.Word:x}{(Role.Direct ? " direct" : "")}{(Unsync ? " unsync" : "")}";
    }
}
