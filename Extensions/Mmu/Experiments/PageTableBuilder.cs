using System.Collections.Immutable;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// The table kinds of earlier versions, kept so that saved notebooks still run: <see cref="PagingMode"/> is the one
/// enum for paging modes and table formats now.
/// </summary>
[Obsolete("Use PagingMode (PagingMode.Long4 etc.).")]
public static class PageTableKind
{
    /// <summary><see cref="PagingMode.Legacy32"/>.</summary>
    public const PagingMode Legacy32 = PagingMode.Legacy32;

    /// <summary><see cref="PagingMode.Pae"/>.</summary>
    public const PagingMode Pae = PagingMode.Pae;

    /// <summary><see cref="PagingMode.Long4"/>.</summary>
    public const PagingMode Long4 = PagingMode.Long4;

    /// <summary><see cref="PagingMode.Long5"/>.</summary>
    public const PagingMode Long5 = PagingMode.Long5;
}

/// <summary>EPT entry bits an EPT mapping sets (SDM Vol. 3C 29.3.2; <see cref="EptPte"/>).</summary>
[Flags]
public enum EptFlags : ulong
{
    /// <summary>No bit: a not-present entry.</summary>
    None = 0,
    /// <summary>R, bit 0.</summary>
    Read = 1UL << 0,
    /// <summary>W, bit 1.</summary>
    Write = 1UL << 1,
    /// <summary>X, bit 2 (supervisor execute under MBEC).</summary>
    Execute = 1UL << 2,
    /// <summary>Memory type WB (6) in bits 5:3, what leaves normally carry.</summary>
    WriteBack = 6UL << 3,
    /// <summary>IPAT, bit 6.</summary>
    IgnorePat = 1UL << 6,
    /// <summary>A, bit 8 (with EPT A/D enabled).</summary>
    Accessed = 1UL << 8,
    /// <summary>D, bit 9 (with EPT A/D enabled).</summary>
    Dirty = 1UL << 9,
    /// <summary>XU, bit 10 (user execute under MBEC).</summary>
    UserExecute = 1UL << 10,
    /// <summary>R | W | X: what non-leaf entries get, so the leaf decides.</summary>
    All = Read | Write | Execute,
}

/// <summary>Page-table entry bits a mapping sets (SDM Vol. 3A 4.3, 4.4, 4.5; spec §1.1).</summary>
[Flags]
public enum PteFlags : ulong
{
    /// <summary>No bit.</summary>
    None = 0,
    /// <summary>P, bit 0.</summary>
    Present = 1UL << 0,
    /// <summary>R/W, bit 1.</summary>
    Write = 1UL << 1,
    /// <summary>U/S, bit 2.</summary>
    User = 1UL << 2,
    /// <summary>PWT, bit 3.</summary>
    WriteThrough = 1UL << 3,
    /// <summary>PCD, bit 4.</summary>
    CacheDisable = 1UL << 4,
    /// <summary>A, bit 5.</summary>
    Accessed = 1UL << 5,
    /// <summary>D, bit 6 (leaf only).</summary>
    Dirty = 1UL << 6,
    /// <summary>G, bit 8 (leaf only).</summary>
    Global = 1UL << 8,
    /// <summary>XD/NX, bit 63 (not in 32-bit entries).</summary>
    NoExecute = 1UL << 63,
    /// <summary>P | R/W | U/S: what an OS puts in the upper levels so that leaves decide.</summary>
    Table = Present | Write | User,
}

