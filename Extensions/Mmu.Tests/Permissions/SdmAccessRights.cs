using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Tests.Permissions
{
    /// <summary>The kind of memory access, as the SDM distinguishes them.</summary>
    internal enum SdmAccessKind
    {
        Read,
        Write,
        Fetch,
    }

    /// <summary>The processor state that decides access rights (SDM Vol. 3A 4.6).</summary>
    internal readonly record struct SdmCpuState(
        bool Cr0Wp, bool Cr4Smep, bool Cr4Smap, bool EferNxe, bool Cr4Pke, bool EferLma, bool RflagsAc);

    /// <summary>One access and the rights of the translation it uses.</summary>
    /// <param name="Kind">Read, write or instruction fetch.</param>
    /// <param name="Cpl3">The access was made at CPL 3.</param>
    /// <param name="Implicit">An implicit supervisor access (descriptor tables, TSS, …), whatever the CPL.</param>
    /// <param name="UserPage">U/S = 1 at every level (a user-mode address).</param>
    /// <param name="Writable">R/W = 1 at every level.</param>
    /// <param name="ExecuteDisable">XD = 1 at some level.</param>
    /// <param name="KeyAccessDisable">PKRU.AD of the page's protection key.</param>
    /// <param name="KeyWriteDisable">PKRU.WD of the page's protection key.</param>
    internal readonly record struct SdmAccess(
        SdmAccessKind Kind, bool Cpl3, bool Implicit, bool UserPage, bool Writable, bool ExecuteDisable,
        bool KeyAccessDisable, bool KeyWriteDisable);

    /// <summary>
    /// A slow, literal restatement of the SDM's access-rights rules, written from the text and not from KVM's
    /// bitmask algorithm, so that tests can compare the two over every input.
    /// </summary>
    internal static class SdmAccessRights
    {
        /// <summary>
        /// The page-fault error-code bits P and PK the access produces: 0 when it is allowed.
        /// </summary>
        public static ulong ExpectedFault(in SdmCpuState cpu, in SdmAccess access)
        {
            bool allowed = IsAllowedIgnoringKeys(cpu, access);
            bool keyViolation = IsProtectionKeyViolation(cpu, access);
            if (allowed && !keyViolation)
            {
                return 0;
            }

            return (ulong)PfErr.Present | (keyViolation ? (ulong)PfErr.PK : 0);
        }

        /// <summary>
        /// SDM Vol. 3A 4.6.1 "Determination of Access Rights", every rule except the protection-key clauses.
        /// </summary>
        private static bool IsAllowedIgnoringKeys(in SdmCpuState cpu, in SdmAccess access)
        {
            // 4.6: "Every access to a linear address is either a supervisor-mode access or a user-mode access. …
            // Accesses made while CPL < 3 are supervisor-mode accesses … implicit supervisor-mode accesses
            // [are made] regardless of CPL." User-mode = CPL 3 and explicit.
            bool userMode = access.Cpl3 && !access.Implicit;

            // 4.6.1: with EFER.NXE = 0 instructions may be fetched from any address; with NXE = 1 only from
            // addresses whose XD flag is 0 in every paging-structure entry.
            bool executeDisabled = cpu.EferNxe && access.ExecuteDisable;

            if (userMode)
            {
                // 4.6.1 "User-mode access": no data reads, data writes or fetches from supervisor-mode
                // addresses. Writes need R/W = 1 (CR0.WP does not matter for user writes).
                if (!access.UserPage)
                {
                    return false;
                }

                return access.Kind switch
                {
                    SdmAccessKind.Read => true,
                    SdmAccessKind.Write => access.Writable,
                    _ => !executeDisabled,
                };
            }

            // 4.6.1 "Supervisor-mode access". SMAP: "If CR4.SMAP = 1 … If EFLAGS.AC = 1 and the access is
            // explicit, data may be read from [written to] any user-mode address …; If EFLAGS.AC = 0 or the access
            // is implicit, data may not be read from [written to] any user-mode address."
            bool smapForbids = access.UserPage && cpu.Cr4Smap && !(cpu.RflagsAc && !access.Implicit);

            switch (access.Kind)
            {
                case SdmAccessKind.Read:
                    // Supervisor-mode addresses: any. User-mode addresses: unless SMAP forbids.
                    return !smapForbids;

                case SdmAccessKind.Write:
                    // "If CR0.WP = 0, data may be written to any supervisor-mode [user-mode] address";
                    // "If CR0.WP = 1, data may be written to any … address with a translation for which the R/W
                    // flag is 1 in every paging-structure entry". SMAP applies to user-mode addresses either way.
                    if (smapForbids)
                    {
                        return false;
                    }

                    return !cpu.Cr0Wp || access.Writable;

                default:
                    // "Instruction fetches from user-mode addresses: if CR4.SMEP = 1, instructions may not be
                    // fetched from any user-mode address." Otherwise the XD rule for supervisor-mode addresses.
                    // SMAP does not apply to instruction fetches.
                    if (access.UserPage && cpu.Cr4Smep)
                    {
                        return false;
                    }

                    return !executeDisabled;
            }
        }

        /// <summary>
        /// SDM Vol. 3A 4.7, definition of the PK flag: it is 1 iff (1) IA32_EFER.LMA = CR4.PKE = 1; (2) the access
        /// was a data access; (3) the linear address was a user-mode address with protection key i; and (4) ADi = 1,
        /// or WDi = 1, the access was a write, and either CR0.WP = 1 or the access was a user-mode access.
        /// (Supervisor-mode addresses are governed by PKS, which is not emulated.)
        /// </summary>
        private static bool IsProtectionKeyViolation(in SdmCpuState cpu, in SdmAccess access)
        {
            if (!(cpu.EferLma && cpu.Cr4Pke))
            {
                return false;
            }

            if (access.Kind == SdmAccessKind.Fetch || !access.UserPage)
            {
                return false;
            }

            if (access.KeyAccessDisable)
            {
                return true;
            }

            bool userMode = access.Cpl3 && !access.Implicit;
            return access.KeyWriteDisable && access.Kind == SdmAccessKind.Write && (cpu.Cr0Wp || userMode);
        }
    }
}
