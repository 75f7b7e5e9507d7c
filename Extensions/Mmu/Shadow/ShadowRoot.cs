namespace Workbench.Mmu.Shadow
{
    /// <summary>
    /// A loaded root (KVM <c>struct kvm_mmu_root_info</c> {pgd, hpa}): the guest root it shadows and the top table(s).
    /// PAE and 32-bit guests are shadowed with four level-2 tables (KVM <c>pae_root[4]</c>), one per GiB of the
    /// 32-bit linear space; other roots are one table.
    /// </summary>
    /// <param name="Pgd">The guest root it shadows (CR3, EPTP, nCR3; 0 for a direct root).</param>
    /// <param name="RoleWord">The root role it was built for.</param>
    /// <param name="Pages">One top table, or four PAE roots (null where the PDPTE is not present).</param>
    public sealed record ShadowRoot(ulong Pgd, uint RoleWord, ShadowPage?[] Pages)
    {
        /// <summary>Four PAE roots rather than one table.</summary>
        public bool IsPae => Pages.Length == 4;
    }
}
