using System.Text;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// One test case of kvm-unit-tests <c>x86/access.c</c>: a 31-bit flag word whose bits say how the PTE, the PDE,
/// the PDPTE, PKRU, the access and the CPU control bits are set up.
/// <code>
///  30   29      28       27     26      25    24    23    22    21     20      19      18       17     16     15
/// fep cr4.pke cr4.smep cr0.wp efer.nx twice fetch write user pkey=1 pkru.wd pkru.ad pdpte.ro pde.13 pde.36 pde.51
///   14    13     12     11    10     9       8      7      6      5     4     3     2      1        0
/// pde.p pde.nx pde.pse pde.d pde.a pde.user pde.rw pte.36 pte.51 pte.p pte.nx pte.d pte.a pte.user pte.rw
/// </code>
/// Bit positions are access.c's enum (<c>AC_PTE_WRITABLE_BIT</c> = 0 ... <c>AC_FEP_BIT</c> = 30,
/// <c>NR_AC_FLAGS</c> = 31). access.c keeps "the PRESENT and reserved bits in the higher numbers so that they
/// aren't toggled on every test", so the enumeration order (<see cref="AccessCaseSpace"/>) is numeric order.
/// Display names are access.c's <c>ac_names[]</c> (see <see cref="AccessCaseNames"/>).
/// </summary>
[Flags]
public enum AccessCase : uint
{
    /// <summary>No flag: a supervisor read through a not-present PDE.</summary>
    None = 0,

    /// <summary>PTE R/W = 1 (<c>AC_PTE_WRITABLE</c>, "pte.rw").</summary>
    PteWritable = 0x0000_0001,
    /// <summary>PTE U/S = 1 (<c>AC_PTE_USER</c>, "pte.user").</summary>
    PteUser = 0x0000_0002,
    /// <summary>PTE A = 1 before the access (<c>AC_PTE_ACCESSED</c>, "pte.a").</summary>
    PteAccessed = 0x0000_0004,
    /// <summary>PTE D = 1 before the access (<c>AC_PTE_DIRTY</c>, "pte.d").</summary>
    PteDirty = 0x0000_0008,
    /// <summary>PTE XD (bit 63) = 1 (<c>AC_PTE_NX</c>, "pte.nx"); reserved when EFER.NXE = 0.</summary>
    PteNx = 0x0000_0010,
    /// <summary>PTE P = 1 (<c>AC_PTE_PRESENT</c>, "pte.p").</summary>
    PtePresent = 0x0000_0020,
    /// <summary>PTE bit 51 = 1 (<c>AC_PTE_BIT51</c>, "pte.51"); reserved only when MAXPHYADDR &lt;= 51.</summary>
    PteBit51 = 0x0000_0040,
    /// <summary>PTE bit 36 = 1 (<c>AC_PTE_BIT36</c>, "pte.36"); reserved only when MAXPHYADDR &lt;= 36.</summary>
    PteBit36 = 0x0000_0080,

    /// <summary>PDE R/W = 1 (<c>AC_PDE_WRITABLE</c>, "pde.rw").</summary>
    PdeWritable = 0x0000_0100,
    /// <summary>PDE U/S = 1 (<c>AC_PDE_USER</c>, "pde.user").</summary>
    PdeUser = 0x0000_0200,
    /// <summary>PDE A = 1 before the access (<c>AC_PDE_ACCESSED</c>, "pde.a").</summary>
    PdeAccessed = 0x0000_0400,
    /// <summary>PDE D = 1 before the access (<c>AC_PDE_DIRTY</c>, "pde.d"); ignored unless the PDE is a leaf.</summary>
    PdeDirty = 0x0000_0800,
    /// <summary>PDE PS = 1: the PDE maps a 2 MiB page (<c>AC_PDE_PSE</c>, "pde.pse").</summary>
    PdePse = 0x0000_1000,
    /// <summary>PDE XD (bit 63) = 1 (<c>AC_PDE_NX</c>, "pde.nx"); reserved when EFER.NXE = 0.</summary>
    PdeNx = 0x0000_2000,
    /// <summary>PDE P = 1 (<c>AC_PDE_PRESENT</c>, "pde.p").</summary>
    PdePresent = 0x0000_4000,
    /// <summary>PDE bit 51 = 1 (<c>AC_PDE_BIT51</c>, "pde.51"); reserved only when MAXPHYADDR &lt;= 51.</summary>
    PdeBit51 = 0x0000_8000,
    /// <summary>PDE bit 36 = 1 (<c>AC_PDE_BIT36</c>, "pde.36"); reserved only when MAXPHYADDR &lt;= 36.</summary>
    PdeBit36 = 0x0001_0000,
    /// <summary>PDE bit 13 = 1 (<c>AC_PDE_BIT13</c>, "pde.13"); reserved in a 2 MiB PDE (bits 20:13, SDM table 4-17).</summary>
    PdeBit13 = 0x0002_0000,

