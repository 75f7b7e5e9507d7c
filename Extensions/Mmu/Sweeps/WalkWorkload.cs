using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Walk;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// A VM with a page table that maps <see cref="PageCount"/> 4 KiB pages, and a shuffled list of addresses
/// inside them: the shared workload of <c>./workbench bench</c> and the BenchmarkDotNet project, so both
/// measure the same walks. Every address is read once before measuring, so the A bits are set and the timed
/// walks do no A/D writes (a steady-state walk, as after a TLB miss on a hot page).
/// </summary>
public sealed class WalkWorkload
{
    // Entry bits (SDM 4.5 tables 4-14..4-20; PAE PDPTE table 4-8: only P, no R/W or U/S).
    private const ulong Present = 1UL << 0;
    private const ulong Writable = 1UL << 1;
    private const ulong User = 1UL << 2;

    private const ulong TablePool = 1UL << 20;
    private const ulong DataPool = 32UL << 20;
    private const ulong MemorySize = 64UL << 20;

    private readonly ulong[] _addresses;
    private ulong _nextTable = TablePool;

    private WalkWorkload(PagingMode mode, int pageCount, int seed)
    {
        Mode = mode;
        PageCount = pageCount;
        Vm = Vm.Create(new VmConfig(Vendor.Intel, 46, MemorySize, TdpMode.None));
        Memory = Vm.Memory;

        // Canonical bases for each mode; the pages are contiguous, so they span pageCount / 512 page tables.
        ulong baseAddress = mode switch
        {
            PagingMode.Long4 => 0x0000_7f12_3400_0000UL,
            PagingMode.Long5 => 0xff12_3456_7800_0000UL,
            _ => 0x4000_0000UL,
        };

        Root = AllocateTable();
        for (int i = 0; i < pageCount; i++)
        {
            Map(baseAddress + ((ulong)i << 12), DataPool + ((ulong)i << 12));
        }

        ulong efer = mode == PagingMode.Pae ? Efer.NXE : Efer.LME | Efer.LMA | Efer.NXE;
        ulong cr4 = Cr4.PAE | (mode == PagingMode.Long5 ? Cr4.LA57 : 0);
        RegisterWrite loaded = Vm.Vcpu.LoadState(new CpuRegisters(Cr0.PE | Cr0.PG | Cr0.WP, Root, cr4, efer, Rflags.Fixed1, 0));
        if (!loaded.Ok)
        {
            throw new InvalidOperationException($"the model refused the {mode} benchmark registers: {loaded.Error}");
        }

        // Shuffled (deterministically) so that consecutive walks do not touch the same PTE cache line.
        _addresses = new ulong[pageCount];
        var random = new Random(seed);
        for (int i = 0; i < pageCount; i++)
        {
            _addresses[i] = baseAddress + ((ulong)i << 12) + ((ulong)random.Next(512) << 3);
        }

        random.Shuffle(_addresses);
        foreach (ulong address in _addresses)
        {
            WalkResult warm = Vm.Vcpu.Access(address, AccessKind.Read, 0, false);
            if (warm.Outcome != WalkOutcome.Ok)
            {
                throw new InvalidOperationException($"{mode} benchmark mapping is broken at 0x{address:x}: {warm}");
            }
        }
    }

    /// <summary>The paging mode.</summary>
    public PagingMode Mode { get; }

    /// <summary>Number of mapped pages (and of distinct addresses walked).</summary>
    public int PageCount { get; }

    /// <summary>The VM whose vCPU walks.</summary>
    public Vm Vm { get; }

    /// <summary>Its guest memory.</summary>
    public GuestMemory Memory { get; }

    /// <summary>CR3: the PML4/PML5, or the 32-byte PAE PDPT.</summary>
    public ulong Root { get; }

    /// <summary>The addresses walked, in order.</summary>
    public ReadOnlySpan<ulong> Addresses => _addresses;

    /// <summary>Builds the workload (4096 pages by default: eight page tables).</summary>
    public static WalkWorkload Create(PagingMode mode, int pageCount = 4096, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageCount, 8192);
        return new WalkWorkload(mode, pageCount, seed);
    }

    /// <summary>
    /// Performs <paramref name="count"/> read walks through <c>Vcpu.Access</c>, cycling through the addresses.
    /// Returns a checksum of the GPAs so that the work cannot be optimised away.
    /// </summary>
    public ulong Walk(int count)
    {
        Vcpu vcpu = Vm.Vcpu;
        ulong[] addresses = _addresses;
        ulong sum = 0;
        int index = 0;
        for (int i = 0; i < count; i++)
        {
            sum += vcpu.Access(addresses[index], AccessKind.Read, 0, false).Gpa;
            if (++index == addresses.Length)
            {
                index = 0;
            }
        }

        return sum;
    }

    private int RootLevel => Mode switch
    {
        PagingMode.Long5 => 5,
        PagingMode.Long4 => 4,
        _ => 3,
    };

    private ulong AllocateTable()
    {
        ulong table = _nextTable;
        _nextTable += 4096;
        return table;
    }

    private void Map(ulong linear, ulong physical)
    {
        ulong table = Root;
        for (int level = RootLevel; level > 1; level--)
        {
            ulong index = level == 3 && Mode == PagingMode.Pae
                ? (linear >> 30) & 3
                : (linear >> (12 + ((level - 1) * 9))) & 511;
            ulong entryAddress = table + (index * 8);
            Memory.TryReadU64(entryAddress, out ulong entry);
            if ((entry & Present) == 0)
            {
                ulong next = AllocateTable();

                // A PAE PDPTE has no R/W or U/S: bits 2:1 are reserved there (SDM table 4-8).
                entry = next | Present | (level == 3 && Mode == PagingMode.Pae ? 0 : Writable | User);
                Memory.TryWriteU64(entryAddress, entry);
            }

            table = entry & 0x000F_FFFF_FFFF_F000UL;
        }

        Memory.TryWriteU64(table + (((linear >> 12) & 511) * 8), physical | Present | Writable | User);
    }
}