/// <summary>
/// Builds guest page tables as an OS would: tables allocated one 4 KiB page at a time from a bump allocator in
/// guest memory, entries written for each mapping. It only produces raw memory (<see cref="ToMemory"/>) and the
/// CR3 value (<see cref="Root"/>); an experiment stays raw state, this is a convenience on top of it.
/// Large leaves get PS (bit 7); upper-level entries get <see cref="TableFlags"/>; PAE PDPTEs get only P, since
/// R/W and U/S are reserved there (SDM Vol. 3A 4.4.1).
/// </summary>
public sealed class PageTableBuilder
{
    /// <summary>4 KiB.</summary>
    public const ulong Size4K = 1UL << 12;
    /// <summary>2 MiB (PAE, 4-level, 5-level PDE leaf).</summary>
    public const ulong Size2M = 1UL << 21;
    /// <summary>4 MiB (32-bit PDE leaf with CR4.PSE).</summary>
    public const ulong Size4M = 1UL << 22;
    /// <summary>1 GiB (4/5-level PDPTE leaf; needs GBPAGES).</summary>
    public const ulong Size1G = 1UL << 30;

    private const ulong PageSizeBit = 1UL << 7;
    private const ulong AddressMask64 = 0x000F_FFFF_FFFF_F000UL;
    private const ulong AddressMask32 = 0xFFFF_F000UL;

    private readonly IPageTableMemory _memory;
    private readonly StagedTableMemory? _staged;

