using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Bench;

/// <summary>
/// A timed sequence of walks over a <see cref="WalkSet"/>: per walk the address, the class as
/// <see cref="Vcpu.Access"/> takes it (kind, CPL) and as <see cref="PageWalker.GvaToGpa"/> takes it (PFERR, RFLAGS).
/// The loops return the sum of the GPAs, which must equal <see cref="ExpectedSum"/>.
/// </summary>
/// <remarks>
/// The loops themselves are <see cref="MethodImplOptions.AggressiveOptimization"/>: fully optimized at their first
/// call, never ReadyToRun, never instrumented. Otherwise the harness loop (called only a few times, with a long loop
/// inside) would be timed as ReadyToRun or instrumented tier-1 code in the published CLI; the model's code it calls
/// tiers up as in any user's program.
/// </remarks>
public sealed class WalkSequence
{
    private readonly ulong[] _va;
    // Access kind (bits 1:0) and CPL (bits 3:2) of each walk in one byte: with the address, 9 bytes per walk stream
    // through the cache during a run, as cwalk's va[] and rq[] (13 bytes as an AccessKind[] and a byte[] made the
    // big sets' tables share the cache with a third more harness data).
    private readonly byte[] _access;
    private readonly ulong[] _pfec;
    private readonly ulong[] _rflags;
    private readonly PageWalker _walker;
    private readonly Vcpu _vcpu;
    private readonly uint _pkru;

    internal WalkSequence(int ops, PageWalker walker, Vcpu vcpu)
    {
        _va = new ulong[ops];
        _access = new byte[ops];
        _pfec = new ulong[ops];
        _rflags = new ulong[ops];
        _walker = walker;
        _vcpu = vcpu;
        _pkru = vcpu.Registers.Pkru;
    }

    /// <summary>Walks in the sequence.</summary>
    public int Count => _va.Length;

    /// <summary>Sum of the expected GPAs (with offsets) over the whole sequence.</summary>
    public ulong ExpectedSum { get; internal set; }

    /// <summary>
    /// Walks [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) through
    /// <see cref="Vcpu.Access"/>: what a user's loop of accesses runs (linearization, the active walker's
    /// <c>gva_to_gpa</c>, fault delivery).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong RunVcpu(int start, int count)
    {
        // cwalk's timed loop in C#: the range is checked once here, then the two arrays are read without per-element
        // bounds checks and the loop counts up to zero, so what is left around each call is Vcpu.Access itself.
        Vcpu vcpu = _vcpu;
        ArgumentOutOfRangeException.ThrowIfGreaterThan((ulong)(uint)start + (uint)count, (ulong)_va.Length, nameof(count));
        ref ulong vaEnd = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_va), start + count);
        ref byte accessEnd = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_access), start + count);
        ulong sum = 0;
        for (nint i = -count; i < 0; i++)
        {
            int kindAndCpl = Unsafe.Add(ref accessEnd, i);
            sum += vcpu.Access(Unsafe.Add(ref vaEnd, i), (AccessKind)(kindAndCpl & 3), kindAndCpl >> 2, false).Gpa;
        }

        return sum;
    }

    /// <summary>
    /// Walks the range through <see cref="PageWalker.GvaToGpa"/> of the active walker with cwalk's per-walk inputs
    /// (PFERR bits, RFLAGS.AC only for the SMAP-override class): the walk alone, as cwalk's <c>gwalk</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong RunWalker(int start, int count)
    {
        PageWalker walker = _walker;
        ulong[] va = _va;
        ulong[] pfec = _pfec;
        ulong[] rflags = _rflags;
        uint pkru = _pkru;
        ulong sum = 0;
        int end = start + count;
        for (int i = start; i < end; i++)
        {
            sum += walker.GvaToGpa(va[i], pfec[i], rflags[i], pkru).Gpa;
        }

        return sum;
    }

    /// <summary>
    /// A trivial loop over the same addresses (a dependent multiply-xor per element, no memory but the sequence): the
    /// baseline a benchmark guard divides the walk's time by, so the machine's speed cancels out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong RunBaseline(int start, int count)
    {
        ulong[] va = _va;
        ulong sum = 0;
        int end = start + count;
        for (int i = start; i < end; i++)
        {
            // A dependent multiply-xor chain: a few cycles per element, not vectorisable, no memory but va[].
            sum = (sum ^ va[i]) * 0x100000001b3UL;
            sum ^= sum >> 29;
        }

        return sum;
    }

    /// <summary>Walks the range <paramref name="walksPerOp"/> times through <see cref="Vcpu.Access"/> (a guard's
    /// stand-in for a walker that got that many times slower).</summary>
    public ulong RunVcpuRepeated(int start, int count, int walksPerOp)
    {
        ulong sum = 0;
        for (int r = 0; r < walksPerOp; r++)
        {
            sum += RunVcpu(start, count);
        }

        return sum;
    }

    /// <summary>Copies the per-walk inputs of <see cref="RunWalker"/> (address, PFERR bits, RFLAGS).</summary>
    public void CopyInputs(Span<ulong> va, Span<ulong> pfec, Span<ulong> rflags)
    {
        _va.CopyTo(va);
        _pfec.CopyTo(pfec);
        _rflags.CopyTo(rflags);
    }

    internal void Set(int i, ulong va, WalkClass cls)
    {
        (AccessKind kind, int cpl) = WalkSet.Access(cls);
        _va[i] = va;
        _access[i] = (byte)((int)kind | (cpl << 2));
        _pfec[i] = kind.AccessPfec(cpl, false);
        _rflags[i] = Rflags.Fixed1 | (cls == WalkClass.SupervisorReadAc ? Rflags.AC : 0);
    }
}
