using System.Globalization;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Decoding;

/// <summary>A named bit (or field) of a register or entry, with what it means when set.</summary>
/// <param name="Name">Short name as the SDM writes it (<c>P</c>, <c>R/W</c>, <c>WP</c>).</param>
/// <param name="Mask">The bit(s).</param>
/// <param name="Meaning">One phrase for hover text and plain-text legends.</param>
public readonly record struct NamedBit(string Name, ulong Mask, string Meaning);

/// <summary>
/// Decodes the raw values the model deals in (error codes, paging-structure entries, control registers) into
/// named bits, so every formatter and chart says the same thing the same way.
/// </summary>
public static class Bits
{
    /// <summary>The architectural #PF error-code bits every page fault shows, set or not (SDM Vol. 3A 4.7).</summary>
    public static IReadOnlyList<NamedBit> ErrorCodeBits { get; } =
    [
        new("P", (ulong)PfErr.Present, "1: protection violation; 0: the entry was not present"),
        new("W", (ulong)PfErr.Write, "1: the access was a write; 0: a read or fetch"),
        new("U", (ulong)PfErr.User, "1: user-mode access (CPL 3); 0: supervisor"),
        new("RSVD", (ulong)PfErr.Rsvd, "a reserved bit was set in a paging-structure entry"),
        new("I/D", (ulong)PfErr.Fetch, "the access was an instruction fetch (reported with EFER.NXE or CR4.SMEP)"),
        new("PK", (ulong)PfErr.PK, "protection-key violation (PKRU)"),
    ];

    /// <summary>Error-code bits shown only when set (shadow stack, SGX, KVM's synthetic bits).</summary>
    public static IReadOnlyList<NamedBit> RareErrorCodeBits { get; } =
    [
        new("SS", (ulong)PfErr.SS, "shadow-stack access"),
        new("SGX", (ulong)PfErr.Sgx, "SGX access-control violation"),
        new("GUEST_FINAL", (ulong)PfErr.GuestFinal, "KVM: fault on the final GPA of a nested walk"),
        new("GUEST_PAGE", (ulong)PfErr.GuestPage, "KVM: fault on a guest page-table GPA of a nested walk"),
        new("IMPLICIT", (ulong)PfErr.ImplicitAccess, "KVM: implicit supervisor access"),
    ];

    /// <summary>Paging-structure entry bits shown for every entry (SDM Vol. 3A tables 4-14 to 4-20).</summary>
    public static IReadOnlyList<NamedBit> EntryBits { get; } =
    [
        new("P", 1UL << 0, "present"),
        new("RW", 1UL << 1, "writable (R/W)"),
        new("US", 1UL << 2, "user accessible (U/S)"),
        new("A", 1UL << 5, "accessed: set by the walk"),
        new("D", 1UL << 6, "dirty: set by a write (leaf only)"),
        new("PS", 1UL << 7, "page size: this entry maps a large page (levels 2 and 3; PAT in a 4K PTE)"),
        new("NX", 1UL << 63, "execute disable (XD), with EFER.NXE"),
    ];

    /// <summary>CR0 bits (SDM Vol. 3A 2.5).</summary>
    public static IReadOnlyList<NamedBit> Cr0Bits { get; } =
    [
        new("PE", Cr0.PE, "protection enable"), new("MP", Cr0.MP, "monitor coprocessor"), new("EM", Cr0.EM, "emulation"),
        new("TS", Cr0.TS, "task switched"), new("ET", Cr0.ET, "extension type"), new("NE", Cr0.NE, "numeric error"),
        new("WP", Cr0.WP, "write protect: supervisor writes honour R/W"), new("AM", Cr0.AM, "alignment mask"),
        new("NW", Cr0.NW, "not write-through"), new("CD", Cr0.CD, "cache disable"), new("PG", Cr0.PG, "paging"),
    ];

    /// <summary>CR4 bits that matter to the MMU, plus the common others (SDM Vol. 3A 2.5).</summary>
    public static IReadOnlyList<NamedBit> Cr4Bits { get; } =
    [
        new("PSE", Cr4.PSE, "4 MiB pages in 32-bit paging"), new("PAE", Cr4.PAE, "physical address extension: 64-bit entries"),
        new("PGE", Cr4.PGE, "global pages"), new("LA57", Cr4.LA57, "5-level paging"), new("SMEP", Cr4.SMEP, "supervisor-mode execution prevention"),
        new("SMAP", Cr4.SMAP, "supervisor-mode access prevention"), new("PKE", Cr4.PKE, "protection keys for user pages"),
        new("PCIDE", Cr4.PCIDE, "process-context identifiers"), new("VMXE", Cr4.VMXE, "VMX enable"), new("CET", Cr4.CET, "control-flow enforcement"),
        new("PKS", Cr4.PKS, "protection keys for supervisor pages"), new("OSFXSR", Cr4.OSFXSR, "FXSAVE/FXRSTOR"),
        new("OSXMMEXCPT", Cr4.OSXMMEXCPT, "SIMD exceptions"), new("OSXSAVE", Cr4.OSXSAVE, "XSAVE"), new("FSGSBASE", Cr4.FSGSBASE, "RDFSBASE etc."),
        new("UMIP", Cr4.UMIP, "user-mode instruction prevention"), new("DE", Cr4.DE, "debugging extensions"), new("TSD", Cr4.TSD, "time stamp disable"),
        new("PCE", Cr4.PCE, "performance counters"), new("MCE", Cr4.MCE, "machine check"), new("SMXE", Cr4.SMXE, "SMX enable"),
        new("VME", Cr4.VME, "virtual-8086 extensions"), new("PVI", Cr4.PVI, "protected-mode virtual interrupts"),
    ];