    /// <summary>PDPTE R/W = 0 (<c>AC_PDPTE_NO_WRITABLE</c>, "pdpte.ro").</summary>
    PdpteNoWritable = 0x0004_0000,

    /// <summary>PKRU.AD1 = 1 (<c>AC_PKU_AD</c>, "pkru.ad").</summary>
    PkuAd = 0x0008_0000,
    /// <summary>PKRU.WD1 = 1 (<c>AC_PKU_WD</c>, "pkru.wd").</summary>
    PkuWd = 0x0010_0000,
    /// <summary>The leaf carries protection key 1 (<c>AC_PKU_PKEY</c>, "pkey=1"); a non-leaf PDE carries key 2.</summary>
    PkuPkey = 0x0020_0000,

    /// <summary>The access is made at CPL 3 (<c>AC_ACCESS_USER</c>, "user").</summary>
    AccessUser = 0x0040_0000,
    /// <summary>The access is a write (<c>AC_ACCESS_WRITE</c>, "write").</summary>
    AccessWrite = 0x0080_0000,
    /// <summary>The access is an instruction fetch (<c>AC_ACCESS_FETCH</c>, "fetch").</summary>
    AccessFetch = 0x0100_0000,
    /// <summary>A supervisor read precedes the access (<c>AC_ACCESS_TWICE</c>, "twice").</summary>
    AccessTwice = 0x0200_0000,

    /// <summary>EFER.NXE = 1 (<c>AC_CPU_EFER_NX</c>, "efer.nx").</summary>
    CpuEferNx = 0x0400_0000,
    /// <summary>CR0.WP = 1 (<c>AC_CPU_CR0_WP</c>, "cr0.wp").</summary>
    CpuCr0Wp = 0x0800_0000,
    /// <summary>CR4.SMEP = 1 (<c>AC_CPU_CR4_SMEP</c>, "cr4.smep"); never legal in the main loop.</summary>
    CpuCr4Smep = 0x1000_0000,
    /// <summary>CR4.PKE = 1 (<c>AC_CPU_CR4_PKE</c>, "cr4.pke").</summary>
    CpuCr4Pke = 0x2000_0000,

    /// <summary>
    /// Accesses go through KVM's forced-emulation prefix (<c>AC_FEP</c>, "fep"). The model has one walker for
    /// both paths, so the sweep always masks this bit out, as access.c does without <c>force_emulation</c>.
    /// </summary>
    Fep = 0x4000_0000,
}

/// <summary>Names, parsing and the legality rule of <see cref="AccessCase"/>.</summary>
public static class AccessCaseNames
{
    /// <summary>Number of flag bits (access.c <c>NR_AC_FLAGS</c>).</summary>
    public const int FlagCount = 31;

    // access.c ac_names[], indexed by bit number.
    private static readonly string[] s_names =
    [
        "pte.rw", "pte.user", "pte.a", "pte.d", "pte.nx", "pte.p", "pte.51", "pte.36",
        "pde.rw", "pde.user", "pde.a", "pde.d", "pde.pse", "pde.nx", "pde.p", "pde.51", "pde.36", "pde.13",
        "pdpte.ro",
        "pkru.ad", "pkru.wd", "pkey=1",
        "user", "write", "fetch", "twice",
        "efer.nx", "cr0.wp", "cr4.smep", "cr4.pke",
        "fep",
    ];

