using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Experiments;

/// <summary>The paging a notebook guest runs with: the mode plus 32-bit paging's PSE choice.</summary>
public enum GuestPaging
{
    /// <summary>CR0.PG = 0: GVA = GPA.</summary>
    None,

    /// <summary>32-bit paging without CR4.PSE (4 KiB pages only).</summary>
    Bits32,

    /// <summary>32-bit paging with CR4.PSE: 4 MiB pages, PSE-36 address bits (SDM 4.3).</summary>
    Pse36,

    /// <summary>PAE paging (CR4.PAE, not long mode; SDM 4.4).</summary>
    Pae,

    /// <summary>4-level paging (EFER.LMA, CR4.PAE; SDM 4.5).</summary>
    Level4,

    /// <summary>5-level paging (4-level plus CR4.LA57).</summary>
    Level5,
}

/// <summary>
/// A friendly description of a guest's registers — paging and the permission switches a KVM developer flips — that
/// <see cref="Registers"/> turns into the raw CR0/CR3/CR4/EFER/RFLAGS/PKRU the model runs on. It never replaces the
/// raw state: the experiment records the registers, not this.
/// </summary>
/// <param name="Paging">Paging mode.</param>
/// <param name="Wp">CR0.WP: supervisor writes obey R/W (SDM 4.6.1).</param>
/// <param name="Nx">EFER.NXE: XD bits are honoured (PAE, 4/5-level).</param>
/// <param name="Smep">CR4.SMEP.</param>
/// <param name="Smap">CR4.SMAP.</param>
/// <param name="Pke">CR4.PKE: protection keys for user pages (4/5-level only).</param>
/// <param name="Pkru">PKRU: two bits per key, AD (bit 2k) and WD (bit 2k+1).</param>
/// <param name="Ac">RFLAGS.AC: supervisor accesses to user pages allowed under SMAP.</param>
public sealed record GuestSetup(
    GuestPaging Paging = GuestPaging.Level4,
    bool Wp = false,
    bool Nx = false,
    bool Smep = false,
    bool Smap = false,
    bool Pke = false,
    uint Pkru = 0,
    bool Ac = false)
{
    /// <summary>The paging structures the mode walks (<see cref="PagingMode.None"/> with paging off).</summary>
    public PagingMode Mode => ModeOf(Paging);

    /// <summary>The paging structures <paramref name="paging"/> walks.</summary>
    public static PagingMode ModeOf(GuestPaging paging) => paging switch
    {
        GuestPaging.None => PagingMode.None,
        GuestPaging.Bits32 or GuestPaging.Pse36 => PagingMode.Legacy32,
        GuestPaging.Pae => PagingMode.Pae,
        GuestPaging.Level4 => PagingMode.Long4,
        _ => PagingMode.Long5,
    };

    /// <summary>
    /// Checks the switches against the mode, naming the switch: NX needs PAE or long mode (legacy 32-bit entries
    /// have no XD bit, SDM 4.3), PKE needs IA-32e mode (SDM 4.6.2: keys exist only in 4/5-level entries).
    /// </summary>
    /// <returns>The problem as <c>(switch, message)</c>, or <see langword="null"/>.</returns>
    public (string Field, string Message)? Check() => this switch
    {
        { Pke: true, Paging: not (GuestPaging.Level4 or GuestPaging.Level5) } =>
            ("pke", $"protection keys need 4-level or 5-level paging (CR4.PKE applies to IA-32e paging only), not {Paging.Name()}"),
        { Nx: true, Paging: GuestPaging.None or GuestPaging.Bits32 or GuestPaging.Pse36 } =>
            ("nx", $"EFER.NXE has no XD bit to honour with {Paging.Name()} paging (only PAE and 4/5-level entries have one)"),
        _ => null,
    };

    /// <summary>The raw registers: protected mode, paging per <see cref="Paging"/> rooted at <paramref name="cr3"/>.</summary>
    /// <param name="cr3">The top-level table's address (ignored with paging off).</param>
    /// <param name="extraCr4">CR4 bits the caller needs too (CR4.VMXE for a VMX L1).</param>
    /// <param name="extraEfer">EFER bits the caller needs too (EFER.SVME for an SVM L1).</param>
    public CpuRegisters Registers(ulong cr3, ulong extraCr4 = 0, ulong extraEfer = 0)
    {
        bool paging = Paging != GuestPaging.None;
        bool longMode = Paging is GuestPaging.Level4 or GuestPaging.Level5;
        ulong cr0 = Cr0.PE | Cr0.ET | Cr0.NE | (paging ? Cr0.PG : 0) | (Wp ? Cr0.WP : 0);
        ulong cr4 = extraCr4
            | (Paging == GuestPaging.Pse36 ? Cr4.PSE : 0)
            | (Paging is GuestPaging.Pae or GuestPaging.Level4 or GuestPaging.Level5 ? Cr4.PAE : 0)
            | (Paging == GuestPaging.Level5 ? Cr4.LA57 : 0)
            | (Smep ? Cr4.SMEP : 0) | (Smap ? Cr4.SMAP : 0) | (Pke ? Cr4.PKE : 0);
        ulong efer = extraEfer | (longMode ? Efer.LME | Efer.LMA : 0) | (Nx ? Efer.NXE : 0);
        ulong rflags = Rflags.Fixed1 | (Ac ? Rflags.AC : 0);
        return new CpuRegisters(cr0, paging ? cr3 : 0, cr4, efer, rflags, Pkru);
    }
}

/// <summary>Names of <see cref="GuestPaging"/> as users type them.</summary>
public static class GuestPagingNames
{
    /// <summary>Every name, in <see cref="GuestPaging"/> order.</summary>
    public static IReadOnlyList<string> All { get; } = ["none", "32bit", "pse36", "pae", "4level", "5level"];

    /// <summary>The name users type (<c>4level</c>).</summary>
    public static string Name(this GuestPaging paging) => All[(int)paging];

    /// <summary>Parses a name (case-insensitive).</summary>
    public static bool TryParse(string? text, out GuestPaging paging)
    {
        for (int i = 0; i < All.Count; i++)
        {
            if (string.Equals(All[i], text, StringComparison.OrdinalIgnoreCase))
            {
                paging = (GuestPaging)i;
                return true;
            }
        }

        paging = default;
        return false;
    }

    /// <summary>The friendly paging of raw registers (the inverse of <see cref="GuestSetup.Registers"/>).</summary>
    public static GuestPaging Of(in CpuRegisters registers) =>
        (registers.Cr0 & Cr0.PG) == 0 ? GuestPaging.None
        : (registers.Efer & Efer.LMA) != 0 ? ((registers.Cr4 & Cr4.LA57) != 0 ? GuestPaging.Level5 : GuestPaging.Level4)
        : (registers.Cr4 & Cr4.PAE) != 0 ? GuestPaging.Pae
        : (registers.Cr4 & Cr4.PSE) != 0 ? GuestPaging.Pse36
        : GuestPaging.Bits32;
}
