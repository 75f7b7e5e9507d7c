using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// The smallest change to a guest that makes one access take a given fault, for <c>#!mmu-fault</c>: a fresh page
/// mapped (so no existing mapping is disturbed), at most one register switch turned on by a <c>set</c> step, and the
/// access that faults — all recorded in the guest's experiment, so the fault replays from a saved file.
/// </summary>
public static class FaultRecipes
{
    /// <summary>The faults a recipe exists for, as <c>--kind</c> takes them.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        ["notpresent", "rsvd", "wp", "nx", "smep", "smap", "pku", "ept-violation", "ept-misconfig", "npf"];

    private const ulong Page = 4096;
    private const ulong FirstCandidateGva = 0x7F00_0000;

    /// <summary>Builds the change for <paramref name="kind"/>, runs the access, and explains the outcome.</summary>
    /// <exception cref="ExperimentFormatException">The guest cannot take that fault as it is (field <c>kind</c>), e.g. PKU with 32-bit paging.</exception>
    public static FaultReport Trigger(LiveExperiment guest, string kind)
    {
        ArgumentNullException.ThrowIfNull(guest);
        if (!Kinds.Contains(kind))
        {
            throw new ExperimentFormatException("kind", $"'{kind}' is not a fault kind; use one of {string.Join(", ", Kinds)}");
        }

        int level = guest.Nested is null ? 1 : 2;
        CpuRegisters registers = guest.LevelRegisters(level);
        GuestPaging paging = GuestPagingNames.Of(registers);
        var changes = new List<string>();
        return kind switch
        {
            "notpresent" => NotPresent(guest, level, paging, changes),
            "rsvd" => Reserved(guest, level, paging, registers, changes),
            "wp" => Permission(guest, level, paging, changes, kind, PteFlags.Present, AccessKind.Write, cpl: 0,
                r => (VcpuRegister.Cr0, r.Cr0 | Cr0.WP, "CR0.WP = 1")),
            "nx" => Permission(guest, level, RequireNx(paging), changes, kind, PteFlags.Present | PteFlags.Write | PteFlags.NoExecute, AccessKind.Fetch, cpl: 0,
                r => (VcpuRegister.Efer, r.Efer | Efer.NXE, "EFER.NXE = 1")),
            "smep" => Permission(guest, level, paging, changes, kind, PteFlags.Present | PteFlags.Write | PteFlags.User, AccessKind.Fetch, cpl: 0,
                r => (VcpuRegister.Cr4, r.Cr4 | Cr4.SMEP, "CR4.SMEP = 1")),
            "smap" => Smap(guest, level, paging, registers, changes),
            "pku" => Pku(guest, level, RequireLongMode(paging, "pku"), registers, changes),
            "ept-violation" => Tdp(guest, NestedKind.Vmx, kind, changes, EptFlags.Read | EptFlags.Execute | EptFlags.WriteBack, "read-only (R|X)"),
            "ept-misconfig" => Tdp(guest, NestedKind.Vmx, kind, changes, EptFlags.Write | EptFlags.WriteBack, "write-only (W without R: a misconfiguration)"),
            _ => Tdp(guest, NestedKind.Svm, kind, changes, (EptFlags)(ulong)(PteFlags.Present | PteFlags.User), "read-only (P|U without R/W)"),
        };
    }

    private static FaultReport NotPresent(LiveExperiment guest, int level, GuestPaging paging, List<string> changes)
    {
        ulong gva = FreshGva(guest, RequirePaging(paging, "notpresent"), Page);
        changes.Add($"none: GVA 0x{gva:x} is simply not mapped");
        AccessReport access = guest.Access(new AccessStep(AccessKind.Read, gva));
        return Report("notpresent", changes, access, $"a read of 0x{gva:x}, which no present entry maps, faults with P = 0 in the error code (SDM 4.7).");
    }