    /// <summary>The access.c display name of flag bit <paramref name="bit"/> (0..30).</summary>
    public static string NameOf(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, FlagCount);
        return s_names[bit];
    }

    /// <summary>
    /// The case as space-separated names in bit order, as access.c's <c>ac_test_show</c> prints it
    /// ("pte.rw pte.p pde.p write cr0.wp"); <c>"(none)"</c> for the empty case.
    /// </summary>
    public static string Format(this AccessCase flags)
    {
        if (flags == AccessCase.None)
        {
            return "(none)";
        }

        var builder = new StringBuilder();
        for (int bit = 0; bit < FlagCount; bit++)
        {
            if (((uint)flags & (1u << bit)) != 0)
            {
                if (builder.Length != 0)
                {
                    builder.Append(' ');
                }

                builder.Append(s_names[bit]);
            }
        }

        if (((uint)flags >> FlagCount) != 0)
        {
            builder.Append(builder.Length != 0 ? " " : string.Empty).Append($"0x{(uint)flags >> FlagCount << FlagCount:x}");
        }

        return builder.ToString();
    }

    /// <summary>
    /// Parses names separated by spaces or commas ("pte.p pde.p write"), a hex word ("0x4020"), or
    /// "(none)". Unknown names fail with a message that names them.
    /// </summary>
    public static bool TryParse(string text, out AccessCase flags, out string? error)
    {
        flags = AccessCase.None;
        error = null;
        string trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed == "(none)")
        {
            return true;
        }

        if (trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (uint.TryParse(trimmed.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out uint word)
                && (word >> FlagCount) == 0)
            {
                flags = (AccessCase)word;
                return true;
            }

            error = $"'{trimmed}' is not a {FlagCount}-bit hex flag word";
            return false;
        }

        foreach (string name in trimmed.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            int bit = Array.IndexOf(s_names, name);
            if (bit < 0)
            {
                error = $"unknown access.c flag '{name}' (known: {string.Join(' ', s_names)})";
                return false;
            }

            flags |= (AccessCase)(1u << bit);
        }

        return true;
    }

    /// <summary>
    /// access.c <c>ac_test_legal</c>: whether the main loop runs this case. The rules, in access.c's order:
    /// CR4.SMEP is never set in the main loop (SMEP has its own scenario, <c>check_smep_andnot_wp</c>); a
    /// fetch is not a write; PKRU.AD/WD only with CR4.PKE ("only test protection key faults if CR4.PKE=1");
    /// pde.13 only in a 2 MiB PDE ("meaningless if there is a PTE"); and at most one reserved-bit flag among
    /// pde/pte bit 51/36, pde.13 and, when EFER.NXE = 0, pde/pte XD ("reserved bit page faults are terminal
    /// and multiple reserved bits do not affect the error code").
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool Legal(this AccessCase flags)
    {
        // access.c ac_test_legal: "if (F(AC_CPU_CR4_SMEP)) return false;" makes the later
        // "user && smep" rule redundant; both are kept as one test here.
        if ((flags & AccessCase.CpuCr4Smep) != 0)
        {
            return false;
        }

        if ((flags & (AccessCase.AccessFetch | AccessCase.AccessWrite)) == (AccessCase.AccessFetch | AccessCase.AccessWrite))
        {
            return false;
        }

        if ((flags & AccessCase.CpuCr4Pke) == 0 && (flags & (AccessCase.PkuAd | AccessCase.PkuWd)) != 0)
        {
            return false;
        }

        if ((flags & AccessCase.PdePse) == 0 && (flags & AccessCase.PdeBit13) != 0)
        {
            return false;
        }

        AccessCase reserved = AccessCase.PdeBit51 | AccessCase.PdeBit36 | AccessCase.PdeBit13
            | AccessCase.PteBit51 | AccessCase.PteBit36;
        if ((flags & AccessCase.CpuEferNx) == 0)
        {
            reserved |= AccessCase.PdeNx | AccessCase.PteNx;
        }

        // More than one bit set: x & (x - 1) clears the lowest one.
        uint set = (uint)(flags & reserved);
        return (set & (set - 1)) == 0;
    }
}
