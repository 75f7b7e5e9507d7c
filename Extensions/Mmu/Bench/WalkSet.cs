using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Bench;

/// <summary>
/// The access classes of cwalk's walk benchmarks: every mapped page gets one, and leaf permissions that allow it
/// under the benchmark role (CR0.WP=1, EFER.NX=1, SMEP=1, SMAP=1, CR4.PKE=1 with PKRU key 1 = AD, key 2 = WD).
/// </summary>
public enum WalkClass : byte
{
    /// <summary>Supervisor read of a supervisor page.</summary>
    SupervisorRead = 0,

    /// <summary>Supervisor write of a writable supervisor page.</summary>
    SupervisorWrite = 1,

    /// <summary>User read.</summary>
    UserRead = 2,

    /// <summary>User write.</summary>
    UserWrite = 3,

    /// <summary>User instruction fetch.</summary>
    UserFetch = 4,

    /// <summary>Supervisor instruction fetch of a supervisor page (SMEP allows it).</summary>
    SupervisorFetch = 5,

    /// <summary>Explicit supervisor read of a user page with RFLAGS.AC = 1 (SMAP overridden).</summary>
    SupervisorReadAc = 6,
}

/// <summary>
/// A working set of cwalk's walk benchmarks built in a VM of the model: the same pages, classes, permissions and keys
/// as <c>wset_build</c> (the generator is replayed in cwalk's order), page tables written with
/// <see cref="PageTableBuilder"/>. 1-D sets are walked by the vCPU in L1; 2-D sets by the vCPU in L2, entered with
/// <see cref="Vcpu.EnterNested"/> (nested EPT, EPTP A/D off, execute-only supported), so every walk is the model's
/// nested walk through <c>guest_mmu</c>.
/// </summary>
/// <remarks>
/// Placement: 1-D tables are at the same guest-physical addresses as cwalk's (bump allocation from 4 KiB in
/// pre-order). In 2-D, guest tables have cwalk's L2 GPAs (4 GiB up, pre-order) and data pages its L2 GPAs (a random
/// permutation of the first pages × 4 KiB); their L1 pages are a contiguous run from 1 MiB, and the EPT tables a
/// run from 32 MiB (cwalk interleaves both in one bump allocator; the model's memory is paged anyway).
/// </remarks>
public sealed class WalkSet
{
    /// <summary>cwalk's PKRU for the benchmarks: key 1 access-disabled, key 2 write-disabled.</summary>
    public const uint BenchPkru = (1u << 2) | (1u << 5);

    private const ulong MemoryBytes = 64UL << 20;
    private const ulong GuestTableHostBase = 0x10_0000;
    private const ulong EptTableBase = 0x200_0000;
    private const ulong L2TableGpaBase = 1UL << 32;
    private const ulong L1OwnTables = 0x1000;

    private static readonly int[][][] Fans =
    [
        [[0, 512, 512, 4], [0, 256, 64, 4, 16], [0, 256, 64, 4, 4, 4]],
        [[0, 512, 128, 1], [0, 512, 128, 1, 1], [0, 512, 128, 1, 1, 1]],
    ];

    private readonly List<ulong> _va = new();
    private readonly List<WalkClass> _class = new();
    private readonly List<ulong> _expect = new();
    private readonly int[] _fan;
    private readonly SplitMix64 _rng;
    private readonly PageTableBuilder _guest;
    private readonly PageTableBuilder? _ept;
    private readonly uint[]? _dataPages;
    private int _dataNext;
    private int _guestTables;

