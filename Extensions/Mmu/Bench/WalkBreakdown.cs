using System.Diagnostics;
using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Bench;

/// <summary>One component of a walk's time: what the loop does and its median CPU ns per walk.</summary>
/// <param name="Name">Short name.</param>
/// <param name="What">What the loop runs.</param>
/// <param name="Ns">Median process CPU ns per operation.</param>
public sealed record WalkComponent(string Name, string What, double Ns);

/// <summary>
/// Where a walk's time goes, by subtraction (the machine has no hardware counters): the same sequence timed through
/// successively smaller pieces of the model, each loop fully optimized, each measured as the median process CPU time
/// of several repetitions after a warm-up. 1-D: <c>Vcpu.Access</c> → <c>PageWalker.GvaToGpa</c> →
/// <c>GuestWalker&lt;TFormat, NoTrace&gt;.Walk</c> direct → a bare walk (reads and address arithmetic only) over the
/// model's <see cref="GuestMemory"/> → the same bare walk over a flat array (what a memslot's host mapping gives) →
/// <c>PageFormat.PermissionFault</c> alone. 2-D: adds the EPT walks alone (five <c>gva_to_gpa</c> of the EPT walker
/// per 4x4 walk, six per 5x5).
/// </summary>
public sealed class WalkBreakdown
{
    private readonly WalkSet _set;
    private readonly WalkSequence _sequence;
    private readonly int _ops;
    private readonly ulong[] _va;
    private readonly ulong[] _pfec;
    private readonly ulong[] _rflags;
    private readonly Acc[] _acc;
    private readonly uint[] _pkey;
    private readonly ulong[] _flat;
    private readonly ulong[][] _eptGpas; // per op: the L2 GPAs the EPT walker translates (tables, then the final)
    private readonly ulong[][] _eptAccess;

    /// <summary>Prepares the per-op inputs of every component from a sequence of <paramref name="set"/>.</summary>
    public WalkBreakdown(WalkSet set, int hot, int ops)
    {
        ArgumentNullException.ThrowIfNull(set);
        _set = set;
        _ops = ops;
        _sequence = set.Sequence(hot, ops);
        _va = new ulong[ops];
        _pfec = new ulong[ops];
        _rflags = new ulong[ops];
        _acc = new Acc[ops];
        _pkey = new uint[ops];
        _sequence.CopyInputs(_va, _pfec, _rflags);
        Vcpu vcpu = set.Vm.Vcpu;
        for (int i = 0; i < ops; i++)
        {
            WalkResult r = set.Walker.GvaToGpa(_va[i], _pfec[i], _rflags[i], vcpu.Registers.Pkru);
            _acc[i] = r.PteAccess;
            _pkey[i] = r.ProtectionKey;
        }

        // A flat copy of guest memory: the lookup a memslot → host address gives (one add).
        GuestMemory memory = set.Vm.Memory;
        _flat = new ulong[memory.Size / 8];
        for (ulong gpa = 0; gpa < memory.Size; gpa += 8)
        {
            memory.TryReadU64(gpa, out _flat[gpa / 8]);
        }

        _eptGpas = [];
        _eptAccess = [];
        if (set.EptLevels != 0)
        {
            _eptGpas = new ulong[set.Levels + 1][];
            _eptAccess = new ulong[set.Levels + 1][];
            for (int k = 0; k <= set.Levels; k++)
            {
                _eptGpas[k] = new ulong[ops];
                _eptAccess[k] = new ulong[ops];
            }

            ulong mask = 0x000F_FFFF_FFFF_F000UL;
            for (int i = 0; i < ops; i++)
            {
                ulong table = set.Walker.Root;
                for (int level = set.Levels, k = 0; level >= 1; level--, k++)
                {
                    _eptGpas[k][i] = table;
                    _eptAccess[k][i] = (ulong)(PfErr.Write | PfErr.User);
                    ulong entryHost = set.HostAddressOfL2(table) + (((_va[i] >> (12 + (9 * (level - 1)))) & 511) * 8);
                    memory.TryReadU64(entryHost, out ulong entry);
                    table = entry & mask;
                }

                _eptGpas[set.Levels][i] = table | (_va[i] & 0xFFF);
                _eptAccess[set.Levels][i] = _pfec[i] | (ulong)PfErr.User;
            }
        }
    }

