using System.Numerics;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu
{
    /// <summary>Register writes with the architectural checks of MOV to CR and WRMSR.</summary>
    public sealed partial class Vcpu
    {
        /// <summary>CR0 bits KVM keeps; other low bits are reserved but "writes to CR0 reserved bits are ignored, even on Intel" (KVM CR0_RESERVED_BITS).</summary>
        private const ulong Cr0Known = Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.NW | Cr0.CD | Cr0.PG;

        /// <summary>CR0 bits whose change makes a PAE-paging MOV CR0 reload the PDPTRs (KVM X86_CR0_PDPTR_BITS).</summary>
        private const ulong Cr0PdptrBits = Cr0.CD | Cr0.NW | Cr0.PG;

        /// <summary>CR4 bits whose change makes a PAE-paging MOV CR4 reload the PDPTRs (KVM X86_CR4_PDPTR_BITS).</summary>
        private const ulong Cr4PdptrBits = Cr4.PGE | Cr4.PSE | Cr4.PAE | Cr4.SMEP;

        /// <summary>CR3 bit 63: with CR4.PCIDE, "do not flush" and not part of the stored value (KVM X86_CR3_PCID_NOFLUSH).</summary>
        private const ulong Cr3PcidNoFlush = 1UL << 63;

        /// <summary>CR3 bits 11:0: the PCID when CR4.PCIDE = 1 (KVM X86_CR3_PCID_MASK).</summary>
        private const ulong Cr3PcidMask = 0xFFF;

        /// <summary>
        /// MOV to CR0 (KVM x86.c <c>kvm_set_cr0</c>, vmx.c <c>vmx_set_cr0</c>; SDM Vol. 3A 2.5, 9.8.5):
        /// <list type="bullet">
        /// <item>bits 63:32 set → #GP; NW without CD → #GP; PG without PE → #GP;</item>
        /// <item>ET is forced to 1, other reserved low bits are dropped;</item>
        /// <item>enabling paging with EFER.LME requires CR4.PAE (else #GP) and activates long mode (EFER.LMA = 1);</item>
        /// <item>in PAE paging, a change of PG/CD/NW reloads the PDPTRs, failing with #GP on a bad present PDPTE;</item>
        /// <item>clearing PG in 64-bit mode or with CR4.PCIDE → #GP; clearing PG otherwise deactivates long mode.</item>
        /// </list>
        /// </summary>
        public RegisterWrite SetCr0(ulong value)
        {
            string? error = CheckCr0Value(value);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            ulong old = _cr0;
            value = (value | Cr0.ET) & Cr0Known;
            bool paging = (old & Cr0.PG) != 0;
            bool newPaging = (value & Cr0.PG) != 0;
            bool lme = (_efer & Efer.LME) != 0;
            bool pae = (_cr4 & Cr4.PAE) != 0;

            // KVM kvm_set_cr0: "if ((efer & EFER_LME) && !is_paging && (cr0 & PG)) { if (!is_pae) return 1; if (cs_l) return 1; }".
            // CS.L is 0 here: long mode is not active yet.
            if (lme && !paging && newPaging && !pae)
            {
                return RegisterWrite.Fail("cr0: enabling paging with EFER.LME=1 requires CR4.PAE");
            }

            // KVM kvm_set_cr0: clearing PG "if (is_64_bit_mode(vcpu) || CR4.PCIDE)" → #GP (SDM 4.10.1: PCIDE needs IA-32e).
            if (!newPaging && (_cr4 & Cr4.PCIDE) != 0)
            {
                return RegisterWrite.Fail("cr0: clearing PG with CR4.PCIDE=1");
            }

            if (paging && !newPaging && IsLongMode)
            {
                return RegisterWrite.Fail("cr0: clearing PG in 64-bit mode");
            }

            ulong[]? pdptrs = null;
            ulong pdptBase = 0;
            if (!lme && newPaging && pae && ((value ^ old) & Cr0PdptrBits) != 0)
            {
                pdptrs = new ulong[4];
                error = LoadPdptrs(_cr3, pdptrs, out pdptBase, "cr0");
                if (error is not null)
                {
                    return RegisterWrite.Fail(error);
                }
            }

            _cr0 = value;

            // VMX/SVM set_cr0: enter_lmode when PG turns on with LME; exit_lmode when it turns off.
            if (lme && !paging && newPaging)
            {
                _efer |= Efer.LMA;
            }
            else if (paging && !newPaging)
            {
                _efer &= ~Efer.LMA;
            }

            CommitPdptrs(pdptrs, pdptBase);
            Refresh();
            return RegisterWrite.Success;
        }

        /// <summary>
        /// MOV to CR3 (KVM x86.c <c>kvm_set_cr3</c>; SDM Vol. 3A 4.10.4.1): with CR4.PCIDE bit 63 (no-flush) is dropped;
        /// bits at or above MAXPHYADDR → #GP (<c>kvm_vcpu_is_legal_cr3</c>, checked in every mode as KVM does); in PAE
        /// paging the PDPTRs are reloaded from the new CR3 and a bad present PDPTE → #GP.
        /// </summary>
        public RegisterWrite SetCr3(ulong value)
        {
            if ((_cr4 & Cr4.PCIDE) != 0)
            {
                value &= ~Cr3PcidNoFlush;
            }

            string? error = CheckCr3Value(value);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            ulong[]? pdptrs = null;
            ulong pdptBase = 0;
            if (IsPaePaging(_cr0, _cr4, _efer))
            {
                pdptrs = new ulong[4];
                error = LoadPdptrs(value, pdptrs, out pdptBase, "cr3");
                if (error is not null)
                {
                    return RegisterWrite.Fail(error);
                }
            }

            _cr3 = value;
            CommitPdptrs(pdptrs, pdptBase);
            Refresh();
            return RegisterWrite.Success;
        }

        /// <summary>
        /// MOV to CR4 (KVM x86.c <c>kvm_set_cr4</c>, <c>kvm_is_valid_cr4</c>; SDM Vol. 3A 2.5, 4.1.1):
        /// <list type="bullet">
        /// <item>reserved bits → #GP (AMD also reserves VMXE, SMXE, PKS);</item>
        /// <item>in long mode clearing PAE or changing LA57 → #GP;</item>
        /// <item>in PAE paging a change of PGE/PSE/PAE/SMEP reloads the PDPTRs (bad present PDPTE → #GP);</item>
        /// <item>setting PCIDE needs long mode and CR3[11:0] = 0.</item>
        /// </list>
        /// </summary>
        public RegisterWrite SetCr4(ulong value)
        {
            string? error = CheckCr4Value(value);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            ulong old = _cr4;
            if (IsLongMode)
            {
                if ((value & Cr4.PAE) == 0)
                {
                    return RegisterWrite.Fail("cr4: clearing PAE in long mode");
                }

                if (((value ^ old) & Cr4.LA57) != 0)
                {
                    return RegisterWrite.Fail("cr4: changing LA57 in long mode");
                }
            }

            ulong[]? pdptrs = null;
            ulong pdptBase = 0;
            if (!IsLongMode && (_cr0 & Cr0.PG) != 0 && (value & Cr4.PAE) != 0 && ((value ^ old) & Cr4PdptrBits) != 0)
            {
                pdptrs = new ulong[4];
                error = LoadPdptrs(_cr3, pdptrs, out pdptBase, "cr4");
                if (error is not null)
                {
                    return RegisterWrite.Fail(error);
                }
            }

            // KVM: "PCID can not be enabled when cr3[11:0]!=000H or EFER.LMA=0".
            if ((value & Cr4.PCIDE) != 0 && (old & Cr4.PCIDE) == 0)
            {
                if (!IsLongMode)
                {
                    return RegisterWrite.Fail("cr4: setting PCIDE outside long mode");
                }

                if ((_cr3 & Cr3PcidMask) != 0)
                {
                    return RegisterWrite.Fail($"cr4: setting PCIDE with CR3[11:0]=0x{_cr3 & Cr3PcidMask:x}");
                }
            }

            _cr4 = value;
            CommitPdptrs(pdptrs, pdptBase);
            Refresh();
            return RegisterWrite.Success;
        }

        /// <summary>
        /// WRMSR IA32_EFER (KVM x86.c <c>set_efer</c>; SDM Vol. 3A 2.2.1, 9.8.5): reserved bits → #GP; changing LME while
        /// CR0.PG = 1 → #GP; LMA is read-only (the written value is ignored, the current one kept).
        /// </summary>
        public RegisterWrite SetEfer(ulong value)
        {
            string? error = CheckEferValue(value);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            if ((_cr0 & Cr0.PG) != 0 && ((value ^ _efer) & Efer.LME) != 0)
            {
                return RegisterWrite.Fail("efer: changing LME while CR0.PG=1");
            }

            _efer = (value & ~Efer.LMA) | (_efer & Efer.LMA);
            Refresh();
            return RegisterWrite.Success;
        }

        /// <summary>
        /// Sets RFLAGS (POPF-like, with every flag writable). Undefined bits set → error; bit 1 is forced to 1
        /// (SDM Vol. 1 3.4.3: reserved bit 1 always reads 1).
        /// </summary>
        public RegisterWrite SetRflags(ulong value)
        {
            string? error = CheckRflagsValue(value);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            _rflags = value | Rflags.Fixed1;
            return RegisterWrite.Success;
        }

        /// <summary>
        /// Sets PKRU (as XRSTOR does; WRPKRU's #UD without CR4.PKE is an instruction rule the model does not apply).
        /// Every 32-bit value is valid; PKRU only matters with CR4.PKE in long mode (KVM <c>pkru_mask</c>).
        /// </summary>
        public RegisterWrite SetPkru(uint value)
        {
            _pkru = value;
            return RegisterWrite.Success;
        }

        /// <summary>
        /// Loads a whole register state at once (KVM_SET_SREGS, KVM x86.c <c>kvm_is_valid_sregs</c> plus the MOV CR
        /// value checks): EFER, CR0, CR4, CR3 and RFLAGS reserved bits; EFER.LME with CR0.PG requires CR4.PAE and
        /// EFER.LMA, LMA otherwise must be clear; CR4.PCIDE requires long mode; in PAE paging the PDPTRs are loaded
        /// and a bad present PDPTE fails the load. Nothing changes on failure; the error names the register.
        /// </summary>
        public RegisterWrite LoadState(CpuRegisters state)
        {
            string? error = CheckEferValue(state.Efer)
                ?? CheckCr0Value(state.Cr0)
                ?? CheckCr4Value(state.Cr4)
                ?? CheckRflagsValue(state.Rflags);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            bool lme = (state.Efer & Efer.LME) != 0;
            bool lma = (state.Efer & Efer.LMA) != 0;
            bool pg = (state.Cr0 & Cr0.PG) != 0;
            if (lme && pg)
            {
                // "When EFER.LME and CR0.PG are set, the processor is in 64-bit mode ... CR4.PAE and EFER.LMA must be set."
                if ((state.Cr4 & Cr4.PAE) == 0)
                {
                    return RegisterWrite.Fail("cr4: PAE must be set when EFER.LME=1 and CR0.PG=1");
                }

                if (!lma)
                {
                    return RegisterWrite.Fail("efer: LMA must be set when EFER.LME=1 and CR0.PG=1");
                }
            }
            else if (lma)
            {
                return RegisterWrite.Fail("efer: LMA set without EFER.LME=1 and CR0.PG=1");
            }

            if ((state.Cr4 & Cr4.PCIDE) != 0 && !lma)
            {
                return RegisterWrite.Fail("cr4: PCIDE set outside long mode");
            }

            error = CheckCr3Value(state.Cr3);
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            ulong[]? pdptrs = null;
            ulong pdptBase = 0;
            if (IsPaePaging(state.Cr0, state.Cr4, state.Efer))
            {
                pdptrs = new ulong[4];
                error = LoadPdptrs(state.Cr3, pdptrs, out pdptBase, "cr3");
                if (error is not null)
                {
                    return RegisterWrite.Fail(error);
                }
            }

            _cr0 = state.Cr0;
            _cr3 = state.Cr3;
            _cr4 = state.Cr4;
            _efer = state.Efer;
            _rflags = state.Rflags | Rflags.Fixed1;
            _pkru = state.Pkru;
            CommitPdptrs(pdptrs, pdptBase);
            Refresh();
            return RegisterWrite.Success;
        }

        /// <summary>
        /// Re-reads the PDPTRs from CR3 as a PAE-paging MOV to CR3 would, after the guest edited its PDPT (the CPU
        /// does not notice such edits until the next CR load). Fails like <see cref="SetCr3"/>; a no-op success
        /// outside PAE paging.
        /// </summary>
        public RegisterWrite ReloadPdptrs()
        {
            if (!IsPaePaging(_cr0, _cr4, _efer))
            {
                return RegisterWrite.Success;
            }

            ulong[] pdptrs = new ulong[4];
            string? error = LoadPdptrs(_cr3, pdptrs, out ulong pdptBase, "cr3");
            if (error is not null)
            {
                return RegisterWrite.Fail(error);
            }

            CommitPdptrs(pdptrs, pdptBase);
            _layout.LoadRoots(this);
            return RegisterWrite.Success;
        }

        private static bool IsPaePaging(ulong cr0, ulong cr4, ulong efer)
        {
            // KVM is_pae_paging: CR0.PG && CR4.PAE && !EFER.LMA.
            return (cr0 & Cr0.PG) != 0 && (cr4 & Cr4.PAE) != 0 && (efer & Efer.LMA) == 0;
        }

        private static string? CheckCr0Value(ulong value)
        {
            // KVM kvm_is_valid_cr0.
            if ((value & Cr0.ReservedHigh) != 0)
            {
                return ReservedBit("cr0", value & Cr0.ReservedHigh);
            }

            if ((value & Cr0.NW) != 0 && (value & Cr0.CD) == 0)
            {
                return "cr0: NW set without CD";
            }

            if ((value & Cr0.PG) != 0 && (value & Cr0.PE) == 0)
            {
                return "cr0: PG set without PE";
            }

            return null;
        }

        private string? CheckCr4Value(ulong value)
        {
            // KVM __kvm_is_valid_cr4: cr4 & cr4_guest_rsvd_bits (the guest CPUID decides; the model's CPU has every
            // feature its vendor can have).
            ulong known = _vm.Config.Vendor == Vendor.Amd ? Cr4.Known & ~(Cr4.VMXE | Cr4.SMXE | Cr4.PKS) : Cr4.Known;
            return (value & ~known) != 0 ? ReservedBit("cr4", value & ~known) : null;
        }

        private string? CheckCr3Value(ulong value)
        {
            // KVM kvm_vcpu_is_legal_cr3 → kvm_vcpu_is_legal_gpa: no bit at or above MAXPHYADDR (SDM 4.5: "reserved").
            ulong illegal = value & ~((1UL << _vm.Config.MaxPhyAddr) - 1);
            return illegal != 0
                ? $"cr3: bit {BitOperations.TrailingZeroCount(illegal)} set above MAXPHYADDR ({_vm.Config.MaxPhyAddr})"
                : null;
        }

        private string? CheckEferValue(ulong value)
        {
            ulong known = _vm.Config.Vendor == Vendor.Amd ? Efer.KnownAmd : Efer.KnownIntel;
            return (value & ~known) != 0 ? ReservedBit("efer", value & ~known) : null;
        }

        private static string? CheckRflagsValue(ulong value)
        {
            return (value & ~Rflags.Known) != 0 ? ReservedBit("rflags", value & ~Rflags.Known) : null;
        }

        private static string ReservedBit(string register, ulong bits)
        {
            return BitOperations.PopCount(bits) == 1
                ? $"{register}: reserved bit {BitOperations.TrailingZeroCount(bits)} set"
                : $"{register}: reserved bits 0x{bits:x} set";
        }

        /// <summary>
        /// KVM x86.c <c>load_pdptrs</c>: read the 4 PDPTEs at CR3[51:5] (32-byte aligned, "PDPTRs are 32 byte aligned
        /// when using PAE paging"); memory that is not there fails the load; a present PDPTE with a bit of
        /// <see cref="PageFormat.PdptrReservedMask"/> (MAXPHYADDR and above, 8:5, 2:1) fails it too (SDM 4.4.1).
        /// </summary>
        private string? LoadPdptrs(ulong cr3, ulong[] pdptrs, out ulong pdptBase, string register)
        {
            pdptBase = Paging.PaeFormat.PdptAddress(cr3);
            ulong reserved = PageFormat.PdptrReservedMask(_vm.Config.MaxPhyAddr);

            // KVM load_pdptrs: "real_gpa = kvm_translate_gpa(vcpu, mmu, gfn_to_gpa(pdpt_gfn), PFERR_USER_MASK |
            // PFERR_WRITE_MASK, NULL)": with nested EPT/NPT, L2's CR3 is an L2 GPA and goes through L1's tables.
            ulong realBase = pdptBase;
            if (_guestMode && !ActiveWalker.TryTranslateGpa(pdptBase, (ulong)(PfErr.User | PfErr.Write), out realBase, out WalkResult fault))
            {
                return $"{register}: PDPT at L2 GPA 0x{pdptBase:x} is not mapped by L1's EPT/NPT tables ({fault})";
            }

            for (int i = 0; i < 4; i++)
            {
                ulong gpa = realBase + ((ulong)i * 8);
                if (!_vm.Memory.TryReadU64(gpa, out ulong pdpte))
                {
                    return $"{register}: PDPT at 0x{pdptBase:x} is outside guest memory";
                }

                if ((pdpte & 1) != 0 && (pdpte & reserved) != 0)
                {
                    return $"{register}: PDPTE {i} (0x{pdpte:x}) has reserved bits 0x{pdpte & reserved:x} set";
                }

                pdptrs[i] = pdpte;
            }

            return null;
        }

        private void CommitPdptrs(ulong[]? pdptrs, ulong pdptBase)
        {
            if (pdptrs is not null)
            {
                pdptrs.CopyTo(_pdptrs, 0);
                _pdptBase = pdptBase;
            }
        }
    }
}
