using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Permissions
{
    /// <summary>
    /// KVM's <c>union kvm_cpu_role</c> (6.12, arch/x86/include/asm/kvm_host.h): the guest paging mode an MMU walks,
    /// a <see cref="PageRole"/> in the low half and an <see cref="ExtRole"/> in the high half, compared as one u64.
    /// KVM rebuilds an MMU's reserved-bit and permission tables only when this value changes.
    /// <code>
    ///  63                   32 31                    0
    /// +-----------------------+-----------------------+
    /// |   ext (ExtRole)       |   base (PageRole)     |
    /// +-----------------------+-----------------------+
    /// </code>
    /// The <c>Is…</c> accessors read only the role, as KVM's BUILD_MMU_ROLE_ACCESSOR helpers do (KVM mmu.c).
    /// </summary>
    public readonly record struct CpuRole
    {
        /// <summary>Creates a role from its 64-bit value.</summary>
        public CpuRole(ulong asU64)
        {
            AsU64 = asU64;
        }

        /// <summary>Creates a role from its two halves.</summary>
        public CpuRole(PageRole @base, ExtRole ext)
        {
            AsU64 = @base.Word | ((ulong)ext.Word << 32);
        }

        /// <summary>The raw value, <c>base | ext &lt;&lt; 32</c> (KVM <c>as_u64</c>).</summary>
        public ulong AsU64 { get; }

        /// <summary>The base role (low 32 bits).</summary>
        public PageRole Base => new PageRole((uint)AsU64);

        /// <summary>The extended role (high 32 bits).</summary>
        public ExtRole Ext => new ExtRole((uint)(AsU64 >> 32));

        /// <summary>Guest root level: 0 (paging off), 2 (32-bit), 3 (PAE), 4 or 5 (IA-32e).</summary>
        public int Level => Base.Level;

        /// <summary>CR0.PG (KVM <c>is_cr0_pg</c>: <c>base.level &gt; 0</c>).</summary>
        public bool IsPaging => Base.Level > 0;

        /// <summary>
        /// PAE-format (64-bit) entries: PAE or IA-32e paging. KVM's <c>is_cr4_pae</c> reads only
        /// <c>!has_4_byte_gpte</c> and is asked only after <c>is_cr0_pg</c>; this accessor folds that check in so that
        /// it is false when paging is off.
        /// </summary>
        public bool IsPae => IsPaging && !Base.Has4ByteGpte;

        /// <summary>IA-32e paging, 4 or 5 levels (KVM <c>is_efer_lma</c>, <c>ext.efer_lma</c>).</summary>
        public bool IsLongMode => Ext.EferLma;

        /// <summary>CR0.WP (KVM <c>is_cr0_wp</c>, <c>base.cr0_wp</c>).</summary>
        public bool IsCr0Wp => Base.Cr0Wp;

        /// <summary>EFER.NXE (KVM <c>is_efer_nx</c>, <c>base.efer_nx</c>).</summary>
        public bool IsEferNx => Base.EferNx;

        /// <summary>CR4.PSE (KVM <c>is_cr4_pse</c>, <c>ext.cr4_pse</c>).</summary>
        public bool IsCr4Pse => Ext.Cr4Pse;

        /// <summary>CR4.SMEP (KVM <c>is_cr4_smep</c>, <c>ext.cr4_smep</c>).</summary>
        public bool IsCr4Smep => Ext.Cr4Smep;

        /// <summary>CR4.SMAP (KVM <c>is_cr4_smap</c>, <c>ext.cr4_smap</c>).</summary>
        public bool IsCr4Smap => Ext.Cr4Smap;

        /// <summary>CR4.PKE in long mode (KVM <c>is_cr4_pke</c>, <c>ext.cr4_pke</c>).</summary>
        public bool IsCr4Pke => Ext.Cr4Pke;

        /// <summary>CR4.LA57 in long mode (KVM <c>is_cr4_la57</c>, <c>ext.cr4_la57</c>).</summary>
        public bool IsCr4La57 => Ext.Cr4La57;

        /// <summary>
        /// KVM 6.12 <c>kvm_calc_cpu_role</c> (mmu.c): the role of the guest paging mode described by CR0.PG/WP,
        /// CR4.PSE/PAE/LA57/SMEP/SMAP/PKE and EFER.NXE/LMA. Other register bits are ignored.
        /// </summary>
        /// <param name="regs">Register state; only CR0, CR4 and EFER are read.</param>
        /// <param name="guestMode">The vCPU runs L2 (<c>is_guest_mode</c>).</param>
        /// <param name="smm">The vCPU is in system-management mode (<c>is_smm</c>).</param>
        public static CpuRole Compute(in CpuRegisters regs, bool guestMode = false, bool smm = false)
        {
            // KVM kvm_calc_cpu_role: access = ACC_ALL, smm, guest_mode and ext.valid are set in every mode.
            PageRole baseRole = new PageRole(0)
                .WithAccess(Acc.All)
                .WithSmm(smm ? 1 : 0)
                .WithGuestMode(guestMode);
            ExtRole ext = new ExtRole(0).WithValid(true);

            // Paging off: a direct role with level 0 and nothing else.
            if ((regs.Cr0 & Cr0.PG) == 0)
            {
                return new CpuRole(baseRole.WithDirect(true), ext);
            }

            bool wp = (regs.Cr0 & Cr0.WP) != 0;
            bool pae = (regs.Cr4 & Cr4.PAE) != 0;
            bool smep = (regs.Cr4 & Cr4.SMEP) != 0;
            bool smap = (regs.Cr4 & Cr4.SMAP) != 0;
            bool la57 = (regs.Cr4 & Cr4.LA57) != 0;

            // LMA without PAE cannot happen architecturally (MOV CR0 would #GP); 6.12 treats it as a KVM bug and
            // drops LMA (spec 3.3 step 3).
            bool lma = (regs.Efer & Efer.LMA) != 0 && pae;

            int level = lma ? (la57 ? 5 : 4) : pae ? 3 : 2;

            baseRole = baseRole
                .WithEferNx((regs.Efer & Efer.NXE) != 0)
                .WithCr0Wp(wp)
                .WithSmepAndNotWp(smep && !wp)
                .WithSmapAndNotWp(smap && !wp)
                .WithHas4ByteGpte(!pae)
                .WithLevel(level);

            // Protection keys and LA57 exist only in IA-32e mode (KVM: "PKEY and LA57 are active iff long mode").
            ext = ext
                .WithCr4Smep(smep)
                .WithCr4Smap(smap)
                .WithCr4Pse((regs.Cr4 & Cr4.PSE) != 0)
                .WithCr4Pke(lma && (regs.Cr4 & Cr4.PKE) != 0)
                .WithCr4La57(lma && la57)
                .WithEferLma(lma);

            return new CpuRole(baseRole, ext);
        }

        /// <summary>Both halves, e.g. <c>base 0x00003704 level=4 … / ext 0x00000081 valid lma</c>.</summary>
        public override string ToString() => $"base {Base} / ext {Ext}";
    }
}
