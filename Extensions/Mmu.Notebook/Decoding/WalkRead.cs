using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Decoding;

/// <summary>One page-table read of a walk, with the A/D write-back the walker then made into the same entry.</summary>
/// <param name="Order">1-based position among the walk's reads.</param>
/// <param name="Entry">The read (or PDPTR register use).</param>
/// <param name="Tdp">The entry is in L1's EPT/NPT tables (<see cref="Bits.IsTdpRead"/>).</param>
/// <param name="EntryBits">The bits of the entry's own format: EPT bits for EPT entries, x86 bits otherwise.</param>
/// <param name="WrittenBack">The value the walker wrote back into the entry, or <see langword="null"/>.</param>
public readonly record struct WalkRead(int Order, TraceEntry Entry, bool Tdp, IReadOnlyList<NamedBit> EntryBits, ulong? WrittenBack)
{
    /// <summary>The entry is in EPT format (SDM Vol. 3C 29.3.2), not x86.</summary>
    public bool IsEpt => ReferenceEquals(EntryBits, Bits.EptEntryBits);

    /// <summary>What the write-back changed (<c>A 0→1, D 0→1</c>, A/D at bits 8/9 in EPT entries); empty without one.</summary>
    public string AccessedDirtyChange => WrittenBack is not ulong written ? string.Empty
        : IsEpt ? Bits.EptAccessedDirtyChange(Entry.Value, written) : Bits.AccessedDirtyChange(Entry.Value, written);

    /// <summary>The entry maps or points to something: P in x86 formats, any of R/W/X in EPT.</summary>
    public bool Present => IsEpt ? (Entry.Value & EptPte.RwxMask) != 0 : (Entry.Value & 1) != 0;

    /// <summary>
    /// The reads of <paramref name="trace"/> in order, each with its write-back folded in: what a walk table shows
    /// one row each and the walk grid one cell each.
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <param name="nestedMode">Format of L1's EPT/NPT tables (<see cref="PagingMode.None"/>: x86 bits for every entry).</param>
    /// <param name="mode">Format of the walk's own tables (an EPT walker's 1-D walk reads EPT entries).</param>
    public static IReadOnlyList<WalkRead> Of(IReadOnlyList<TraceEntry> trace, PagingMode nestedMode, PagingMode mode = PagingMode.None)
    {
        ArgumentNullException.ThrowIfNull(trace);
        bool ept = nestedMode is PagingMode.Ept4 or PagingMode.Ept5;
        bool eptGuest = mode.IsEpt();
        var reads = new List<WalkRead>();
        for (int i = 0; i < trace.Count; i++)
        {
            TraceEntry entry = trace[i];
            if (entry.Kind == TraceKind.Write)
            {
                continue;
            }

            bool tdp = Bits.IsTdpRead(entry);
            int writeBack = Bits.WriteBackOf(trace, i);
            reads.Add(new WalkRead(reads.Count + 1, entry, tdp, (tdp ? ept : eptGuest) ? Bits.EptEntryBits : Bits.EntryBits, writeBack >= 0 ? trace[writeBack].Value : null));
        }

        return reads;
    }
}
