namespace Workbench.Mmu.Sweeps;

/// <summary>
/// What an access.c case must produce: whether the (last) access faults, its error code, and the PTE and
/// PDE afterwards. <see cref="PdeIgnore"/> holds PDE bits whose value does not matter (access.c
/// <c>ignore_pde</c>): a CPU may set the PDE's A bit on a walk that then faults, so access.c does not check it.
/// </summary>
/// <param name="Fault">The access raises #PF.</param>
/// <param name="ErrorCode">The #PF error code (only meaningful when <paramref name="Fault"/>).</param>
/// <param name="Pte">The PTE after the access(es); unused when the PDE is a 2 MiB leaf.</param>
/// <param name="Pde">The PDE after the access(es), compared outside <paramref name="PdeIgnore"/>.</param>
/// <param name="PdeIgnore">PDE bits left out of the comparison.</param>
public readonly record struct AccessExpectation(bool Fault, ulong ErrorCode, ulong Pte, ulong Pde, ulong PdeIgnore);

/// <summary>
/// An independent restatement of access.c's <c>ac_emulate_access</c> / <c>ac_test_permissions</c>: the expected
/// outcome of a case worked out from the flag word with the SDM's rules (Vol. 3A 4.6 "Access Rights", 4.6.2
/// "Protection Keys", 4.7 "Page-Fault Exceptions", 4.8 "Accessed and Dirty Flags"). It does not call the
/// model's permission table, reserved-bit masks or walker, so the sweep compares two separate derivations.
/// </summary>
public static class AccessOracle
{
    // SDM Vol. 3A 4.7, figure 4-12: page-fault error code bits. Spelled out here rather than taken from
    // the model so that a wrong constant there cannot hide.
    private const ulong ErrPresent = 1UL << 0;
    private const ulong ErrWrite = 1UL << 1;
    private const ulong ErrUser = 1UL << 2;
    private const ulong ErrReserved = 1UL << 3;
    private const ulong ErrFetch = 1UL << 4;
    private const ulong ErrProtectionKey = 1UL << 5;

    // SDM Vol. 3A 4.5, table 4-18/4-19: A is bit 5, D is bit 6 of a paging-structure entry.
    private const ulong Accessed = 1UL << 5;
    private const ulong Dirty = 1UL << 6;

    /// <summary>
    /// The expectation for <paramref name="flags"/>, given the PTE and PDE as laid into memory before the
    /// access (<paramref name="pteBefore"/> is ignored for a 2 MiB PDE). The flags must come from an
    /// <see cref="AccessCaseSpace"/>: pte/pde bits 51 and 36 are then set only where they are reserved.
    /// </summary>
    // Inlined into the sweep's check: called, its 40-byte result came back through a temporary whose copy (wide loads of
    // narrow stores just made) stalled store forwarding on every case.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static AccessExpectation Expect(AccessCase flags, ulong pteBefore, ulong pdeBefore)
    {
        ulong pte = pteBefore;
        ulong pde = pdeBefore;

        // access.c __ac_set_expected_status: with "twice" a supervisor read runs first (the
        // "mov (addr), reg" before the real access). Its fault, if any, is swallowed, but the A bits it
        // sets are in place when the second access walks.
        if ((flags & AccessCase.AccessTwice) != 0)
        {
            AccessCase firstRead = flags & ~(AccessCase.AccessWrite | AccessCase.AccessFetch | AccessCase.AccessUser);
            Walk(firstRead, ref pte, ref pde, out _);
        }

        bool fault = Walk(flags, ref pte, ref pde, out ulong errorCode);

        // access.c ac_emulate_access: on a fault the PDE's A bit is "don't care" unless the case set it
        // (ignore_pde = PT_ACCESSED_MASK when !pde.a, cleared again when no fault is expected).
        ulong ignore = fault && (flags & AccessCase.PdeAccessed) == 0 ? Accessed : 0;
        return new AccessExpectation(fault, errorCode, pte, pde, ignore);
    }

