using Workbench.Mmu.Arch;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Shadow
{
    /// <summary>
    /// What <c>FNAME(fetch)</c> reads from KVM's <c>struct guest_walker</c> after a successful walk: per level the
    /// guest table's GFN (<c>table_gfn[]</c>) and the rights of the entries above it (<c>pt_access[]</c>), the leaf
    /// level, the final rights (<c>pte_access</c>), the leaf entry and the final GFN. Rebuilt from the walk's 1-D
    /// reads, as they are where the guest tables really are.
    /// </summary>
    public sealed class GuestWalkDetail
    {
        private readonly ulong[] _tableGfn = new ulong[5];
        private readonly Acc[] _ptAccess = new Acc[5];

        private GuestWalkDetail()
        {
        }

        /// <summary>Level of the leaf (1 = 4K).</summary>
        public int LeafLevel { get; private set; }

        /// <summary>Top level walked (after a PAE PDPTE: 2).</summary>
        public int TopLevel { get; private set; }

        /// <summary>Final rights (before <c>protect_clean_gpte</c>).</summary>
        public Acc PteAccess { get; private set; }

        /// <summary>The leaf guest entry.</summary>
        public ulong LeafEntry { get; private set; }

        /// <summary>Final guest frame the walk reached.</summary>
        public ulong Gfn { get; private set; }

        /// <summary>GFN of the guest table holding the level-<paramref name="level"/> entry.</summary>
        public ulong TableGfn(int level) => _tableGfn[level - 1];

        /// <summary>Rights granted by the entries above level <paramref name="level"/> (ACC_ALL at the top).</summary>
        public Acc PtAccess(int level) => _ptAccess[level - 1];

        /// <summary>
        /// Rebuilds the detail of a successful 1-D walk of <paramref name="mode"/> from its reads (in walk order) and
        /// result.
        /// </summary>
        public static GuestWalkDetail From(PagingMode mode, IEnumerable<TraceEntry> reads, in WalkResult result)
        {
            var detail = new GuestWalkDetail { LeafLevel = result.Level, PteAccess = result.PteAccess, Gfn = result.Gpa >> 12 };
            ulong nx = mode is PagingMode.Legacy32 || mode.IsEpt() ? 0 : Pte64.NxMask;
            ulong accumulated = ~0UL;
            int top = 0;
            for (int level = 0; level < 5; level++)
            {
                detail._ptAccess[level] = Acc.All;
            }

            foreach (TraceEntry entry in reads)
            {
                if (entry.Kind != TraceKind.Read)
                {
                    continue;
                }

                top = Math.Max(top, entry.Level);
                detail._tableGfn[entry.Level - 1] = entry.Gpa >> 12;
                detail._ptAccess[entry.Level - 1] = Access(mode, accumulated ^ nx);
                accumulated &= entry.Value ^ nx;
                detail.LeafEntry = entry.Value;
            }

            detail.TopLevel = top;
            return detail;
        }

        private static Acc Access(PagingMode mode, ulong accumulated) =>
            mode.IsEpt() ? EptEntries.GpteAccess(accumulated) : X86Entries.GpteAccess(accumulated);
    }
}
