namespace Workbench.Mmu.Bench;

/// <summary>
/// cwalk's random generator (splitmix64, <c>rnd</c> / <c>rndn</c>): drawing in cwalk's order gives the same sets
/// (addresses, access classes, leaf permissions, protection keys, EPT permissions, data GPAs) as the C reference.
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    /// <summary>Starts at <paramref name="state"/> (cwalk's <c>rng_state</c>).</summary>
    public SplitMix64(ulong state) => _state = state;

    /// <summary>The next 64-bit value.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9e3779b97f4a7c15UL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, n): the high half of next × n (cwalk <c>rndn</c>).</summary>
    public ulong Below(ulong n) => Math.BigMul(Next(), n, out _);
}
