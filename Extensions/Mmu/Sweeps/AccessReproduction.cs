using System.Collections.Immutable;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// Turns an access.c case into an <c>mmu-workbench.experiment/1</c> experiment that replays it on its own
/// (<c>./workbench run --jsonl</c>): the paging entries on the walk as the sweep laid them, the registers,
/// the access(es), and peeks of the PDE and PTE so the replay shows the A/D bits the walk left.
/// </summary>
public static class AccessReproduction
{
    /// <summary>The experiment for <paramref name="flags"/> under <paramref name="layout"/> and a MAXPHYADDR.</summary>
    public static Experiment Build(AccessCase flags, AccessLayout layout, int maxPhyAddr)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var memory = ImmutableArray.CreateBuilder<MemoryEntry>();
        for (int level = layout.Levels; level >= AccessLayout.LeafLevel(flags); level--)
        {
            memory.Add(new MemoryEntry(layout.EntryAddress(level), layout.Entry(flags, level)));
        }

        // access.c ac_test_do_access stores a RET at the test page so that "fetch" can CALL it.
        memory.Add(new MemoryEntry(AccessLayout.DataPhys, AccessLayout.DataWord));

        var steps = ImmutableArray.CreateBuilder<ExperimentStep>();
        if ((flags & AccessCase.AccessTwice) != 0)
        {
            // access.c ac_test_do_access: "twice" first reads the address in supervisor mode.
            steps.Add(new AccessStep(AccessKind.Read, AccessLayout.TestAddress, 0, false));
        }

        steps.Add(new AccessStep(KindOf(flags), AccessLayout.TestAddress, CplOf(flags), false));
        steps.Add(new PeekStep(layout.PdeAddress));
        if (AccessLayout.LeafLevel(flags) == 1)
        {
            steps.Add(new PeekStep(layout.PteAddress));
        }

        return new Experiment
        {
            Name = $"access.c {layout.Levels}-level 0x{(uint)flags:x8}: {flags.Format()}",
            Vm = new VmConfig(Vendor.Intel, maxPhyAddr, AccessLayout.MinimumMemory, TdpMode.None),
            Memory = memory.ToImmutable(),
            Vcpu = Registers(flags, layout),
            Steps = steps.ToImmutable(),
        };
    }

    /// <summary>The registers a case runs with (access.c <c>ac_test_do_access</c>'s CR0/EFER/CR4/PKRU writes).</summary>
    public static CpuRegisters Registers(AccessCase flags, AccessLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new CpuRegisters(
            AccessLayout.Cr0(flags),
            layout.Root,
            layout.Cr4(flags),
            AccessLayout.Efer(flags),
            AccessLayout.InitialRflags,
            AccessLayout.Pkru(flags));
    }

    /// <summary>Read, write or fetch, from "write"/"fetch" (legal cases never have both).</summary>
    public static AccessKind KindOf(AccessCase flags) =>
        (flags & AccessCase.AccessFetch) != 0 ? AccessKind.Fetch
        : (flags & AccessCase.AccessWrite) != 0 ? AccessKind.Write
        : AccessKind.Read;

    /// <summary>CPL 3 with "user" (access.c enters user mode with IRETQ), else 0.</summary>
    public static int CplOf(AccessCase flags) => (flags & AccessCase.AccessUser) != 0 ? 3 : 0;

    /// <summary>
    /// One JSON line (no whitespace) in the canonical form of <see cref="ExperimentWriter"/>, ready for a
    /// <c>.jsonl</c> file that <c>./workbench run --jsonl</c> replays.
    /// </summary>
    public static string ToJsonLine(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return ExperimentWriter.Write(experiment, singleLine: true);
    }
}