    private static FaultReport Reserved(LiveExperiment guest, int level, GuestPaging paging, CpuRegisters registers, List<string> changes)
    {
        RequirePaging(paging, "rsvd");
        int maxPhyAddr = guest.Config.MaxPhyAddr;
        ulong size = Page;
        int bit;
        string why;
        switch (paging)
        {
            case GuestPaging.Bits32:
                throw new ExperimentFormatException("kind", "32-bit paging without CR4.PSE has no reserved bits in its entries (SDM 4.3); use a pse36, pae, 4level or 5level guest");
            case GuestPaging.Pse36:
                // SDM 4.3 table 4-4: bit 21 of a 4 MiB PDE is always reserved.
                size = 4UL << 20;
                bit = 21;
                why = "bit 21 of a 4 MiB PDE is reserved (SDM 4.3, table 4-4)";
                break;
            default:
                if (maxPhyAddr < 52)
                {
                    bit = maxPhyAddr;
                    why = $"bit {bit} is at or above MAXPHYADDR ({maxPhyAddr}), so it is reserved (SDM 4.4.2, 4.5.4)";
                }
                else if ((registers.Efer & Efer.NXE) == 0)
                {
                    bit = 63;
                    why = "bit 63 (XD) is reserved while EFER.NXE = 0 (SDM 4.4.2, 4.5.4)";
                }
                else
                {
                    throw new ExperimentFormatException("kind", "with MAXPHYADDR 52 and EFER.NXE = 1 a leaf PTE has no reserved bit left to set; create the guest with --maxphyaddr below 52");
                }

                break;
        }

        (ulong gva, _, ulong leafGpa) = MapFresh(guest, paging, size, PteFlags.Present | PteFlags.Write, 0, changes);
        ulong entryGpa = leafGpa;
        ulong word = guest.ReadL1(entryGpa & ~7UL);
        int shift = paging == GuestPaging.Pse36 ? (int)((entryGpa & 4) * 8) : 0;
        guest.WriteL1(entryGpa & ~7UL, word | (1UL << (bit + shift)));
        changes.Add($"set reserved bit {bit} in the leaf entry at GPA 0x{entryGpa:x}");
        AccessReport access = guest.Access(new AccessStep(AccessKind.Read, gva) { Level = level == 1 ? null : 2 });
        return Report("rsvd", changes, access, $"the walk for 0x{gva:x} meets a leaf with a reserved bit set, so it faults with P = 1 and RSVD = 1: {why}.");
    }

    private static FaultReport Permission(
        LiveExperiment guest,
        int level,
        GuestPaging paging,
        List<string> changes,
        string kind,
        PteFlags leaf,
        AccessKind accessKind,
        int cpl,
        Func<CpuRegisters, (VcpuRegister Register, ulong Value, string Text)> enable)
    {
        RequirePaging(paging, kind);
        (ulong gva, _, _) = MapFresh(guest, paging, Page, leaf, 0, changes);
        Switch(guest, level, enable, changes);
        AccessReport access = guest.Access(new AccessStep(accessKind, gva, cpl) { Level = level == 1 ? null : 2 });
        string sentence = kind switch
        {
            "wp" => $"a supervisor write to the read-only page at 0x{gva:x} faults because CR0.WP = 1 makes R/W apply to supervisor writes too (SDM 4.6.1; KVM update_permission_bitmask).",
            "nx" => $"an instruction fetch from 0x{gva:x}, whose leaf has XD = 1, faults with I/D = 1 while EFER.NXE = 1 (SDM 4.6.2).",
            _ => $"a supervisor-mode instruction fetch from the user page at 0x{gva:x} faults because CR4.SMEP = 1 (SDM 4.6.1).",
        };
        return Report(kind, changes, access, sentence);
    }

    private static FaultReport Smap(LiveExperiment guest, int level, GuestPaging paging, CpuRegisters registers, List<string> changes)
    {
        RequirePaging(paging, "smap");
        (ulong gva, _, _) = MapFresh(guest, paging, Page, PteFlags.Present | PteFlags.Write | PteFlags.User, 0, changes);
        Switch(guest, level, r => (VcpuRegister.Cr4, r.Cr4 | Cr4.SMAP, "CR4.SMAP = 1"), changes);
        if ((registers.Rflags & Rflags.AC) != 0)
        {
            Switch(guest, level, r => (VcpuRegister.Rflags, r.Rflags & ~Rflags.AC, "RFLAGS.AC = 0"), changes);
        }

        AccessReport access = guest.Access(new AccessStep(AccessKind.Read, gva) { Level = level == 1 ? null : 2 });
        return Report("smap", changes, access, $"a supervisor-mode read of the user page at 0x{gva:x} faults because CR4.SMAP = 1 and RFLAGS.AC = 0 (SDM 4.6.1).");
    }

    private static FaultReport Pku(LiveExperiment guest, int level, GuestPaging paging, CpuRegisters registers, List<string> changes)
    {
        const int key = 1;
        (ulong gva, _, _) = MapFresh(guest, paging, Page, PteFlags.Present | PteFlags.Write | PteFlags.User, key, changes);
        Switch(guest, level, r => (VcpuRegister.Cr4, r.Cr4 | Cr4.PKE, "CR4.PKE = 1"), changes);
        // PKRU bit 2k is AD (access disable) for key k (SDM 4.6.2).
        Switch(guest, level, r => (VcpuRegister.Pkru, r.Pkru | (1u << (2 * key)), $"PKRU.AD{key} = 1"), changes);
        AccessReport access = guest.Access(new AccessStep(AccessKind.Read, gva, Cpl: 3) { Level = level == 1 ? null : 2 });
        return Report("pku", changes, access, $"a user-mode read of 0x{gva:x}, a page with protection key {key}, faults with PK = 1 because PKRU.AD{key} = 1 (SDM 4.6.2).");
    }