    private WalkSet(int levels, int eptLevels, WalkSetSize size, ulong seed)
    {
        Levels = levels;
        EptLevels = eptLevels;
        Size = size;
        _rng = new SplitMix64(seed);
        _fan = Fans[(int)size][levels - 3];
        int pages = 1;
        for (int l = 1; l <= levels; l++)
        {
            pages *= _fan[l];
        }

        LeavesPerTable = _fan[1];
        PagingMode guestMode = levels switch { 3 => PagingMode.Pae, 4 => PagingMode.Long4, _ => PagingMode.Long5 };
        if (eptLevels != 0)
        {
            _ept = new PageTableBuilder(eptLevels == 5 ? PagingMode.Ept5 : PagingMode.Ept4, EptTableBase);
            _dataPages = new uint[pages];
            for (uint i = 0; i < pages; i++)
            {
                _dataPages[i] = i;
            }

            for (uint i = (uint)pages - 1; i > 0; i--)
            {
                uint j = (uint)_rng.Below(i + 1);
                (_dataPages[i], _dataPages[j]) = (_dataPages[j], _dataPages[i]);
            }

            // cwalk: the root is the first guest table (its EPT permission is drawn then).
            _guest = new PageTableBuilder(guestMode, L2TableGpaBase);
        }
        else
        {
            _guest = new PageTableBuilder(guestMode, 0x1000);
        }

        ulong root = GuestTable();
        if (root != _guest.Root)
        {
            throw new InvalidOperationException("walk set: the builder's root is not the first table");
        }

        BuildLevel(levels, 0);
        if (_va.Count != pages)
        {
            throw new InvalidOperationException($"walk set: {_va.Count} pages built, {pages} expected");
        }

        if (_guest.NextFreePage - _guest.Root != (ulong)_guestTables * 4096)
        {
            throw new InvalidOperationException("walk set: table allocation differs from cwalk's pre-order");
        }

        Vm = CreateVm(guestMode);
        Walker = Vm.Vcpu.Contexts.ActiveWalker;
        Addresses = [.. _va];
        Classes = [.. _class];
        Expected = [.. _expect];
        TableBytes = (_guest.NextFreePage - _guest.Root) + (_ept is null ? 0 : _ept.NextFreePage - _ept.Root);
        TableBytes += 0x1000; // cwalk's bump allocator starts at 4 KiB: its table_mib counts page 0
    }

    /// <summary>Guest paging levels (3 = PAE).</summary>
    public int Levels { get; }

    /// <summary>0, or EPT levels of a 2-D set.</summary>
    public int EptLevels { get; }

    /// <summary>Which set.</summary>
    public WalkSetSize Size { get; }

    /// <summary>The VM (in L2 for a 2-D set).</summary>
    public Vm Vm { get; }

    /// <summary>The walker serving the running guest (KVM <c>walk_mmu</c>): root_mmu in 1-D, nested_mmu in 2-D.</summary>
    public PageWalker Walker { get; }

    /// <summary>Linear address of every mapped page (canonical), in cwalk's order.</summary>
    public ulong[] Addresses { get; }

    /// <summary>The access class of every page.</summary>
    public WalkClass[] Classes { get; }

    /// <summary>The address a walk of each page must give (L1 GPA in 2-D).</summary>
    public ulong[] Expected { get; }

    /// <summary>Leaves used per page table (the hot set draws from one table).</summary>
    public int LeavesPerTable { get; }

    /// <summary>Bytes of page tables (guest and EPT), as cwalk's <c>table_mib</c>.</summary>
    public ulong TableBytes { get; }

    /// <summary>The generator, positioned where cwalk's is after building (the sequences draw from it next).</summary>
    public SplitMix64 Random => _rng;

    /// <summary>Builds the set of <paramref name="figure"/> (the hot figure shares the 256 MiB set).</summary>
    public static WalkSet Build(WalkFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        return new WalkSet(figure.Levels, figure.EptLevels, figure.Size, figure.Seed);
    }

    /// <summary>Builds a set directly.</summary>
    public static WalkSet Build(int levels, int eptLevels, WalkSetSize size, ulong seed) => new WalkSet(levels, eptLevels, size, seed);

