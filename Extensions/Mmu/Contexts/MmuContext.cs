using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Contexts
{
    /// <summary>Which fault handler an MMU runs (KVM <c>kvm_mmu::page_fault</c>).</summary>
    public enum PageFaultHandler
    {
        /// <summary>Never set: the object builds no page tables (6.12 <c>nested_mmu</c>).</summary>
        None = 0,

        /// <summary><c>kvm_tdp_page_fault</c>: direct map of guest memory by GPA.</summary>
        Tdp = 1,

        /// <summary><c>nonpaging_page_fault</c>: shadow paging while the guest has paging off.</summary>
        NonPaging = 2,

        /// <summary><c>paging32_page_fault</c>: shadows 32-bit guest tables.</summary>
        Paging32 = 3,

        /// <summary><c>paging64_page_fault</c>: shadows PAE / 4- / 5-level guest tables (and L1's NPT).</summary>
        Paging64 = 4,

        /// <summary><c>ept_page_fault</c>: shadows L1's EPT tables.</summary>
        Ept = 5,
    }

    /// <summary>
    /// The page-table-building half of KVM's <c>struct kvm_mmu</c>: the root role (the format of the SPTEs it builds),
    /// its fault handler, whether it can sync SPTEs from guest entries, and the walker whose guest tables it shadows
    /// (post-chainsaw <c>kvm_mmu::w</c>). In 6.12 one <c>struct kvm_mmu</c> is this plus a <see cref="PageWalker"/>
    /// under one name.
    /// </summary>
    public sealed class MmuContext
    {
        private bool _configured;

        /// <summary>Creates an MMU named as its structure variant names it, shadowing <paramref name="walker"/>'s tables.</summary>
        public MmuContext(string name, PageWalker walker)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            ArgumentNullException.ThrowIfNull(walker);
            Name = name;
            Walker = walker;
        }

        /// <summary>The variant's name for this object.</summary>
        public string Name { get; }

        /// <summary>The walker whose guest tables this MMU shadows or, for a direct MMU, the one used for emulation.</summary>
        public PageWalker Walker { get; }

        /// <summary>Role of the root it builds (KVM <c>root_role</c>), the single source of truth for the SPTE format.</summary>
        public PageRole RootRole { get; private set; }

        /// <summary>Its fault handler.</summary>
        public PageFaultHandler PageFault { get; private set; }

        /// <summary>KVM <c>sync_spte</c> is set: the MMU shadows guest tables and can resync unsync pages.</summary>
        public bool HasSyncSpte { get; private set; }

        /// <summary>True while the MMU builds a direct map (no guest tables behind its pages).</summary>
        public bool IsDirect => RootRole.Direct;

        /// <summary>How often its root role changed (KVM init functions that did not return early).</summary>
        public int Reconfigurations { get; private set; }

        /// <summary>
        /// Sets the root role and handlers (KVM <c>init_kvm_tdp_mmu</c> / <c>shadow_mmu_init_context</c> /
        /// <c>kvm_init_shadow_ept_mmu</c>); no-op when the root role is unchanged.
        /// </summary>
        /// <returns>True when something changed.</returns>
        public bool Configure(PageRole rootRole, PageFaultHandler pageFault, bool hasSyncSpte)
        {
            if (_configured && rootRole.Word == RootRole.Word && pageFault == PageFault && hasSyncSpte == HasSyncSpte)
            {
                return false;
            }

            RootRole = rootRole;
            PageFault = pageFault;
            HasSyncSpte = hasSyncSpte;
            _configured = true;
            Reconfigurations++;
            return true;
        }

        /// <summary>The root loaded now (KVM <c>root</c>: <c>{pgd, hpa}</c>); null until the first fault loads one.</summary>
        public Shadow.ShadowRoot? Root { get; internal set; }

        /// <summary>Earlier roots kept for a fast switch back, most recent first, at most 3 (KVM <c>prev_roots</c>).</summary>
        public List<Shadow.ShadowRoot> PrevRoots { get; } = new();

        /// <summary>KVM <c>kvm_mmu_after_set_cpuid</c>: <c>root_role.invalid = 1</c>, forcing the next init to rebuild.</summary>
        public void InvalidateRootRole()
        {
            RootRole = RootRole.WithInvalid(true);
            _configured = false;
        }

        /// <inheritdoc/>
        public override string ToString() => $"{Name}: {PageFault} root_role 0x{RootRole.Word:x}";
    }
}
