using System.Numerics;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// The set of access.c cases one run enumerates: which flag bits are masked out (access.c's
/// <c>invalid_mask</c>) and the counting order (<c>ac_test_bump</c>).
/// </summary>
/// <remarks>
/// access.c <c>ac_test_run</c> masks out:
/// <list type="bullet">
/// <item><c>pde.51</c>/<c>pte.51</c> when <c>cpuid_maxphyaddr() &gt;= 52</c> and <c>pde.36</c>/<c>pte.36</c>
/// when it is <c>&gt;= 37</c>: a bit below MAXPHYADDR is an address bit, not a reserved one;</item>
/// <item>the four PKU flags when the CPU has no PKU (here: unless <see cref="Pku"/>);</item>
/// <item><c>fep</c> unless forced emulation is requested (here: always, see <see cref="AccessCase.Fep"/>).</item>
/// </list>
/// With these rules the legal counts are 933,888 (MAXPHYADDR &gt;= 52), 1,916,928 (37..51) and
/// 2,899,968 (&lt;= 36) without PKU, and ten times that with it (anchors B3).
/// </remarks>
public sealed class AccessCaseSpace
{
    /// <summary>One past the last flag word (access.c <c>1 &lt;&lt; NR_AC_FLAGS</c>).</summary>
    public const uint End = 1u << AccessCaseNames.FlagCount;

    /// <summary>Creates the space for a guest MAXPHYADDR, with or without the PKU flags.</summary>
    public AccessCaseSpace(int maxPhyAddr, bool pku)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPhyAddr, 32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPhyAddr, 52);
        MaxPhyAddr = maxPhyAddr;
        Pku = pku;

        AccessCase invalid = AccessCase.Fep;
        if (maxPhyAddr >= 52)
        {
            invalid |= AccessCase.PdeBit51 | AccessCase.PteBit51;
        }

        if (maxPhyAddr >= 37)
        {
            invalid |= AccessCase.PdeBit36 | AccessCase.PteBit36;
        }

        if (!pku)
        {
            invalid |= AccessCase.PkuAd | AccessCase.PkuWd | AccessCase.PkuPkey | AccessCase.CpuCr4Pke;
        }

        InvalidMask = invalid;
    }

    /// <summary>Guest MAXPHYADDR (32..52): decides whether bits 36 and 51 are reserved.</summary>
    public int MaxPhyAddr { get; }

    /// <summary>Whether the PKU flags (<c>pkru.ad</c>, <c>pkru.wd</c>, <c>pkey=1</c>, <c>cr4.pke</c>) vary.</summary>
    public bool Pku { get; }

    /// <summary>Flags that never vary in this space (access.c <c>invalid_mask</c>).</summary>
    public AccessCase InvalidMask { get; }

    /// <summary>
    /// One step of access.c <c>ac_test_bump</c>: count up through the valid bits (<c>ac_test_bump_one</c>:
    /// <c>((flags | invalid_mask) + 1) &amp; ~invalid_mask</c>) until a legal case or the end.
    /// </summary>
    /// <returns><see langword="false"/> when the space is exhausted.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool TryBump(ref AccessCase flags)
    {
        uint word = NextLegal((uint)flags, End);
        flags = (AccessCase)word;
        return word < End;
    }

    /// <summary>
    /// Every legal case in access.c's order. access.c runs flag word 0 first (its <c>do ... while
    /// (ac_test_bump(...))</c> loop tests before bumping); 0 is legal, so this is exactly the legal set.
    /// </summary>
    public IEnumerable<AccessCase> Enumerate()
    {
        AccessCase flags = AccessCase.None;
        do
        {
            yield return flags;
        }
        while (TryBump(ref flags));
    }

    /// <summary>Counts the legal cases by walking the enumeration (about 4 M steps without PKU).</summary>
    public long CountLegal()
    {
        long count = 0;
        AccessCase flags = AccessCase.None;
        do
        {
            count++;
        }
        while (TryBump(ref flags));

        return count;
    }

    /// <summary>
    /// The first flag word of slice <paramref name="slice"/> when the enumeration is cut into
    /// <paramref name="sliceCount"/> (a power of two) contiguous runs; slice <paramref name="sliceCount"/> starts at
    /// <see cref="End"/>. <see cref="TryBump"/> counts through the bits outside <see cref="InvalidMask"/> like a
    /// binary counter, so equal ranges of that counter are runs of the enumeration, in its order.
    /// </summary>
    internal uint SliceStart(int slice, int sliceCount)
    {
        if (slice >= sliceCount)
        {
            return End;
        }

        uint varying = (End - 1) & ~(uint)InvalidMask;
        int shift = BitOperations.PopCount(varying) - BitOperations.Log2((uint)sliceCount);
        uint counter = (uint)slice << shift;

        // Deposit the counter's bits, lowest first, into the varying bits (a software PDEP).
        uint word = 0;
        for (uint bits = varying; bits != 0 && counter != 0; bits &= bits - 1, counter >>= 1)
        {
            if ((counter & 1) != 0)
            {
                word |= bits & (0 - bits);
            }
        }

        return word;
    }

    /// <summary>
    /// The first case of the enumeration in [<paramref name="start"/>, <paramref name="end"/>), for example a slice
    /// between two <see cref="SliceStart"/>s (<paramref name="start"/> has no <see cref="InvalidMask"/> bit).
    /// </summary>
    /// <returns><see langword="false"/> when the range holds no case (a slice may hold only illegal words).</returns>
    internal bool TryFirstIn(uint start, uint end, out AccessCase flags)
    {
        uint word = ((AccessCase)start).Legal() ? start : NextLegal(start, end);
        flags = (AccessCase)word;
        return word < end;
    }

    /// <summary>
    /// The first legal word after <paramref name="word"/> in counting order, or a word at or above
    /// <paramref name="end"/>. One step is <c>ac_test_bump_one</c>: <c>((word | invalid_mask) + 1) &amp; ~invalid_mask</c>
    /// (setting the invalid bits first makes the carry skip over them).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private uint NextLegal(uint word, uint end)
    {
        uint invalid = (uint)InvalidMask;
        do
        {
            // Setting the bits IllegalWhateverBelow returns as well carries past every word that differs from this one
            // only in them: all of them are illegal, so the order is unchanged and only illegal words are skipped.
            word = ((word | invalid | IllegalWhateverBelow(word)) + 1) & ~invalid;
        }
        while (word < end && !((AccessCase)word).Legal());

        return word;
    }

    /// <summary>
    /// For a word that <c>ac_test_legal</c> rejects by a rule that reads only bits at or above some bit <c>b</c>, the
    /// mask of the bits below <c>b</c> (the largest such mask over the rules that reject it); 0 for a legal word. With
    /// PKU, 86 % of the counter's words are illegal, most of them by these rules, and were tested one at a time.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static uint IllegalWhateverBelow(uint word)
    {
        const uint smep = (uint)AccessCase.CpuCr4Smep;
        const uint fetchWrite = (uint)(AccessCase.AccessFetch | AccessCase.AccessWrite);
        const uint pkruBits = (uint)(AccessCase.PkuAd | AccessCase.PkuWd);
        const uint pke = (uint)AccessCase.CpuCr4Pke;
        const uint pse = (uint)AccessCase.PdePse;
        const uint bit13 = (uint)AccessCase.PdeBit13;

        // ac_test_legal: CR4.SMEP (bit 28) is never run; a fetch (24) is not a write (23); PKRU.AD/WD (19, 20) only
        // with CR4.PKE (29); pde.13 (17) only with pde.pse (12). Each reads only its own bits.
        uint below = (word & smep) != 0 ? smep - 1 : 0;
        below |= (word & fetchWrite) == fetchWrite ? (uint)AccessCase.AccessWrite - 1 : 0;
        below |= (word & pke) == 0 && (word & pkruBits) != 0 ? (uint)AccessCase.PkuAd - 1 : 0;
        below |= (word & pse) == 0 && (word & bit13) != 0 ? pse - 1 : 0;

        // At most one reserved-bit flag: with two or more set, the bits below the second-highest one do not matter.
        uint reserved = (uint)(AccessCase.PdeBit51 | AccessCase.PdeBit36 | AccessCase.PdeBit13 | AccessCase.PteBit51 | AccessCase.PteBit36);
        if ((word & (uint)AccessCase.CpuEferNx) == 0)
        {
            reserved |= (uint)(AccessCase.PdeNx | AccessCase.PteNx);
        }

        uint set = word & reserved;
        uint belowHighest = set & ~(0x8000_0000u >> BitOperations.LeadingZeroCount(set | 1));
        if (belowHighest != 0)
        {
            below |= (0x8000_0000u >> BitOperations.LeadingZeroCount(belowHighest)) - 1;
        }

        return below;
    }

    /// <summary>Whether <paramref name="flags"/> belongs to this space (legal, and no masked-out flag set).</summary>
    public bool Contains(AccessCase flags) => (flags & InvalidMask) == 0 && flags.Legal();
}