    /// <summary>Walks every page once with its class at offset 0x123 (setting A, and D for writes, as cwalk does before timing) and checks each address.</summary>
    /// <returns>Null, or the first wrong page.</returns>
    public string? Verify()
    {
        Vcpu vcpu = Vm.Vcpu;
        for (int i = 0; i < Addresses.Length; i++)
        {
            (AccessKind kind, int cpl) = Access(Classes[i]);
            WalkResult r = vcpu.Access(Addresses[i] | 0x123, kind, cpl, false);
            if (!r.IsOk || r.Gpa != (Expected[i] | 0x123))
            {
                return $"page {i} va 0x{Addresses[i]:x} class {Classes[i]}: got {r}, expected 0x{Expected[i] | 0x123:x}";
            }
        }

        return null;
    }

    /// <summary>How <see cref="Vcpu.Access"/> performs a class (RFLAGS.AC is 1 for the whole run; see <see cref="WalkSequence"/>).</summary>
    public static (AccessKind Kind, int Cpl) Access(WalkClass c) => c switch
    {
        WalkClass.SupervisorWrite => (AccessKind.Write, 0),
        WalkClass.UserRead => (AccessKind.Read, 3),
        WalkClass.UserWrite => (AccessKind.Write, 3),
        WalkClass.UserFetch => (AccessKind.Fetch, 3),
        WalkClass.SupervisorFetch => (AccessKind.Fetch, 0),
        _ => (AccessKind.Read, 0),
    };

