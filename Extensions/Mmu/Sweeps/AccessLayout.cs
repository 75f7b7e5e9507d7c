namespace Workbench.Mmu.Sweeps;

/// <summary>
/// Where an access.c case lives in guest memory and what its paging entries and registers hold, as
/// access.c's <c>ac_test_init</c> / <c>ac_test_setup_ptes</c> / <c>ac_test_do_access</c> lay them out:
/// one test address, 4-level (or 5-level) paging, one table per level, the PDE a 2 MiB leaf with "pde.pse".
/// <code>
///   CR3 -> root (PML4, or PML5 with LA57)       @ 33 MiB
///          [PML5E -> PML4                       @ 33 MiB + 4 KiB  (LA57 only)]
///          PML4E  -> PDPT   P W U
///          PDPTE  -> PD     P U, W unless pdpte.ro
///          PDE    -> PT     flags from the case (key 2 with pkey=1: ignored in a non-leaf)
///             or  -> 2 MiB page at 32 MiB, PS = 1 (key 1 with pkey=1)
///          PTE    -> page at 32 MiB              flags from the case (key 1 with pkey=1)
/// </code>
/// The addresses are access.c's (<c>AT_CODE_DATA_PHYS</c> = 32 MiB, <c>AT_PAGING_STRUCTURES_PHYS</c> = 33 MiB,
/// test address <c>0xffff923400000000</c>); access.c takes the root from the test environment's CR3, here it
/// is the first page of the paging-structure area.
/// </summary>
public sealed class AccessLayout
{
    /// <summary>Physical address of the page the test address maps (access.c <c>AT_CODE_DATA_PHYS</c>).</summary>
    public const ulong DataPhys = 32UL * 1024 * 1024;

    /// <summary>Physical address of the paging structures (access.c <c>AT_PAGING_STRUCTURES_PHYS</c>).</summary>
    public const ulong PagingStructuresPhys = 33UL * 1024 * 1024;

    /// <summary>The linear address every main-loop case accesses (access.c <c>ac_test_run</c>).</summary>
    public const ulong TestAddress = 0xffff_9234_0000_0000UL;

    /// <summary>
    /// The first word of the test page: a RET (0xc3), as access.c's <c>ac_test_do_access</c> stores before each
    /// access so that a "fetch" (a CALL to the test address) returns.
    /// </summary>
    public const ulong DataWord = 0xc3;

    /// <summary>Guest memory the layout needs (below 64 MiB, the default VM size).</summary>
    public const ulong MinimumMemory = 64UL * 1024 * 1024;

    // SDM Vol. 3A tables 4-14..4-20: bit positions of 4-level paging entries.
    private const ulong Present = 1UL << 0;
    private const ulong Writable = 1UL << 1;
    private const ulong User = 1UL << 2;
    private const ulong Accessed = 1UL << 5;
    private const ulong Dirty = 1UL << 6;
    private const ulong PageSize = 1UL << 7;
    private const ulong ExecuteDisable = 1UL << 63;
    private const int ProtectionKeyShift = 59;

    // access.c PT_PSE_BASE_ADDR_MASK clears bit 21 from the base of a 2 MiB PDE.
    private const ulong PseBaseMask = 0x0000_000F_FFFF_F000UL & ~(1UL << 21);

    // x86 control-register and EFER bits used below (SDM 2.5, 2.2.1), kept local so that the layout does not
    // depend on the register helpers being written concurrently.
    private const ulong Cr0Pe = 1UL << 0;
    private const ulong Cr0Wp = 1UL << 16;
    private const ulong Cr0Pg = 1UL << 31;
    private const ulong Cr4Pae = 1UL << 5;
    private const ulong Cr4La57 = 1UL << 12;
    private const ulong Cr4Smep = 1UL << 20;
    private const ulong Cr4Pke = 1UL << 22;
    private const ulong EferLme = 1UL << 8;
    private const ulong EferLma = 1UL << 10;
    private const ulong EferNxe = 1UL << 11;

