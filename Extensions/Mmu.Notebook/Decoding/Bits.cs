using System.Globalization;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Shadow;
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

    /// <summary>EPT paging-structure entry bits (SDM Vol. 3C 29.3.2, tables 29-2 to 29-6; the model's <see cref="EptPte"/>).</summary>
    public static IReadOnlyList<NamedBit> EptEntryBits { get; } =
    [
        new("R", EptPte.ReadableMask, "read access allowed"),
        new("W", EptPte.WritableMask, "write access allowed"),
        new("X", EptPte.ExecutableMask, "instruction fetch allowed (supervisor fetches under MBEC)"),
        new("PS", EptPte.PageSizeMask, "this entry maps a large page"),
        new("A", 1UL << EptPte.AccessedShift, "accessed (with EPTP bit 6)"),
        new("D", 1UL << EptPte.DirtyShift, "dirty (with EPTP bit 6, leaf only)"),
        new("XU", EptPte.UserExecutableMask, "user-mode fetch allowed (MBEC)"),
    ];

    /// <summary>
    /// EPT-violation exit-qualification bits (SDM Vol. 3C table 28-7; KVM asm/vmx.h <c>EPT_VIOLATION_*</c>, the
    /// model's <see cref="EptViolation"/>).
    /// </summary>
    public static IReadOnlyList<NamedBit> EptQualificationBits { get; } =
    [
        new("read", EptViolation.AccRead, "bit 0: the access was a data read (KVM sets it for every nested walk)"),
        new("write", EptViolation.AccWrite, "bit 1: the access was a data write"),
        new("fetch", EptViolation.AccInstr, "bit 2: the access was an instruction fetch"),
        new("EPTE.R", 1UL << EptViolation.RwxShift, "bit 3: readable, ANDed over the EPT entries walked"),
        new("EPTE.W", 2UL << EptViolation.RwxShift, "bit 4: writable, ANDed over the EPT entries walked"),
        new("EPTE.X", 4UL << EptViolation.RwxShift, "bit 5: executable, ANDed over the EPT entries walked"),
        new("GVA valid", EptViolation.GvaIsValid, "bit 7: the guest-linear-address field is valid"),
        new("final", EptViolation.GvaTranslated, "bit 8: the access was the final translation (clear: a guest page-table access)"),
    ];

    /// <summary>
    /// SVM nested-page-fault <c>EXITINFO1</c> bits (AMD APM Vol. 2 15.25.6): a #PF-style error code plus the stage
    /// bits 32 and 33 (the model's <see cref="NestedPageFault"/>).
    /// </summary>
    public static IReadOnlyList<NamedBit> NpfExitInfoBits { get; } =
    [
        new("P", (ulong)PfErr.Present, "bit 0: the NPT entry was present (protection violation)"),
        new("W", (ulong)PfErr.Write, "bit 1: the access was a write"),
        new("U", (ulong)PfErr.User, "bit 2: user access (every NPT walk is a user walk)"),
        new("RSVD", (ulong)PfErr.Rsvd, "bit 3: a reserved bit was set in an NPT entry"),
        new("I/D", (ulong)PfErr.Fetch, "bit 4: the access was an instruction fetch"),
        new("final GPA", NestedPageFault.GuestFinal, "bit 32: the fault was on the final guest-physical address"),
        new("guest table", NestedPageFault.GuestPage, "bit 33: the fault was on a guest page-table access"),
    ];

    /// <summary>
    /// The named bits of an SPTE in KVM's encoding <paramref name="formatName"/> (<c>legacy</c> x86 or <c>ept</c>), from
    /// the format's own masks (spte.h: <c>shadow_present_mask</c>, <c>shadow_user_mask</c> (EPT: R),
    /// <c>shadow_x_mask</c> / <c>shadow_nx_mask</c>, A/D, <c>shadow_host_writable_mask</c>,
    /// <c>shadow_mmu_writable_mask</c>, <c>SPTE_MMU_PRESENT_MASK</c>).
    /// </summary>
    public static IReadOnlyList<NamedBit> SpteBits(string formatName) =>
        formatName == SpteFormat.Ept.Name ? s_eptSpteBits : s_legacySpteBits;

    private static readonly NamedBit[] s_legacySpteBits = SpteBitsOf(SpteFormat.Legacy, "P", "U", "NX");

    private static readonly NamedBit[] s_eptSpteBits = SpteBitsOf(SpteFormat.Ept, "P", "R", "X");

    private static NamedBit[] SpteBitsOf(SpteFormat format, string present, string user, string exec)
    {
        var bits = new List<NamedBit>();
        void Add(string name, ulong mask, string meaning)
        {
            if (mask != 0)
            {
                bits.Add(new NamedBit(name, mask, meaning));
            }
        }

        Add(present, format.PresentMask, "shadow_present_mask");
        Add("W", SpteFormat.Writable, "writable (PT_WRITABLE_MASK)");
        Add(user, format.UserMask, format.IsEpt ? "readable (shadow_user_mask: EPT R stands for ACC_USER)" : "user (shadow_user_mask)");
        Add(exec, format.IsEpt ? format.ExecMask : format.NxMask, format.IsEpt ? "executable (shadow_x_mask)" : "no-execute (shadow_nx_mask)");
        Add("A", format.AccessedMask, "accessed");
        Add("D", format.DirtyMask, "dirty");
        Add("PS", SpteFormat.PageSize, "maps a large page");
        Add("host-W", format.HostWritable, "shadow_host_writable_mask: the host page is writable");
        Add("mmu-W", format.MmuWritable, "shadow_mmu_writable_mask: KVM may make it writable (not write-protected)");
        Add("present", SpteFormat.MmuPresent, "SPTE_MMU_PRESENT_MASK: maps memory (MMIO SPTEs lack it)");
        return [.. bits];
    }

    /// <summary>The exit's name as the SDM and APM call it, with its number.</summary>
    public static string ExitReasonName(ExitReason reason) => reason switch
    {
        ExitReason.EptViolation => "EPT violation (exit reason 48)",
        ExitReason.EptMisconfig => "EPT misconfiguration (exit reason 49)",
        ExitReason.Npf => "nested page fault (SVM exit 0x400)",
        _ => reason.ToString(),
    };

    /// <summary>The bits that decode the exit's information word (qualification or EXITINFO1); none for a misconfiguration.</summary>
    public static IReadOnlyList<NamedBit> ExitInfoBits(ExitReason reason) => reason switch
    {
        ExitReason.EptViolation => EptQualificationBits,
        ExitReason.Npf => NpfExitInfoBits,
        _ => [],
    };

    /// <summary>What the exit's information word is called: <c>exit qualification</c> or <c>EXITINFO1</c>.</summary>
    public static string ExitInfoName(ExitReason reason) => reason == ExitReason.Npf ? "EXITINFO1" : "exit qualification";

    /// <summary>A sentence on why L2's access exited to L1, from the exit's information word alone (what L1 can tell).</summary>
    public static string ExplainExit(ExitReason reason, ulong exitInfo)
    {
        switch (reason)
        {
            case ExitReason.EptMisconfig:
                // SDM 29.3.3.1: reserved bits, a bad memory type, or W without R / X without execute-only support.
                return "an EPT entry on the way is misconfigured (reserved bits, memory type, or a write-only / unsupported execute-only entry)";
            case ExitReason.EptViolation:
            {
                string access = (exitInfo & EptViolation.AccInstr) != 0 ? "fetch" : (exitInfo & EptViolation.AccWrite) != 0 ? "write" : "read";
                string stage = (exitInfo & EptViolation.GvaIsValid) == 0 ? string.Empty
                    : (exitInfo & EptViolation.GvaTranslated) != 0 ? " of the final guest-physical address" : " of a guest page-table entry";
                ulong rwx = (exitInfo & (7UL << EptViolation.RwxShift)) >> EptViolation.RwxShift;
                string cause = rwx == 0 ? "an EPT entry on the way is not present" : $"the EPT entries allow only {EptRights(rwx)}";
                return $"{access}{stage}: {cause}";
            }

            case ExitReason.Npf:
            {
                var code = (PfErr)(exitInfo & 0xFFFF_FFFF);
                string stage = (exitInfo & NestedPageFault.GuestPage) != 0 ? " of a guest page-table entry"
                    : (exitInfo & NestedPageFault.GuestFinal) != 0 ? " of the final guest-physical address" : string.Empty;
                string access = (code & PfErr.Fetch) != 0 ? "fetch" : (code & PfErr.Write) != 0 ? "write" : "read";
                string cause = (code & PfErr.Rsvd) != 0 ? "a reserved bit is set in an NPT entry"
                    : (code & PfErr.Present) != 0 ? "the NPT entries forbid it (protection violation)"
                    : "an NPT entry on the way is not present";
                return $"{access}{stage}: {cause}";
            }

            default:
                return reason.ToString();
        }
    }

    /// <summary>The names of a shadow page's role word fields that are set, e.g. <c>level=4 direct guest_mode</c> (KVM <c>union kvm_mmu_page_role</c>).</summary>
    public static string RoleFields(PageRole role)
    {
        var fields = new List<string> { "level=" + role.Level.ToString(CultureInfo.InvariantCulture) };
        void Flag(bool set, string name)
        {
            if (set)
            {
                fields.Add(name);
            }
        }

        Flag(role.Has4ByteGpte, "has_4byte_gpte");
        if (role.Quadrant != 0)
        {
            fields.Add("quadrant=" + role.Quadrant.ToString(CultureInfo.InvariantCulture));
        }

        Flag(role.Direct, "direct");
        fields.Add("access=" + AccessLetters(role.Access));
        Flag(role.Invalid, "invalid");
        Flag(role.EferNx, "efer_nx");
        Flag(role.Cr0Wp, "cr0_wp");
        Flag(role.SmepAndNotWp, "smep_andnot_wp");
        Flag(role.SmapAndNotWp, "smap_andnot_wp");
        Flag(role.AdDisabled, "ad_disabled");
        Flag(role.GuestMode, "guest_mode");
        Flag(role.Passthrough, "passthrough");
        return string.Join(' ', fields);
    }

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
    public static string AccessedDirtyChange(ulong before, ulong after) => AccessedDirtyChange(before, after, 1UL << 5, 1UL << 6);

    /// <summary>The same for an EPT entry, whose A and D are bits 8 and 9 (SDM Vol. 3C 29.3.5).</summary>
    public static string EptAccessedDirtyChange(ulong before, ulong after) =>
        AccessedDirtyChange(before, after, 1UL << EptPte.AccessedShift, 1UL << EptPte.DirtyShift);

    private static string AccessedDirtyChange(ulong before, ulong after, ulong accessed, ulong dirty)
    {
        var changes = new List<string>();
        foreach ((string name, ulong mask) in new[] { ("A", accessed), ("D", dirty) })
        {
            if ((before & mask) != (after & mask))
            {
                changes.Add($"{name} {((before & mask) != 0 ? 1 : 0)}→{((after & mask) != 0 ? 1 : 0)}");
            }
        }

        ulong other = (before ^ after) & ~(accessed | dirty);
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

    private static string EptRights(ulong rwx)
    {
        var rights = new List<string>();
        if ((rwx & 1) != 0)
        {
            rights.Add("read");
        }

        if ((rwx & 2) != 0)
        {
            rights.Add("write");
        }

        if ((rwx & 4) != 0)
        {
            rights.Add("execute");
        }

        return string.Join(" and ", rights);
    }

    /// <summary>
    /// Whether a traced access is in L1's EPT/NPT tables (the second dimension of a nested walk) rather than in the
    /// guest's own tables: the model traces 1-D walks as dimension 0, a 2-D walk's guest tables as 1 and its EPT/NPT
    /// tables as 2 (<see cref="WalkContext.Dimension"/>).
    /// </summary>
    public static bool IsTdpRead(TraceEntry entry) => entry.Dimension == 2;

    /// <summary>
    /// The index of the A/D write-back into the entry read at <paramref name="readIndex"/> (the next access to the
    /// same entry, if it is a write), or -1 when the walker left the entry as read.
    /// </summary>
    public static int WriteBackOf(IReadOnlyList<TraceEntry> entries, int readIndex)
    {
        ArgumentNullException.ThrowIfNull(entries);
        TraceEntry read = entries[readIndex];
        for (int i = readIndex + 1; i < entries.Count; i++)
        {
            if (entries[i].Gpa == read.Gpa && entries[i].Dimension == read.Dimension)
            {
                return entries[i].Kind == TraceKind.Write ? i : -1;
            }
        }

        return -1;
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