    /// <summary>
    /// Draws cwalk's timed sequence for this set (<c>bench_walks</c>): <paramref name="ops"/> pages with replacement
    /// (from <paramref name="hot"/> distinct pages under one table when non-zero) plus a random byte offset.
    /// Draws continue the set's generator, so sequences must be drawn in cwalk's figure order.
    /// </summary>
    public WalkSequence Sequence(int hot, int ops)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ops, 1);
        int[] pool = [];
        if (hot > 0)
        {
            if (hot > LeavesPerTable)
            {
                throw new ArgumentOutOfRangeException(nameof(hot), "hot set larger than a page table");
            }

            ulong tableBase = _rng.Below((ulong)(Addresses.Length / LeavesPerTable)) * (ulong)LeavesPerTable;
            int[] pick = PickDistinct(hot, LeavesPerTable);
            pool = new int[hot];
            for (int i = 0; i < hot; i++)
            {
                pool[i] = (int)tableBase + pick[i];
            }
        }

        var seq = new WalkSequence(ops, Walker, Vm.Vcpu);
        ulong want = 0;
        for (int i = 0; i < ops; i++)
        {
            int k = hot > 0 ? pool[_rng.Below((ulong)hot)] : (int)_rng.Below((ulong)Addresses.Length);
            ulong off = _rng.Below(4096);
            seq.Set(i, Addresses[k] | off, Classes[k]);
            want += Expected[k] | off;
        }

        seq.ExpectedSum = want;
        return seq;
    }

    /// <summary>Advances the generator as <see cref="Sequence"/> with hot = 0 would, without building the sequence
    /// (a hot figure alone still gets cwalk's hot pool, which is drawn after the 256 MiB figure's sequence).</summary>
    public void SkipSequence(int ops)
    {
        for (int i = 0; i < ops; i++)
        {
            _rng.Next();
            _rng.Next();
        }
    }

    private static ulong CanonicalTop(int levels) => levels == 3 ? 31UL : (ulong)(12 + (9 * levels) - 1);

    private int[] PickDistinct(int k, int n)
    {
        var all = new int[n];
        for (int i = 0; i < n; i++)
        {
            all[i] = i;
        }

        var result = new int[k];
        for (int i = 0; i < k; i++)
        {
            int j = i + (int)_rng.Below((ulong)(n - i));
            (all[i], all[j]) = (all[j], all[i]);
            result[i] = all[i];
        }

        return result;
    }

    /// <summary>cwalk <c>guest_table</c>: the next table's GPA; in 2-D its EPT mapping (R|W or R|W|X, drawn now).</summary>
    private ulong GuestTable()
    {
        ulong gpa = _guest.Root + ((ulong)_guestTables * 4096);
        _guestTables++;
        if (_ept is not null)
        {
            EptFlags perm = _rng.Below(2) != 0 ? EptFlags.Read | EptFlags.Write : EptFlags.All;
            _ept.MapEpt(gpa, HostPageOf(gpa), PageTableBuilder.Size4K, perm | EptFlags.WriteBack);
        }

        return gpa;
    }

    private static ulong HostPageOf(ulong tableGpa) => GuestTableHostBase + (tableGpa - L2TableGpaBase);

    /// <summary>Where an L2 guest-table GPA of a 2-D set lives in L1 memory (identity for a 1-D set).</summary>
    public ulong HostAddressOfL2(ulong tableGpa) => EptLevels == 0 ? tableGpa : HostPageOf(tableGpa & ~0xFFFUL) + (tableGpa & 0xFFF);

    private void BuildLevel(int level, ulong vaPrefix)
    {
        int k = _fan[level];
        bool paeTop = Levels == 3 && level == 3;
        int[] slots = PickDistinct(k, paeTop ? 4 : 512);
        for (int i = 0; i < k; i++)
        {
            ulong va = vaPrefix | ((ulong)slots[i] << (12 + (9 * (level - 1))));
            if (level > 1)
            {
                // The child table; the builder allocates it (at the same address) when the first leaf below is mapped.
                GuestTable();
                BuildLevel(level - 1, va);
                continue;
            }

            var cls = (WalkClass)_rng.Below(7);
            ulong frame;
            ulong expect;
            if (_ept is not null)
            {
                frame = (ulong)_dataPages![_dataNext++] << 12;
                ulong hpa = (1UL << 40) | (_rng.Below(1UL << 28) << 12); // never read: no backing
                EptFlags perm = cls switch
                {
                    WalkClass.UserFetch or WalkClass.SupervisorFetch =>
                        new[] { EptFlags.Execute, EptFlags.Read | EptFlags.Execute, EptFlags.All }[_rng.Below(3)],
                    WalkClass.SupervisorWrite or WalkClass.UserWrite =>
                        new[] { EptFlags.Read | EptFlags.Write, EptFlags.All }[_rng.Below(2)],
                    _ => new[] { EptFlags.Read, EptFlags.Read | EptFlags.Write, EptFlags.Read | EptFlags.Execute, EptFlags.All }[_rng.Below(4)],
                };
                if (perm == EptFlags.Execute)
                {
                    // The one deliberate difference from cwalk's set: KVM 6.12's nested walk ORs U into the EPT access
                    // (translate_nested_gpa), and for EPT "user" means R, so a fetch needs R|X there. cwalk checks X
                    // only (architectural; its README lists this). The draw stays the same, the leaf gets R|X.
                    perm = EptFlags.Read | EptFlags.Execute;
                }

                _ept.MapEpt(frame, hpa, PageTableBuilder.Size4K, perm | EptFlags.WriteBack);
                expect = hpa;
            }
            else
            {
                frame = _rng.Below(1UL << 34) << 12; // below MAXPHYADDR 46; data pages are never read
                expect = frame;
            }

            (PteFlags flags, int key) = LeafFlags(cls);
            ulong top = CanonicalTop(Levels);
            if (Levels != 3 && ((va >> (int)top) & 1) != 0)
            {
                va |= ~0UL << (int)top;
            }

            _guest.Map(va, frame, PageTableBuilder.Size4K, flags, key);
            _va.Add(va);
            _class.Add(cls);
            _expect.Add(expect);
        }
    }

    /// <summary>cwalk <c>leaf_entry</c>: U by class, W required for writes else random, NX random unless a fetch, a key the access passes.</summary>
    private (PteFlags Flags, int Key) LeafFlags(WalkClass cls)
    {
        PteFlags v = PteFlags.Present;
        bool user = cls is WalkClass.UserRead or WalkClass.UserWrite or WalkClass.UserFetch or WalkClass.SupervisorReadAc;
        if (user)
        {
            v |= PteFlags.User;
        }

        if (cls is WalkClass.SupervisorWrite or WalkClass.UserWrite || _rng.Below(2) != 0)
        {
            v |= PteFlags.Write;
        }

        if (cls is not (WalkClass.UserFetch or WalkClass.SupervisorFetch) && _rng.Below(2) != 0)
        {
            v |= PteFlags.NoExecute;
        }

        int key = 0;
        if (Levels >= 4)
        {
            while (true)
            {
                key = (int)_rng.Below(16);
                bool dataUser = user && cls != WalkClass.UserFetch;
                if (dataUser && key == 1)
                {
                    continue; // AD
                }

                if (key == 2 && cls == WalkClass.UserWrite)
                {
                    continue; // WD
                }

                break;
            }
        }

        return (v, key);
    }

    private Vm CreateVm(PagingMode guestMode)
    {
        bool nested = _ept is not null;
        var vm = Vm.Create(new VmConfig(Vendor.Intel, 46, MemoryBytes, nested ? TdpMode.Ept : TdpMode.None));

        // The figures time the guest walk (what cwalk does); building SPTEs is measured by bench-mmu.
        vm.BuildsPageTables = false;
        foreach (MemoryEntry entry in _guest.ToMemory())
        {
            ulong at = nested ? HostPageOf(entry.Gpa & ~0xFFFUL) + (entry.Gpa & 0xFFF) : entry.Gpa;
            Write(vm, at, entry.Value);
        }

        if (_ept is not null)
        {
            foreach (MemoryEntry entry in _ept.ToMemory())
            {
                Write(vm, entry.Gpa, entry.Value);
            }
        }

        // The benchmark role: WP, NX, SMEP, SMAP, PKE (4/5-level), GBPAGES; RFLAGS.AC = 1 so that the one class
        // that reads a user page from CPL 0 does it as an explicit access with AC set (cwalk's PFEC_NOSMAP request).
        // No other class touches a user page from CPL 0, so AC changes nothing else.
        ulong cr4 = Cr4.PAE | Cr4.SMEP | Cr4.SMAP | (Levels >= 4 ? Cr4.PKE : 0) | (Levels == 5 ? Cr4.LA57 : 0);
        ulong efer = Efer.NXE | (Levels >= 4 ? Efer.LME | Efer.LMA : 0);
        var regs = new CpuRegisters(Cr0.PE | Cr0.PG | Cr0.WP, _guest.Root, cr4, efer, Rflags.Fixed1 | Rflags.AC, Levels >= 4 ? BenchPkru : 0);
        if (!nested)
        {
            Check(vm.Vcpu.LoadState(regs), "registers");
            return vm;
        }

        // L1: 4-level paging with VMXE (its own, empty, PML4 at 4 KiB: L1 itself never walks here).
        var l1 = new CpuRegisters(Cr0.PE | Cr0.PG | Cr0.WP | Cr0.NE, L1OwnTables, Cr4.PAE | Cr4.VMXE,
            Efer.LME | Efer.LMA | Efer.NXE, Rflags.Fixed1, 0);
        Check(vm.Vcpu.LoadState(l1), "L1 registers");

        // EPTP: WB, walk length, A/D off (cwalk, as kvm-unit-tests' ept_access setup); execute-only supported.
        ulong eptp = _ept.Root | ((ulong)(EptLevels - 1) << 3) | 6;
        var guest = new NestedGuest(NestedKind.Vmx, true, eptp, new EptCapabilities(AccessedDirty: false, ExecuteOnly: true), regs);
        Check(vm.Vcpu.EnterNested(guest), "nested entry");
        return vm;
    }

    private static void Write(Vm vm, ulong gpa, ulong value)
    {
        if (!vm.Memory.TryWriteU64(gpa, value))
        {
            throw new InvalidOperationException($"walk set: 0x{gpa:x} is outside the VM's memory");
        }
    }

    private void Check(RegisterWrite write, string what)
    {
        if (!write.Ok)
        {
            throw new InvalidOperationException($"walk set ({Levels}-level, EPT {EptLevels}): the model refused the {what}: {write.Error}");
        }
    }
}