    private static FaultReport Tdp(LiveExperiment guest, NestedKind needed, string kind, List<string> changes, EptFlags tdpLeaf, string tdpText)
    {
        if (guest.Nested is not { } nested || nested.Kind != needed || !nested.L1Tdp)
        {
            string what = needed == NestedKind.Vmx ? "a VMX L2 under L1's EPT (#!mmu-nested --kind vmx --l1-tdp on)" : "an SVM L2 under L1's NPT (#!mmu-nested --kind svm --l1-tdp on)";
            throw new ExperimentFormatException("kind", $"{kind} needs {what}; the guest '{guest.Name}' has {(guest.Nested is null ? "no L2" : $"a {guest.Nested.Kind.ToString().ToLowerInvariant()} L2 with l1-tdp {(guest.Nested.L1Tdp ? "on" : "off")}")}");
        }

        CpuRegisters l2 = guest.LevelRegisters(2);
        GuestPaging paging = GuestPagingNames.Of(l2);
        ulong gva;
        ulong l2Gpa;
        if (paging == GuestPaging.None)
        {
            l2Gpa = guest.AllocateData(Page);
            gva = l2Gpa;
        }
        else
        {
            (gva, l2Gpa, _) = MapFresh(guest, paging, Page, PteFlags.Present | PteFlags.Write | PteFlags.User | PteFlags.Accessed | PteFlags.Dirty, 0, changes);
        }

        ulong l1Gpa = guest.AllocateL1Range(Page);
        ulong bits = needed == NestedKind.Vmx ? (ulong)tdpLeaf : (ulong)tdpLeaf & 0xFFF;
        guest.Map(MapTables.Tdp, l2Gpa, l1Gpa, Page, bits);
        changes.Add($"L1's {(needed == NestedKind.Vmx ? "EPT" : "NPT")} maps L2 GPA 0x{l2Gpa:x} → L1 GPA 0x{l1Gpa:x} {tdpText}");
        AccessReport access = guest.Access(new AccessStep(AccessKind.Write, gva) { Level = 2 });
        string sentence = kind switch
        {
            "ept-violation" => $"L2's write to 0x{gva:x} reaches L2 GPA 0x{l2Gpa:x}, whose EPT entry does not allow writes, so L1 gets an EPT-violation VM exit (reason 48) with the write bit and the entry's R|X in the qualification (SDM 29.3.3.2).",
            "ept-misconfig" => $"L2's access to 0x{gva:x} reaches an EPT entry that is writable but not readable (XWR = 010), which is a misconfiguration, so L1 gets an EPT-misconfiguration VM exit (reason 49) (SDM 29.3.3.1).",
            _ => $"L2's write to 0x{gva:x} reaches L2 GPA 0x{l2Gpa:x}, whose NPT entry is read-only, so L1 gets a #NPF VM exit (0x400) with the fault's error code in EXITINFO1 (APM 15.25.6).",
        };
        return Report(kind, changes, access, sentence);
    }

    private static GuestPaging RequirePaging(GuestPaging paging, string kind) =>
        paging != GuestPaging.None ? paging : throw new ExperimentFormatException("kind", $"{kind} needs paging on; the running guest has paging off (GVA = GPA)");

    private static GuestPaging RequireNx(GuestPaging paging) =>
        paging is GuestPaging.Pae or GuestPaging.Level4 or GuestPaging.Level5
            ? paging
            : throw new ExperimentFormatException("kind", $"nx needs PAE, 4-level or 5-level paging (only their entries have an XD bit); the running guest uses {paging.Name()}");

    private static GuestPaging RequireLongMode(GuestPaging paging, string kind) =>
        paging is GuestPaging.Level4 or GuestPaging.Level5
            ? paging
            : throw new ExperimentFormatException("kind", $"{kind} needs 4-level or 5-level paging (protection keys exist in IA-32e entries only); the running guest uses {paging.Name()}");