    /// <summary>RFLAGS with only the always-one bit 1 set.</summary>
    public const ulong InitialRflags = 0x2;

    /// <summary>
    /// PKRU while CR4.PKE = 0. access.c writes <c>0xfffffffc</c> when it clears PKE ("check that protection keys
    /// do not affect accesses when CR4.PKE=0"): every key but 0 denies access, and it must not matter.
    /// </summary>
    public const uint PkruWhilePkeClear = 0xffff_fffc;

    /// <summary>Creates the layout for 4-level (<paramref name="levels"/> = 4) or 5-level (5) paging.</summary>
    public AccessLayout(int levels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 4);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, 5);
        Levels = levels;
    }

    /// <summary>Paging levels: 4, or 5 with CR4.LA57 (access_test.c repeats the run with 5 levels).</summary>
    public int Levels { get; }

    /// <summary>The root table (CR3's frame).</summary>
    public ulong Root => PagingStructuresPhys;

    /// <summary>
    /// The table that holds the level-<paramref name="level"/> entry of the test address: the root for
    /// <see cref="Levels"/>, then one 4 KiB page per level below it (access.c <c>ac_test_alloc_pt</c>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ulong TableOf(int level) => PagingStructuresPhys + (ulong)(Levels - level) * 4096;

    /// <summary>Guest-physical address of the level-<paramref name="level"/> entry on the test address's walk.</summary>
    public ulong EntryAddress(int level) => TableOf(level) + Index(TestAddress, level) * 8;

    /// <summary>Address of the PDE (level 2).</summary>
    public ulong PdeAddress => EntryAddress(2);

    /// <summary>Address of the PTE (level 1).</summary>
    public ulong PteAddress => EntryAddress(1);

    /// <summary>Paging-structure index of <paramref name="address"/> at <paramref name="level"/> (access.c PT_INDEX).</summary>
    public static ulong Index(ulong address, int level) => (address >> (12 + ((level - 1) * 9))) & 511;

    /// <summary>
    /// The level-<paramref name="level"/> entry for a case (access.c <c>ac_test_setup_ptes</c>), before any
    /// A/D update. Levels 5..3 point at the next table; the PDE and PTE take their bits from the case.
    /// </summary>
    public ulong Entry(AccessCase flags, int level)
    {
        switch (level)
        {
            case 5:
            case 4:
                return TableOf(level - 1) | Present | Writable | User;
            case 3:
                return Pdpte(flags);
            case 2:
                return Pde(flags);
            case 1:
                return Pte(flags);
            default:
                throw new ArgumentOutOfRangeException(nameof(level), level, "levels 1..5");
        }
    }

    /// <summary>The PDPTE for a case: points at the PD, U = 1, R/W = 1 unless "pdpte.ro".</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ulong Pdpte(AccessCase flags) => TableOf(2) | Present | User | (Writable - BitIf(flags, AccessCase.PdpteNoWritable, Writable));

    /// <summary>The PDE for a case: a 2 MiB leaf at <see cref="DataPhys"/> with "pde.pse", else a pointer to the PT.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ulong Pde(AccessCase flags)
    {
        ulong pde;
        if (Has(flags, AccessCase.PdePse))
        {
            pde = (DataPhys & PseBaseMask) | PageSize | BitIf(flags, AccessCase.PkuPkey, 1UL << ProtectionKeyShift);
        }
        else
        {
            // access.c: "The protection key is ignored on non-leaf entries." Key 2 is fully denied in
            // PKRU, so a walker that took the key from here would fault.
            pde = TableOf(1) | BitIf(flags, AccessCase.PkuPkey, 2UL << ProtectionKeyShift);
        }

        return pde
            | BitIf(flags, AccessCase.PdePresent, Present)
            | BitIf(flags, AccessCase.PdeWritable, Writable)
            | BitIf(flags, AccessCase.PdeUser, User)
            | BitIf(flags, AccessCase.PdeAccessed, Accessed)
            | BitIf(flags, AccessCase.PdeDirty, Dirty)
            | BitIf(flags, AccessCase.PdeNx, ExecuteDisable)
            | BitIf(flags, AccessCase.PdeBit51, 1UL << 51)
            | BitIf(flags, AccessCase.PdeBit36, 1UL << 36)
            | BitIf(flags, AccessCase.PdeBit13, 1UL << 13);
    }

    /// <summary>The PTE for a case: the 4 KiB page at <see cref="DataPhys"/> with the case's bits.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static ulong Pte(AccessCase flags) => DataPhys
        | BitIf(flags, AccessCase.PkuPkey, 1UL << ProtectionKeyShift)
        | BitIf(flags, AccessCase.PtePresent, Present)
        | BitIf(flags, AccessCase.PteWritable, Writable)
        | BitIf(flags, AccessCase.PteUser, User)
        | BitIf(flags, AccessCase.PteAccessed, Accessed)
        | BitIf(flags, AccessCase.PteDirty, Dirty)
        | BitIf(flags, AccessCase.PteNx, ExecuteDisable)
        | BitIf(flags, AccessCase.PteBit51, 1UL << 51)
        | BitIf(flags, AccessCase.PteBit36, 1UL << 36);

    /// <summary>Lowest level the walk of a case reaches: 2 with "pde.pse", else 1.</summary>
    public static int LeafLevel(AccessCase flags) => Has(flags, AccessCase.PdePse) ? 2 : 1;

    /// <summary>
    /// CR0 for a case: protected mode with paging (long mode needs both), WP from "cr0.wp"
    /// (access.c <c>set_cr0_wp</c>).
    /// </summary>
    public static ulong Cr0(AccessCase flags) => Cr0Pe | Cr0Pg | (Has(flags, AccessCase.CpuCr0Wp) ? Cr0Wp : 0);

    /// <summary>CR4 for a case: PAE (long mode), LA57 for 5 levels, SMEP and PKE from the case.</summary>
    public ulong Cr4(AccessCase flags) => Cr4Pae
        | (Levels == 5 ? Cr4La57 : 0)
        | (Has(flags, AccessCase.CpuCr4Smep) ? Cr4Smep : 0)
        | (Has(flags, AccessCase.CpuCr4Pke) ? Cr4Pke : 0);

    /// <summary>EFER for a case: long mode active, NXE from "efer.nx" (access.c <c>set_efer_nx</c>).</summary>
    public static ulong Efer(AccessCase flags) => EferLme | EferLma | (Has(flags, AccessCase.CpuEferNx) ? EferNxe : 0);

    /// <summary>
    /// PKRU for a case (access.c <c>ac_test_do_access</c>): with CR4.PKE, <c>0x30 | WD1 | AD1</c> (key 2 fully
    /// denied, key 1 from pkru.wd/pkru.ad, key 0 open); without it <see cref="PkruWhilePkeClear"/>.
    /// </summary>
    public static uint Pkru(AccessCase flags)
    {
        if (!Has(flags, AccessCase.CpuCr4Pke))
        {
            return PkruWhilePkeClear;
        }

        return 0x30u | (Has(flags, AccessCase.PkuWd) ? 8u : 0) | (Has(flags, AccessCase.PkuAd) ? 4u : 0);
    }

    /// <summary>The flag bits that decide the registers (a change of these needs a register reload).</summary>
    public const AccessCase RegisterFlags = AccessCase.CpuEferNx | AccessCase.CpuCr0Wp | AccessCase.CpuCr4Smep
        | AccessCase.CpuCr4Pke | AccessCase.PkuAd | AccessCase.PkuWd;

    private static bool Has(AccessCase flags, AccessCase flag) => (flags & flag) != 0;

    /// <summary>
    /// <paramref name="bit"/> when <paramref name="flag"/> (one flag bit) is set, else 0, without a branch: the sweep
    /// lays an entry per case and the low flag bits change from one case to the next, so a branch per bit would be
    /// mispredicted about half the time. Both divisors and the multiplier are powers of two: shifts.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong BitIf(AccessCase flags, AccessCase flag, ulong bit) => (ulong)(((uint)flags / (uint)flag) & 1) * bit;
}