    /// <summary>
    /// One access through the case's PDE and PTE. Returns <see langword="false"/> when it completes (and
    /// applies the A/D updates to <paramref name="pte"/>/<paramref name="pde"/>), else <see langword="true"/>
    /// with the #PF error code (entries untouched). The error code alone cannot tell: a supervisor read of a
    /// not-present page faults with error code 0.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Walk(AccessCase flags, ref ulong pte, ref ulong pde, out ulong errorCode)
    {
        bool userMode = Has(flags, AccessCase.AccessUser);
        bool write = Has(flags, AccessCase.AccessWrite);
        bool fetch = Has(flags, AccessCase.AccessFetch);
        bool nxe = Has(flags, AccessCase.CpuEferNx);
        bool wp = Has(flags, AccessCase.CpuCr0Wp);
        bool smep = Has(flags, AccessCase.CpuCr4Smep);
        bool pke = Has(flags, AccessCase.CpuCr4Pke);
        bool largePage = Has(flags, AccessCase.PdePse);

        // SDM 4.7: W/R reflects a write, U/S an access at CPL 3, I/D an instruction fetch; I/D is reported
        // only "if IA32_EFER.NXE = 1 or CR4.SMEP = 1" (otherwise fetches look like reads). P is set for a
        // protection or reserved-bit fault and clear for a not-present one.
        ulong access = (write ? ErrWrite : 0) | (userMode ? ErrUser : 0) | (fetch & (nxe | smep) ? ErrFetch : 0);

        // Level 2. SDM 4.5.4: a PDE with P = 0 ends the walk (not present; other bits ignored).
        if (!Has(flags, AccessCase.PdePresent))
        {
            errorCode = access;
            return true;
        }

        // SDM 4.5.4, tables 4-17/4-18: bits MAXPHYADDR..51 are reserved; bits 20:13 of a 2 MiB PDE are
        // reserved; XD is reserved when NXE = 0. The case space sets bit 51/36 only where reserved. (| and &,
        // not || and &&, here and below: one branch per test rather than one per flag.)
        bool pdeReserved = Has(flags, AccessCase.PdeBit51) | Has(flags, AccessCase.PdeBit36)
            | (largePage & Has(flags, AccessCase.PdeBit13))
            | (Has(flags, AccessCase.PdeNx) & !nxe);
        if (pdeReserved)
        {
            errorCode = access | ErrPresent | ErrReserved;
            return true;
        }

        // Rights above the PDE: the PML5E/PML4E allow everything; the PDPTE is U = 1 and R/W = !pdpte.ro.
        // SDM 4.6.1: a right holds only if every entry on the path grants it.
        bool writable = !Has(flags, AccessCase.PdpteNoWritable) & Has(flags, AccessCase.PdeWritable);
        bool user = Has(flags, AccessCase.PdeUser);
        bool executable = !Has(flags, AccessCase.PdeNx);

        if (!largePage)
        {
            // Level 1: same rules for the PTE (table 4-19).
            if (!Has(flags, AccessCase.PtePresent))
            {
                errorCode = access;
                return true;
            }

            bool pteReserved = Has(flags, AccessCase.PteBit51) | Has(flags, AccessCase.PteBit36)
                | (Has(flags, AccessCase.PteNx) & !nxe);
            if (pteReserved)
            {
                errorCode = access | ErrPresent | ErrReserved;
                return true;
            }

            writable &= Has(flags, AccessCase.PteWritable);
            user &= Has(flags, AccessCase.PteUser);
            executable &= !Has(flags, AccessCase.PteNx);
        }

        // SDM 4.6.1 "Determination of Access Rights". Each rule is a bool combined with & and |, not && and ||:
        // the PTE bits are the lowest flags and change from one case to the next, so short-circuit branches on
        // them would be mispredicted about half the time.
        // - User-mode accesses (reads, writes, fetches) need U/S = 1 at every level.
        // - User-mode writes need R/W = 1; supervisor writes need it only with CR0.WP = 1.
        // - With NXE = 1, fetches need XD = 0 at every level (XD set with NXE = 0 was reserved above).
        // - SMEP: no supervisor-mode fetch from a user-mode address.
        bool denied = (userMode & !user)
            | (write & !writable & (userMode | wp))
            | (fetch & !executable)
            | (fetch & !userMode & user & smep);

        // SDM 4.6.2: protection keys apply with CR4.PKE = 1 (in IA-32e paging, as here) to data accesses to
        // user-mode addresses, whatever the CPL. The leaf carries key 1 with "pkey=1", else key 0, and
        // access.c sets PKRU so that key 0 allows everything and key 1 has AD1 = pkru.ad, WD1 = pkru.wd.
        // AD denies every data access; WD stops user-mode writes, and supervisor-mode writes when CR0.WP = 1.
        bool keyApplies = pke & user & !fetch & Has(flags, AccessCase.PkuPkey);
        bool keyDenied = keyApplies & (Has(flags, AccessCase.PkuAd) | (write & Has(flags, AccessCase.PkuWd) & (userMode | wp)));

        ulong violation = (denied | keyDenied ? ErrPresent : 0) | (keyDenied ? ErrProtectionKey : 0);
        if (violation != 0)
        {
            errorCode = access | violation;
            return true;
        }

        // SDM 4.8: a completed access sets A in every entry used and, for a write, D in the leaf.
        if (largePage)
        {
            pde |= Accessed | (write ? Dirty : 0);
        }
        else
        {
            pde |= Accessed;
            pte |= Accessed | (write ? Dirty : 0);
        }

        errorCode = 0;
        return false;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Has(AccessCase flags, AccessCase flag) => (flags & flag) != 0;
}