/// <summary>
/// A deterministic slice of the enumeration: shard <see cref="Index"/> of <see cref="Count"/> takes the cases
/// whose ordinal (position in access.c's order) is congruent to <see cref="Index"/> modulo <see cref="Count"/>,
/// so every shard samples all regions of the flag space and the shards together cover it exactly once.
/// </summary>
/// <param name="Index">0-based shard number, below <paramref name="Count"/>.</param>
/// <param name="Count">Number of shards (at least 1).</param>
public readonly record struct AccessShard(int Index, int Count)
{
    /// <summary>The whole space as one shard.</summary>
    public static AccessShard All => new(0, 1);

    /// <summary>Whether the case at <paramref name="ordinal"/> belongs to this shard.</summary>
    public bool Includes(long ordinal) => Count <= 1 || ordinal % Count == Index;

    /// <summary>Parses "K/N" (0 &lt;= K &lt; N).</summary>
    public static bool TryParse(string text, out AccessShard shard, out string? error)
    {
        shard = All;
        error = null;
        int slash = text.IndexOf('/');
        if (slash <= 0
            || !int.TryParse(text.AsSpan(0, slash), out int index)
            || !int.TryParse(text.AsSpan(slash + 1), out int count))
        {
            error = $"--shard '{text}': expected K/N, for example 0/8";
            return false;
        }

        if (count < 1 || index < 0 || index >= count)
        {
            error = $"--shard '{text}': need 0 <= K < N";
            return false;
        }

        shard = new AccessShard(index, count);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Index}/{Count}";
}