    /// <summary>Starts a set of tables: allocates the top-level table at <paramref name="firstTable"/>.</summary>
    /// <param name="kind">Paging structures to build.</param>
    /// <param name="firstTable">Where the allocator starts (4 KiB aligned); tables take consecutive pages from there.</param>
    public PageTableBuilder(PagingMode kind, ulong firstTable = 0x1000)
    {
        if (!Enum.IsDefined(kind) || kind == PagingMode.None)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), "paging off has no tables");
        }

        if ((firstTable & (Size4K - 1)) != 0)
        {
            throw new ArgumentException($"{ExperimentNumbers.Hex(firstTable)} is not 4K aligned", nameof(firstTable));
        }

        Kind = kind;
        _memory = _staged = new StagedTableMemory(firstTable);
        Root = AllocatePage();
    }

    /// <summary>
    /// Builds in live memory: entries are read from and written to <paramref name="memory"/>, which also hands out
    /// the pages new tables take (a notebook guest's memory, its allocator placing tables as an OS would).
    /// </summary>
    /// <param name="kind">Paging structures to build.</param>
    /// <param name="memory">Where the entries live and where table pages come from.</param>
    /// <param name="root">The existing top-level table (e.g. CR3's), or <see langword="null"/> to allocate one.</param>
    public PageTableBuilder(PagingMode kind, IPageTableMemory memory, ulong? root = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (!Enum.IsDefined(kind) || kind == PagingMode.None)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), "paging off has no tables");
        }

        Kind = kind;
        _memory = memory;
        Root = root ?? AllocatePage();
    }

    /// <summary>The structures being built.</summary>
    public PagingMode Kind { get; }

    /// <summary>Address of the top-level table: the CR3 value (PAE: the PDPT).</summary>
    public ulong Root { get; }

    /// <summary>Flags of the upper-level entries the builder creates (default P | R/W | U/S).</summary>
    public PteFlags TableFlags { get; set; } = PteFlags.Table;

    /// <summary>The next page the allocator would hand out: memory from here on is free for data.</summary>
    /// <exception cref="InvalidOperationException">The builder writes to live memory, whose allocator is the caller's.</exception>
    public ulong NextFreePage => _staged?.NextPage ?? throw new InvalidOperationException("a builder over live memory has the caller's allocator");

    /// <summary>Number of levels walked from <see cref="Root"/> (the PAE PDPT counts as level 3).</summary>
    public int RootLevel => Kind.RootLevel();

    /// <summary>Allocates one zeroed 4 KiB page (a table, or a data page the experiment wants out of the tables' way).</summary>
    public ulong AllocatePage() => _memory.AllocatePage();

    /// <summary>
    /// Maps the page at <paramref name="gva"/> to <paramref name="gpa"/>, creating the tables on the way.
    /// An existing leaf at that level is replaced (as an OS remaps); replacing a table with a large leaf is refused.
    /// </summary>
    /// <param name="gva">Guest-virtual address, aligned to <paramref name="size"/>.</param>
    /// <param name="gpa">Guest-physical address, aligned to <paramref name="size"/>.</param>
    /// <param name="size"><see cref="Size4K"/>, <see cref="Size2M"/> / <see cref="Size1G"/> (PAE, 4/5-level) or <see cref="Size4M"/> (32-bit).</param>
    /// <param name="flags">Leaf bits, written as given (leave out <see cref="PteFlags.Present"/> for a not-present entry).</param>
    /// <param name="protectionKey">Protection key 0..15 in bits 62:59 (4/5-level and PAE leaves).</param>
    /// <returns>This builder.</returns>
    public PageTableBuilder Map(ulong gva, ulong gpa, ulong size, PteFlags flags, int protectionKey = 0)
    {
        if (Kind.IsEpt())
        {
            throw new InvalidOperationException($"{Kind} tables take EPT flags: use MapEpt");
        }

        return MapLeaf(gva, gpa, size, (ulong)flags, protectionKey);
    }

    /// <summary>
    /// Maps an L2 guest-physical page in EPT tables (<see cref="PagingMode.Ept4"/> / <see cref="PagingMode.Ept5"/>) to
    /// an L1 guest-physical address, creating tables (R|W|X) on the way.
    /// </summary>
    /// <param name="l2Gpa">L2 guest-physical address, aligned to <paramref name="size"/>.</param>
    /// <param name="l1Gpa">L1 guest-physical address it maps to, aligned to <paramref name="size"/>.</param>
    /// <param name="size"><see cref="Size4K"/>, <see cref="Size2M"/> or <see cref="Size1G"/>.</param>
    /// <param name="flags">Leaf bits, e.g. <c>EptFlags.All | EptFlags.WriteBack</c>.</param>
    /// <returns>This builder.</returns>
    public PageTableBuilder MapEpt(ulong l2Gpa, ulong l1Gpa, ulong size, EptFlags flags)
    {
        if (!Kind.IsEpt())
        {
            throw new InvalidOperationException($"{Kind} tables take x86 flags: use Map");
        }

        return MapLeaf(l2Gpa, l1Gpa, size, (ulong)flags, 0);
    }

    private PageTableBuilder MapLeaf(ulong gva, ulong gpa, ulong size, ulong flags, int protectionKey)
    {
        var leafLevel = LeafLevel(size);
        if ((gva & (size - 1)) != 0 || (gpa & (size - 1)) != 0)
        {
            throw new ArgumentException(
                $"gva {ExperimentNumbers.Hex(gva)} and gpa {ExperimentNumbers.Hex(gpa)} must be aligned to {ExperimentNumbers.Hex(size)}",
                (gva & (size - 1)) != 0 ? nameof(gva) : nameof(gpa));
        }

        CheckGva(gva);
        if (protectionKey is < 0 or > 15 || (protectionKey != 0 && Kind == PagingMode.Legacy32))
        {
            throw new ArgumentOutOfRangeException(nameof(protectionKey), "a key is 0..15, and 32-bit entries have none");
        }

        var leaf = LeafEntry(gpa, leafLevel, flags, protectionKey);
        var entryAddress = EntryAddress(Root, gva, RootLevel);
        for (var level = RootLevel; level > leafLevel; level--)
        {
            var entry = ReadEntry(entryAddress);
            ulong table;
            if (!IsPresent(entry))
            {
                table = AllocatePage();
                var tableFlags = Kind.IsEpt() ? (ulong)EptFlags.All : Kind == PagingMode.Pae && level == 3 ? (ulong)PteFlags.Present : (ulong)TableFlags;
                WriteEntry(entryAddress, table | tableFlags);
            }
            else if (IsLargeLeaf(entry, level))
            {
                throw new InvalidOperationException($"{ExperimentNumbers.Hex(gva)} is inside a large page at level {level}");
            }
            else
            {
                table = entry & (Kind == PagingMode.Legacy32 ? AddressMask32 : AddressMask64);
            }

            entryAddress = EntryAddress(table, gva, level - 1);
        }

        var existing = ReadEntry(entryAddress);
        if (leafLevel > 1 && IsPresent(existing) && (existing & PageSizeBit) == 0)
        {
            throw new InvalidOperationException($"{ExperimentNumbers.Hex(gva)}: level {leafLevel} already points to a page table");
        }

        WriteEntry(entryAddress, leaf);
        return this;
    }

    /// <summary>
    /// Guest-physical address of the entry that translates <paramref name="gva"/> at <paramref name="level"/>
    /// (following the tables built so far), e.g. to poke it in a step; <c>null</c> when no table reaches there.
    /// </summary>
    public ulong? EntryGpa(ulong gva, int level)
    {
        if (level < 1 || level > RootLevel)
        {
            throw new ArgumentOutOfRangeException(nameof(level));
        }

        var entryAddress = EntryAddress(Root, gva, RootLevel);
        for (var current = RootLevel; current > level; current--)
        {
            var entry = ReadEntry(entryAddress);
            if (!IsPresent(entry) || IsLargeLeaf(entry, current))
            {
                return null;
            }

            entryAddress = EntryAddress(entry & (Kind == PagingMode.Legacy32 ? AddressMask32 : AddressMask64), gva, current - 1);
        }

        return entryAddress;
    }

    /// <summary>Every non-zero 64-bit word written, in address order: the experiment's <c>"memory"</c>.</summary>
    /// <exception cref="InvalidOperationException">The builder wrote to live memory.</exception>
    public ImmutableArray<MemoryEntry> ToMemory() =>
        _staged?.ToMemory() ?? throw new InvalidOperationException("a builder over live memory wrote there already");

    private bool IsPresent(ulong entry) => (entry & (Kind.IsEpt() ? EptPte.RwxMask : (ulong)PteFlags.Present)) != 0;

    private bool IsLargeLeaf(ulong entry, int level) =>
        level > 1 && (entry & PageSizeBit) != 0 && !(Kind == PagingMode.Pae && level == 3);

    private int LeafLevel(ulong size) => (Kind, size) switch
    {
        (_, Size4K) => 1,
        (PagingMode.Legacy32, Size4M) => 2,
        (PagingMode.Pae or PagingMode.Long4 or PagingMode.Long5 or PagingMode.Ept4 or PagingMode.Ept5, Size2M) => 2,
        (PagingMode.Long4 or PagingMode.Long5 or PagingMode.Ept4 or PagingMode.Ept5, Size1G) => 3,
        _ => throw new ArgumentException($"{ExperimentNumbers.Hex(size)} is not a page size of {Kind} paging", nameof(size)),
    };

    private void CheckGva(ulong gva)
    {
        var problem = Kind switch
        {
            PagingMode.Legacy32 or PagingMode.Pae => gva > uint.MaxValue ? "is beyond 4G" : null,
            PagingMode.Long4 => (ulong)((long)(gva << 16) >> 16) != gva ? "is not canonical for 4-level paging" : null,
            PagingMode.Ept4 => gva >> 48 != 0 ? "is beyond the 48 bits a 4-level EPT translates" : null,
            PagingMode.Ept5 => gva >> 57 != 0 ? "is beyond the 57 bits a 5-level EPT translates" : null,
            _ => (ulong)((long)(gva << 7) >> 7) != gva ? "is not canonical for 5-level paging" : null,
        };
        if (problem is not null)
        {
            throw new ArgumentException($"gva {ExperimentNumbers.Hex(gva)} {problem}", nameof(gva));
        }
    }

    private ulong LeafEntry(ulong gpa, int level, ulong flags, int protectionKey)
    {
        var bits = flags | ((ulong)protectionKey << 59);
        if (Kind == PagingMode.Legacy32)
        {
            if ((flags & (ulong)PteFlags.NoExecute) != 0)
            {
                throw new ArgumentException("32-bit entries have no NX bit", nameof(flags));
            }

            if (level == 1)
            {
                return gpa <= AddressMask32
                    ? gpa | bits
                    : throw new ArgumentException($"gpa {ExperimentNumbers.Hex(gpa)} is beyond 4G: a 32-bit PTE holds 32 address bits", nameof(gpa));
            }

            // PSE-36: a 4M PDE holds PA bits 31:22 in place and PA bits 35:32 in bits 16:13 (SDM Vol. 3A table 4-4).
            if (gpa >= 1UL << 36)
            {
                throw new ArgumentException($"gpa {ExperimentNumbers.Hex(gpa)} is beyond PSE-36's 36 address bits", nameof(gpa));
            }

            return (gpa & 0xFFC0_0000UL) | (((gpa >> 32) & 0xF) << 13) | bits | PageSizeBit;
        }

        if (gpa > AddressMask64)
        {
            throw new ArgumentException($"gpa {ExperimentNumbers.Hex(gpa)} is beyond 52 address bits", nameof(gpa));
        }

        return gpa | bits | (level > 1 ? PageSizeBit : 0);
    }

    private ulong EntryAddress(ulong table, ulong gva, int level)
    {
        if (Kind == PagingMode.Legacy32)
        {
            var index32 = (gva >> (12 + (10 * (level - 1)))) & 0x3FF;
            return table + (index32 * 4);
        }

        var index = Kind == PagingMode.Pae && level == 3
            ? (gva >> 30) & 3
            : (gva >> (12 + (9 * (level - 1)))) & 0x1FF;
        return table + (index * 8);
    }

    private ulong ReadEntry(ulong address)
    {
        var word = _memory.ReadWord(address & ~7UL);
        return Kind == PagingMode.Legacy32 ? (word >> (int)((address & 4) * 8)) & 0xFFFF_FFFFUL : word;
    }

    private void WriteEntry(ulong address, ulong value)
    {
        var wordAddress = address & ~7UL;
        if (Kind != PagingMode.Legacy32)
        {
            _memory.WriteWord(wordAddress, value);
            return;
        }

        var word = _memory.ReadWord(wordAddress);
        var shift = (int)((address & 4) * 8);
        _memory.WriteWord(wordAddress, (word & ~(0xFFFF_FFFFUL << shift)) | ((value & 0xFFFF_FFFFUL) << shift));
    }

    /// <summary>Tables staged for an experiment's <c>"memory"</c>: words in a dictionary, pages bump-allocated.</summary>
    private sealed class StagedTableMemory(ulong firstPage) : IPageTableMemory
    {
        private readonly Dictionary<ulong, ulong> _words = new();

        public ulong NextPage { get; private set; } = firstPage;

        public ulong ReadWord(ulong gpa) => _words.GetValueOrDefault(gpa);

        public void WriteWord(ulong gpa, ulong value) => _words[gpa] = value;

        public ulong AllocatePage()
        {
            var page = NextPage;
            NextPage += Size4K;
            return page;
        }

        public ImmutableArray<MemoryEntry> ToMemory() =>
            [.. _words.Where(w => w.Value != 0).OrderBy(w => w.Key).Select(w => new MemoryEntry(w.Key, w.Value))];
    }
}

/// <summary>Where a <see cref="PageTableBuilder"/> reads and writes entries and gets pages for new tables.</summary>
public interface IPageTableMemory
{
    /// <summary>The 64-bit word at <paramref name="gpa"/> (8-byte aligned); 0 where nothing was written.</summary>
    ulong ReadWord(ulong gpa);

    /// <summary>Writes the 64-bit word at <paramref name="gpa"/> (8-byte aligned).</summary>
    void WriteWord(ulong gpa, ulong value);

    /// <summary>A zeroed 4 KiB page for a new table.</summary>
    ulong AllocatePage();
}