    /// <summary>Turns a register switch on (or off) with a set step at the running level, unless it already is.</summary>
    private static void Switch(LiveExperiment guest, int level, Func<CpuRegisters, (VcpuRegister Register, ulong Value, string Text)> change, List<string> changes)
    {
        CpuRegisters registers = guest.LevelRegisters(level);
        (VcpuRegister register, ulong value, string text) = change(registers);
        ulong current = register switch
        {
            VcpuRegister.Cr0 => registers.Cr0,
            VcpuRegister.Cr4 => registers.Cr4,
            VcpuRegister.Efer => registers.Efer,
            VcpuRegister.Rflags => registers.Rflags,
            VcpuRegister.Pkru => registers.Pkru,
            _ => registers.Cr3,
        };
        if (current == value)
        {
            return;
        }

        StepResult result = guest.Run(new SetStep([new RegisterAssignment(register, value)]) { Level = level == 1 ? null : 2 });
        if (result is GeneralProtectionResult gp)
        {
            throw new ExperimentFormatException("kind", $"setting {text} failed: {gp.Error}");
        }

        changes.Add(text + (level == 2 ? " (in L2)" : string.Empty));
    }

    /// <summary>Maps a fresh GVA to a fresh data page in the running level's tables; returns the GVA and the leaf entry's L1 GPA.</summary>
    private static (ulong Gva, ulong Gpa, ulong LeafGpa) MapFresh(LiveExperiment guest, GuestPaging paging, ulong size, PteFlags flags, int key, List<string> changes)
    {
        ulong gva = FreshGva(guest, paging, size);
        ulong gpa = guest.AllocateData(size);
        guest.Map(MapTables.Guest, gva, gpa, size, (ulong)flags, key);
        int leafLevel = size == Page ? 1 : 2;
        ulong leafGpa = guest.EntryGpa(MapTables.Guest, gva, leafLevel) ?? throw new InvalidOperationException("the mapping just made has no leaf");
        changes.Add($"map GVA 0x{gva:x} → GPA 0x{gpa:x} ({size / 1024}K) with {FlagNames(flags)}{(key != 0 ? $", key {key}" : string.Empty)}");
        return (gva, gpa, leafGpa);
    }

    private static string FlagNames(PteFlags flags)
    {
        var names = new List<string>();
        if ((flags & PteFlags.Present) != 0) names.Add("P");
        if ((flags & PteFlags.Write) != 0) names.Add("R/W");
        if ((flags & PteFlags.User) != 0) names.Add("U/S");
        if ((flags & PteFlags.Accessed) != 0) names.Add("A");
        if ((flags & PteFlags.Dirty) != 0) names.Add("D");
        if ((flags & PteFlags.NoExecute) != 0) names.Add("XD");
        return string.Join("|", names);
    }

    /// <summary>A GVA, aligned to <paramref name="size"/>, that no entry of the running level's tables maps yet.</summary>
    private static ulong FreshGva(LiveExperiment guest, GuestPaging paging, ulong size)
    {
        int level = size == Page ? 1 : 2;
        for (ulong gva = FirstCandidateGva; gva < 0xFFFF_FFFFUL; gva += size)
        {
            if (guest.EntryGpa(MapTables.Guest, gva, level) is not { } entryGpa)
            {
                return gva;
            }

            if (guest.ReadEntry(entryGpa, GuestSetup.ModeOf(paging)) == 0)
            {
                return gva;
            }
        }

        throw new ExperimentFormatException("kind", "no unmapped GVA left between 0x7f000000 and 4G");
    }

    private static FaultReport Report(string kind, List<string> changes, AccessReport access, string sentence)
    {
        bool expected = kind switch
        {
            "ept-violation" => access.Result.Outcome == WalkOutcome.VmExit && access.Result.ExitReason == ExitReason.EptViolation,
            "ept-misconfig" => access.Result.Outcome == WalkOutcome.VmExit && access.Result.ExitReason == ExitReason.EptMisconfig,
            "npf" => access.Result.Outcome == WalkOutcome.VmExit && access.Result.ExitReason == ExitReason.Npf,
            _ => access.Result.Outcome == WalkOutcome.PageFault && ExpectedBit(kind, access.Result.ErrorCode),
        };
        string explanation = expected
            ? char.ToUpperInvariant(sentence[0]) + sentence[1..]
            : $"Expected {kind}, but the access ended as {access.Result}: the model disagrees with the rule it was built for ({sentence})";
        return new FaultReport(kind, [.. changes], access, explanation);
    }

    private static bool ExpectedBit(string kind, PfErr error) => kind switch
    {
        "notpresent" => (error & PfErr.Present) == 0,
        "rsvd" => (error & PfErr.Rsvd) != 0,
        "wp" => (error & (PfErr.Present | PfErr.Write)) == (PfErr.Present | PfErr.Write) && (error & PfErr.User) == 0,
        "nx" or "smep" => (error & (PfErr.Present | PfErr.Fetch)) == (PfErr.Present | PfErr.Fetch),
        "smap" => (error & PfErr.Present) != 0 && (error & PfErr.User) == 0,
        "pku" => (error & PfErr.PK) != 0,
        _ => false,
    };
}
