using Workbench.Mmu.Experiments;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Experiments;

/// <summary>Expected entries are worked out by hand from the SDM Vol. 3A 4.3-4.5 index and entry layouts.</summary>
public sealed class PageTableBuilderTests
{
    [Fact]
    public void FourLevelMapping4KAllocatesOneTablePerLevel()
    {
        // 0x401000: PML4 index 0, PDPT index 0, PD index 2, PT index 1.
        var builder = new PageTableBuilder(PagingMode.Long4)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);

        Assert.Equal(0x1000UL, builder.Root);
        Assert.Equal(0x5000UL, builder.NextFreePage);
        Assert.Equal(
            [
                new MemoryEntry(0x1000, 0x2007),
                new MemoryEntry(0x2000, 0x3007),
                new MemoryEntry(0x3010, 0x4007),
                new MemoryEntry(0x4008, 0x200003),
            ],
            builder.ToMemory().ToArray());
        Assert.Equal(0x4008UL, builder.EntryGpa(0x401000, 1));
        Assert.Equal(0x3010UL, builder.EntryGpa(0x401000, 2));
        Assert.Equal(0x1000UL, builder.EntryGpa(0x401000, 4));
        Assert.Null(builder.EntryGpa(0x8000_0000, 1));
    }

    [Fact]
    public void SecondMappingReusesTheTablesItShares()
    {
        var builder = new PageTableBuilder(PagingMode.Long4, firstTable: 0x10000)
            .Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present)
            .Map(0x402000, 0x201000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.User | PteFlags.NoExecute, protectionKey: 5);

        Assert.Equal(0x14000UL, builder.NextFreePage);
        Assert.Equal(new MemoryEntry(0x13010, 0x8000_0000_0000_0000UL | (5UL << 59) | 0x201005), builder.ToMemory()[^1]);
    }

    [Fact]
    public void LargePagesSetPageSize()
    {
        // 2M at 0x40000000: PDPT index 1, PD index 0. 1G at 0x7fc0000000: PML4 index 0, PDPT index 0x1ff.
        var builder = new PageTableBuilder(PagingMode.Long4)
            .Map(0x4000_0000, 0x60_0000, PageTableBuilder.Size2M, PteFlags.Present | PteFlags.Write)
            .Map(0x7f_c000_0000, 0x4000_0000, PageTableBuilder.Size1G, PteFlags.Present | PteFlags.Global);

        Assert.Equal(
            [
                new MemoryEntry(0x1000, 0x2007),
                new MemoryEntry(0x2008, 0x3007),
                new MemoryEntry(0x2ff8, 0x4000_0181),
                new MemoryEntry(0x3000, 0x60_0083),
            ],
            builder.ToMemory().ToArray());
    }

    [Fact]
    public void PaePdptesCarryOnlyThePresentBit()
    {
        // 0xc0200000: PDPT index 3, PD index 1 (bits 29:21 = 0x001).
        var builder = new PageTableBuilder(PagingMode.Pae)
            .Map(0xc020_0000, 0x40_0000, PageTableBuilder.Size2M, PteFlags.Present | PteFlags.Write | PteFlags.NoExecute);

        Assert.Equal(
            [
                new MemoryEntry(0x1018, 0x2001),
                new MemoryEntry(0x2008, 0x8000_0000_0040_0083UL),
            ],
            builder.ToMemory().ToArray());
    }

    [Fact]
    public void Legacy32PacksTwoFourByteEntriesPerWordAndEncodesPse36()
    {
        // 4K 0x401000: PDE index 1 (at 0x1004), PTE index 1 (at 0x2004).
        // 4M 0xc0400000 -> 0x1_2340_0000: PDE index 0x301 (at 0x1c04); PA 35:32 = 1 goes to bit 13.
        var builder = new PageTableBuilder(PagingMode.Legacy32)
            .Map(0x401000, 0x5000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.User)
            .Map(0xc040_0000, 0x1_2340_0000, PageTableBuilder.Size4M, PteFlags.Table);

        Assert.Equal(
            [
                new MemoryEntry(0x1000, 0x2007UL << 32),
                new MemoryEntry(0x1c00, 0x2340_2087UL << 32),
                new MemoryEntry(0x2000, 0x5005UL << 32),
            ],
            builder.ToMemory().ToArray());
        Assert.Equal(0x1c04UL, builder.EntryGpa(0xc040_0000, 2));
        Assert.Null(builder.EntryGpa(0xc040_0000, 1));
    }

    [Fact]
    public void FiveLevelMapsTheUpperHalf()
    {
        // 0xff00000000000000: PML5 index 0x100 (at 0x1800), PML4 index 0, PDPT index 0 (1G leaf).
        var builder = new PageTableBuilder(PagingMode.Long5)
            .Map(0xff00_0000_0000_0000, 0x4000_0000, PageTableBuilder.Size1G, PteFlags.Present | PteFlags.Write);

        Assert.Equal(5, builder.RootLevel);
        Assert.Equal(
            [
                new MemoryEntry(0x1800, 0x2007),
                new MemoryEntry(0x2000, 0x3007),
                new MemoryEntry(0x3000, 0x4000_0083),
            ],
            builder.ToMemory().ToArray());
    }

    [Fact]
    public void TableFlagsApplyToTheUpperLevels()
    {
        var builder = new PageTableBuilder(PagingMode.Long4) { TableFlags = PteFlags.Present | PteFlags.Write }
            .Map(0, 0x5000, PageTableBuilder.Size4K, PteFlags.Present);

        Assert.Equal(0x2003UL, builder.ToMemory()[0].Value);
    }

    [Fact]
    public void RemappingALeafReplacesIt()
    {
        var builder = new PageTableBuilder(PagingMode.Long4)
            .Map(0x1000, 0x5000, PageTableBuilder.Size4K, PteFlags.Present)
            .Map(0x1000, 0x6000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);

        Assert.Equal(new MemoryEntry(0x4008, 0x6003), builder.ToMemory()[^1]);
    }

    [Fact]
    public void MisuseIsRefused()
    {
        var builder = new PageTableBuilder(PagingMode.Long4)
            .Map(0x20_0000, 0x20_0000, PageTableBuilder.Size2M, PteFlags.Present);

        Assert.Throws<InvalidOperationException>(() => builder.Map(0x20_1000, 0x5000, PageTableBuilder.Size4K, PteFlags.Present));
        Assert.Throws<InvalidOperationException>(() => new PageTableBuilder(PagingMode.Long4)
            .Map(0x1000, 0x5000, PageTableBuilder.Size4K, PteFlags.Present)
            .Map(0, 0, PageTableBuilder.Size2M, PteFlags.Present));
        Assert.Throws<ArgumentException>(() => builder.Map(0x1000, 0x1800, PageTableBuilder.Size4K, PteFlags.Present));
        Assert.Throws<ArgumentException>(() => builder.Map(0x8000_0000_0000, 0, PageTableBuilder.Size4K, PteFlags.Present));
        Assert.Throws<ArgumentException>(() => builder.Map(0, 0, PageTableBuilder.Size4M, PteFlags.Present));
        Assert.Throws<ArgumentException>(() => new PageTableBuilder(PagingMode.Pae).Map(0, 0, PageTableBuilder.Size1G, PteFlags.Present));
        Assert.Throws<ArgumentException>(() => new PageTableBuilder(PagingMode.Legacy32).Map(0, 0, PageTableBuilder.Size4K, PteFlags.NoExecute));
        Assert.Throws<ArgumentException>(() => new PageTableBuilder(PagingMode.Legacy32).Map(0, 1UL << 36, PageTableBuilder.Size4M, PteFlags.Present));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Map(0x1000, 0x1000, PageTableBuilder.Size4K, PteFlags.Present, protectionKey: 16));
    }
}
