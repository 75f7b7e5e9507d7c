using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Paging
{
    /// <summary>The guest paging mode, which selects the walker instantiation (KVM <c>init_kvm_tdp_mmu</c>'s gva_to_gpa choice).</summary>
    public enum PagingMode
    {
        /// <summary>CR0.PG = 0 (<see cref="NoPagingFormat"/>).</summary>
        None = 0,

        /// <summary>32-bit paging (<see cref="Legacy32Format"/>).</summary>
        Legacy32 = 2,

        /// <summary>PAE paging (<see cref="PaeFormat"/>).</summary>
        Pae = 3,

        /// <summary>4-level IA-32e paging (<see cref="Long4Format"/>).</summary>
        Long4 = 4,

        /// <summary>5-level IA-32e paging (<see cref="Long5Format"/>).</summary>
        Long5 = 5,

        /// <summary>4-level EPT tables, walked for an L2 guest-physical address (<see cref="Ept4Format"/>).</summary>
        Ept4 = 0x14,

        /// <summary>5-level EPT tables (<see cref="Ept5Format"/>).</summary>
        Ept5 = 0x15,
    }

    /// <summary>Helpers for <see cref="PagingMode"/>.</summary>
    public static class PagingModes
    {
        /// <summary>
        /// The mode of a CPU role, read only from the role as KVM does: <c>!is_cr0_pg</c> → nonpaging,
        /// <c>is_cr4_pae</c> → paging64 (level 3, 4 or 5), else paging32 (KVM mmu.c <c>init_kvm_tdp_mmu</c>).
        /// </summary>
        public static PagingMode FromRole(CpuRole role)
        {
            if (!role.IsPaging)
            {
                return PagingMode.None;
            }

            if (!role.IsPae)
            {
                return PagingMode.Legacy32;
            }

            return role.Level switch
            {
                5 => PagingMode.Long5,
                4 => PagingMode.Long4,
                _ => PagingMode.Pae,
            };
        }

        /// <summary>Root level of the mode (0, 2, 3, 4, 5).</summary>
        public static int RootLevel(this PagingMode mode) => (int)mode & 0xF;

        /// <summary>The mode walks EPT tables (input: an L2 guest-physical address) rather than x86 paging structures.</summary>
        public static bool IsEpt(this PagingMode mode) => mode is PagingMode.Ept4 or PagingMode.Ept5;

        /// <summary>Short name as used in traces, dumps and experiment files: none, 32bit, pae, 4level, 5level, ept4, ept5.</summary>
        public static string DisplayName(this PagingMode mode) => mode switch
        {
            PagingMode.None => "none",
            PagingMode.Legacy32 => "32bit",
            PagingMode.Pae => "pae",
            PagingMode.Long4 => "4level",
            PagingMode.Long5 => "5level",
            PagingMode.Ept4 => "ept4",
            PagingMode.Ept5 => "ept5",
            _ => mode.ToString(),
        };
    }
}