    /// <summary>Times every component (median CPU ns per walk over <paramref name="repetitions"/>).</summary>
    public List<WalkComponent> Measure(int repetitions)
    {
        var list = new List<WalkComponent>
        {
            Time("vcpu.access", "Vcpu.Access (canonical check, active walker, gva_to_gpa, exit check)", () => _sequence.RunVcpu(0, _ops), repetitions),
            Time("gva_to_gpa", "PageWalker.GvaToGpa (mode switch, trace null check, translator)", () => _sequence.RunWalker(0, _ops), repetitions),
        };
        if (_set.EptLevels == 0)
        {
            list.Add(Time("guest_walker", "GuestWalker<TFormat, NoTrace>.Walk called directly", RunGeneric, repetitions));
        }
        else
        {
            PageWalker ept = _set.Walker.TranslateThrough!;
            list.Add(Time("ept_walks", $"the {_set.Levels + 1} EPT walks of one 2-D walk alone (EPT walker's GvaToGpa)", () => RunEpt(ept), repetitions));
        }

        if (_set.EptLevels == 0 && _set.Levels >= 4)
        {
            list.Add(Time("bare_model_memory", "bare walk: entry reads + address arithmetic, GuestMemory.TryReadU64", RunBareModel, repetitions));
            list.Add(Time("bare_flat_memory", "bare walk over a flat ulong[] (memslot-like lookup)", RunBareFlat, repetitions));
        }

        list.Add(Time("permission_fault", "PageFormat.PermissionFault alone (one per walk)", RunPermission, repetitions));
        list.Add(Time("loop", "the harness loop alone (sum of va)", RunLoop, repetitions));
        return list;
    }

    private WalkComponent Time(string name, string what, Func<ulong> body, int repetitions)
    {
        ulong sink = 0;
        WalkTimer.WarmUp(() => sink += body(), TimeSpan.FromSeconds(0.5));
        var ns = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
            sink += body();
            ns[r] = (Environment.CpuUsage.TotalTime - cpu0).TotalNanoseconds;
        }

        GC.KeepAlive(sink);
        Array.Sort(ns);
        return new WalkComponent(name, what, WalkTimer.Median(ns) / _ops);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RunGeneric() => _set.Levels switch
    {
        4 => RunGeneric<Long4Format>(),
        5 => RunGeneric<Long5Format>(),
        _ => RunGeneric<PaeFormat>(),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RunGeneric<TFormat>()
        where TFormat : struct, IPagingFormat
    {
        ref readonly WalkContext context = ref _set.Walker.Context;
        uint pkru = _set.Vm.Vcpu.Registers.Pkru;
        ulong[] va = _va;
        ulong[] pfec = _pfec;
        ulong[] rflags = _rflags;
        NoTrace none = default;
        ulong sum = 0;
        for (int i = 0; i < va.Length; i++)
        {
            sum += GuestWalker<TFormat, NoTrace>.Walk(in context, va[i], pfec[i], rflags[i], pkru, ref none).Gpa;
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RunEpt(PageWalker ept)
    {
        ulong sum = 0;
        for (int k = 0; k < _eptGpas.Length; k++)
        {
            ulong[] gpas = _eptGpas[k];
            ulong[] access = _eptAccess[k];
            for (int i = 0; i < gpas.Length; i++)
            {
                sum += ept.GvaToGpa(gpas[i], access[i], 0, 0).Gpa;
            }
        }

        return sum;
    }

    private ulong RunBareModel() => RunBare(new ModelMemory(_set.Vm.Memory));

    private ulong RunBareFlat() => RunBare(new FlatMemory(_flat));

    /// <summary>The walk stripped to its entry reads and address arithmetic (no checks), over a memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RunBare<TMemory>(TMemory memory)
        where TMemory : struct, IEntrySource
    {
        ulong root = _set.Walker.Root;
        int levels = _set.Levels;
        ulong[] va = _va;
        ulong sum = 0;
        for (int i = 0; i < va.Length; i++)
        {
            ulong pte = root;
            ulong a = va[i];
            for (int level = levels; level >= 1; level--)
            {
                pte = memory.Read((pte & 0x000F_FFFF_FFFF_F000UL) + (((a >> (12 + (9 * (level - 1)))) & 511) * 8));
            }

            sum += pte;
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RunPermission()
    {
        PageFormat format = _set.Walker.Format;
        uint pkru = _set.Vm.Vcpu.Registers.Pkru;
        ulong sum = 0;
        for (int i = 0; i < _acc.Length; i++)
        {
            sum += format.PermissionFault(_acc[i], _pkey[i], _pfec[i], _rflags[i], pkru);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RunLoop()
    {
        ulong[] va = _va;
        ulong sum = 0;
        for (int i = 0; i < va.Length; i++)
        {
            sum += va[i];
        }

        return sum;
    }

    /// <summary>Where a bare walk reads its entries.</summary>
    private interface IEntrySource
    {
        ulong Read(ulong gpa);
    }

    /// <summary>The model's guest memory (directory → region → page).</summary>
    private readonly struct ModelMemory(GuestMemory memory) : IEntrySource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Read(ulong gpa)
        {
            memory.TryReadU64(gpa, out ulong value);
            return value;
        }
    }

    /// <summary>A flat copy of it (one bounds check and one add, like a memslot's host mapping).</summary>
    private readonly struct FlatMemory(ulong[] flat) : IEntrySource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Read(ulong gpa) => gpa < (ulong)flat.Length * 8 ? flat[gpa >> 3] : 0;
    }
}
