namespace Workbench.Mmu.Shadow
{
    /// <summary>
    /// KVM's rmaps (a per-memslot array with one entry per GFN): which leaf SPTEs map a guest frame. One 32-bit word per
    /// GFN, allocated 64K GFNs at a time as frames get mapped: 0 = none, otherwise <c>(page id &lt;&lt; 9 | index) + 1</c>
    /// for the usual single mapping; a frame mapped from several places moves to an overflow list (KVM's
    /// <c>pte_list_desc</c>). 4 bytes per mapped 4K frame, so a fully mapped 64 GiB guest costs 64 MiB.
    /// </summary>
    internal sealed class Rmap
    {
        private const int ChunkShift = 16;
        private const int Overflowed = -1;
        private readonly Dictionary<ulong, int[]> _chunks = new();
        private readonly Dictionary<ulong, List<int>> _overflow = new();

        public static int Encode(int pageId, int index) => (pageId << 9) | index;

        public void Add(ulong gfn, int entry)
        {
            int[] chunk = Chunk(gfn);
            int slot = (int)(gfn & ((1UL << ChunkShift) - 1));
            switch (chunk[slot])
            {
                case 0:
                    chunk[slot] = entry + 1;
                    break;
                case Overflowed:
                    _overflow[gfn].Add(entry);
                    break;
                default:
                    _overflow[gfn] = [chunk[slot] - 1, entry];
                    chunk[slot] = Overflowed;
                    break;
            }
        }

        public void Remove(ulong gfn, int entry)
        {
            if (!_chunks.TryGetValue(gfn >> ChunkShift, out int[]? chunk))
            {
                return;
            }

            int slot = (int)(gfn & ((1UL << ChunkShift) - 1));
            if (chunk[slot] == entry + 1)
            {
                chunk[slot] = 0;
            }
            else if (chunk[slot] == Overflowed && _overflow.TryGetValue(gfn, out List<int>? list))
            {
                list.Remove(entry);
                if (list.Count == 1)
                {
                    chunk[slot] = list[0] + 1;
                    _overflow.Remove(gfn);
                }
            }
        }

        public IReadOnlyList<int> Get(ulong gfn)
        {
            if (!_chunks.TryGetValue(gfn >> ChunkShift, out int[]? chunk))
            {
                return Array.Empty<int>();
            }

            int value = chunk[(int)(gfn & ((1UL << ChunkShift) - 1))];
            return value switch
            {
                0 => Array.Empty<int>(),
                Overflowed => _overflow[gfn].ToArray(),
                _ => [value - 1],
            };
        }

        public void Clear()
        {
            _chunks.Clear();
            _overflow.Clear();
        }

        /// <summary>Bytes held (for the memory figures).</summary>
        public long Bytes => (_chunks.Count * (4L << ChunkShift)) + (_overflow.Count * 64L);

        private int[] Chunk(ulong gfn)
        {
            ulong key = gfn >> ChunkShift;
            if (!_chunks.TryGetValue(key, out int[]? chunk))
            {
                _chunks[key] = chunk = new int[1 << ChunkShift];
            }

            return chunk;
        }
    }
}
