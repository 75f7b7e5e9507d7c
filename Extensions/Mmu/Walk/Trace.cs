using System.Runtime.CompilerServices;
using System.Text;

namespace Workbench.Mmu.Walk
{
    /// <summary>What a traced paging-structure access did.</summary>
    public enum TraceKind
    {
        /// <summary>An entry was read from guest memory (KVM <c>trace_kvm_mmu_paging_element</c>).</summary>
        Read = 0,

        /// <summary>An entry was written back with A and/or D set (KVM <c>trace_kvm_mmu_set_accessed_bit</c>/<c>set_dirty_bit</c>).</summary>
        Write = 1,

        /// <summary>
        /// A PAE PDPTE was taken from the vCPU's PDPTR register (loaded at MOV CR3/CR0/CR4), not from memory;
        /// <see cref="TraceEntry.Gpa"/> is where it was loaded from.
        /// </summary>
        PdptrRegister = 2,
    }

    /// <summary>One paging-structure access of a walk.</summary>
    /// <param name="Kind">Read, A/D write-back, or PDPTR register use.</param>
    /// <param name="Level">Paging level of the entry (5..1; 3 for a PAE PDPTE).</param>
    /// <param name="Gpa">
    /// Address the entry was read from or written to: the table GPA after <c>kvm_translate_gpa</c> plus the entry
    /// offset (identical to the guest's GPA in a 1-D walk; the outer dimension's result in a nested walk).
    /// </param>
    /// <param name="Value">Entry value read, or the new value written.</param>
    /// <param name="Dimension">0 for the guest dimension; nested walks use 1 for the EPT/NPT dimension.</param>
    public readonly record struct TraceEntry(TraceKind Kind, int Level, ulong Gpa, ulong Value, int Dimension)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Kind} L{Level} gpa=0x{Gpa:x} val=0x{Value:x} dim={Dimension}";
    }

    /// <summary>
    /// Hook the walker calls for every paging-structure access (Bochs <c>BX_NOTIFY_PHY_MEMORY_ACCESS</c>,
    /// KVM <c>trace_kvm_mmu_paging_element</c>). Pass a struct implementation as a generic argument so that
    /// <see cref="NoTrace"/> compiles away.
    /// </summary>
    public interface IWalkObserver
    {
        /// <summary>Called for each read, A/D write and PDPTR use, in walk order.</summary>
        void OnAccess(TraceKind kind, int level, ulong gpa, ulong value, int dimension);
    }

    /// <summary>The no-op observer: the JIT removes every call.</summary>
    public struct NoTrace : IWalkObserver
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void OnAccess(TraceKind kind, int level, ulong gpa, ulong value, int dimension)
        {
        }
    }

    /// <summary>Collects the paging-structure accesses of one or more walks, for charts and notebooks.</summary>
    public sealed class WalkTrace : IWalkObserver
    {
        private readonly List<TraceEntry> _entries = new List<TraceEntry>();

        /// <summary>Entries in the order they happened.</summary>
        public IReadOnlyList<TraceEntry> Entries => _entries;

        /// <summary>Number of entries.</summary>
        public int Count => _entries.Count;

        /// <summary>Number of memory reads (excludes PDPTR register uses).</summary>
        public int ReadCount => _entries.Count(e => e.Kind == TraceKind.Read);

        /// <summary>Number of A/D write-backs.</summary>
        public int WriteCount => _entries.Count(e => e.Kind == TraceKind.Write);

        /// <inheritdoc/>
        public void OnAccess(TraceKind kind, int level, ulong gpa, ulong value, int dimension)
        {
            _entries.Add(new TraceEntry(kind, level, gpa, value, dimension));
        }

        /// <summary>Forgets all entries.</summary>
        public void Clear() => _entries.Clear();

        /// <summary>One entry per line.</summary>
        public override string ToString()
        {
            StringBuilder sb = new StringBuilder();
            foreach (TraceEntry entry in _entries)
            {
                sb.AppendLine(entry.ToString());
            }

            return sb.ToString();
        }
    }
}