    /// <summary>EFER bits (SDM Vol. 3A 2.2.1; AMD APM 3.1.7).</summary>
    public static IReadOnlyList<NamedBit> EferBits { get; } =
    [
        new("SCE", Efer.SCE, "SYSCALL enable"), new("LME", Efer.LME, "long mode enable"), new("LMA", Efer.LMA, "long mode active"),
        new("NXE", Efer.NXE, "no-execute enable: bit 63 of entries is XD"), new("SVME", Efer.SVME, "SVM enable"),
        new("LMSLE", Efer.LMSLE, "long mode segment limit enable"), new("FFXSR", Efer.FFXSR, "fast FXSAVE/FXRSTOR"),
    ];

    /// <summary><c>0x</c> + lowercase hex without leading zeros, as experiment files write numbers.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The names of the set bits of <paramref name="value"/> among <paramref name="bits"/>, space separated; <c>-</c> when none.</summary>
    public static string SetNames(ulong value, IReadOnlyList<NamedBit> bits)
    {
        string[] names = bits.Where(b => (value & b.Mask) != 0).Select(b => b.Name).ToArray();
        return names.Length == 0 ? "-" : string.Join(' ', names);
    }

    /// <summary>
    /// The error code as <c>P W U</c> (set bits only, SDM names), or <c>none</c> for 0 (a not-present
    /// supervisor read).
    /// </summary>
    public static string ErrorCodeNames(PfErr errorCode)
    {
        ulong value = (ulong)errorCode;
        var names = ErrorCodeBits.Concat(RareErrorCodeBits).Where(b => (value & b.Mask) != 0).Select(b => b.Name).ToList();
        ulong known = ErrorCodeBits.Concat(RareErrorCodeBits).Aggregate(0UL, (all, b) => all | b.Mask);
        if ((value & ~known) != 0)
        {
            names.Add(Hex(value & ~known));
        }

        return names.Count == 0 ? "none" : string.Join(' ', names);
    }

    /// <summary>A sentence on why the fault happened, from the error code alone (what a guest handler can tell).</summary>
    public static string ExplainErrorCode(PfErr errorCode)
    {
        string access = (errorCode & PfErr.Fetch) != 0 ? "instruction fetch"
            : (errorCode & PfErr.Write) != 0 ? "write" : "read";
        string mode = (errorCode & PfErr.User) != 0 ? "user" : "supervisor";
        string cause = (errorCode & PfErr.Rsvd) != 0 ? "a reserved bit is set in a paging-structure entry"
            : (errorCode & PfErr.PK) != 0 ? "the protection key forbids it (PKRU)"
            : (errorCode & PfErr.Present) != 0 ? "the entries forbid it (protection violation)"
            : "an entry on the way is not present";
        return $"{mode} {access}: {cause}";
    }

    /// <summary>The protection key of a 64-bit entry (bits 62:59).</summary>
    public static uint ProtectionKey(ulong entry) => (uint)(entry >> 59) & 0xF;

    /// <summary>
    /// What an A/D write-back changed, e.g. <c>A 0→1, D 0→1</c>, comparing the value written with the value read
    /// before it; empty when nothing in A/D changed.
    /// </summary>
    public static string AccessedDirtyChange(ulong before, ulong after)
    {
        var changes = new List<string>();
        foreach ((string name, ulong mask) in new[] { ("A", 1UL << 5), ("D", 1UL << 6) })
        {
            if ((before & mask) != (after & mask))
            {
                changes.Add($"{name} {((before & mask) != 0 ? 1 : 0)}→{((after & mask) != 0 ? 1 : 0)}");
            }
        }

        ulong other = (before ^ after) & ~((1UL << 5) | (1UL << 6));
        if (other != 0)
        {
            changes.Add("other bits " + Hex(other));
        }

        return string.Join(", ", changes);
    }

    /// <summary>
    /// For each trace entry, the value of the same entry as last read before it (for writes), so write-backs can
    /// show what they changed; null when the trace has no earlier read of that address.
    /// </summary>
    public static ulong?[] PreviousValues(IReadOnlyList<TraceEntry> entries)
    {
        var previous = new ulong?[entries.Count];
        var last = new Dictionary<(ulong Gpa, int Dimension), ulong>();
        for (int i = 0; i < entries.Count; i++)
        {
            TraceEntry entry = entries[i];
            var key = (entry.Gpa, entry.Dimension);
            if (last.TryGetValue(key, out ulong value))
            {
                previous[i] = value;
            }

            last[key] = entry.Value;
        }

        return previous;
    }

    /// <summary>Access rights as <c>U W X</c> letters, <c>-</c> for a missing right (e.g. <c>U-X</c>).</summary>
    public static string AccessLetters(Acc access) =>
        string.Concat(
            (access & Acc.User) != 0 ? "U" : "-",
            (access & Acc.Write) != 0 ? "W" : "-",
            (access & Acc.Exec) != 0 ? "X" : "-");

    /// <summary>A page size as <c>4K</c>, <c>2M</c>, <c>4M</c>, <c>1G</c> or a byte count.</summary>
    public static string PageSize(ulong bytes) => bytes switch
    {
        1UL << 12 => "4K",
        1UL << 21 => "2M",
        1UL << 22 => "4M",
        1UL << 30 => "1G",
        _ => Hex(bytes),
    };
}
