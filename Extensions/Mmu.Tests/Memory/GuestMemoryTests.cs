using Workbench.Mmu.Memory;

namespace Workbench.Mmu.Tests.Memory
{
    /// <summary>Sparse guest physical memory.</summary>
    public class GuestMemoryTests
    {
        [Fact]
        public void Unwritten_memory_reads_as_zero_without_allocating()
        {
            GuestMemory memory = new GuestMemory(64UL << 20);

            Assert.True(memory.TryReadU64(0x12_3450, out ulong value));
            Assert.Equal(0UL, value);
            Assert.Equal(0L, memory.AllocatedPages);
        }

        [Fact]
        public void A_page_is_allocated_on_first_write_only()
        {
            GuestMemory memory = new GuestMemory(4UL << 30);

            memory.TryWriteU64(0xFFFF_F000, 1);
            memory.TryWriteU64(0xFFFF_F008, 2);
            memory.TryWriteU32(0x1000, 3);

            Assert.Equal(2L, memory.AllocatedPages);
            Assert.Equal(new ulong[] { 0x1000, 0xFFFF_F000 }, memory.AllocatedPageAddresses());
        }

        [Fact]
        public void U32_and_U64_views_are_little_endian()
        {
            GuestMemory memory = new GuestMemory(1UL << 20);

            memory.TryWriteU64(0x100, 0x1122_3344_5566_7788);
            memory.TryWriteU32(0x104, 0xAABB_CCDD);

            Assert.True(memory.TryReadU32(0x100, out uint low));
            Assert.Equal(0x5566_7788U, low);
            Assert.True(memory.TryReadU64(0x100, out ulong all));
            Assert.Equal(0xAABB_CCDD_5566_7788UL, all);
            Span<byte> bytes = stackalloc byte[2];
            Assert.True(memory.TryRead(0x103, bytes));
            Assert.Equal(new byte[] { 0x55, 0xDD }, bytes.ToArray());
        }

        [Theory]
        [InlineData(0xFFCUL)]
        [InlineData(0xFF9UL)]
        [InlineData(0x3UL)]
        public void Unaligned_accesses_work_across_page_boundaries(ulong gpa)
        {
            GuestMemory memory = new GuestMemory(1UL << 20);

            Assert.True(memory.TryWriteU64(gpa, 0x0102_0304_0506_0708));
            Assert.True(memory.TryReadU64(gpa, out ulong value));
            Assert.Equal(0x0102_0304_0506_0708UL, value);
            Assert.True(memory.TryWriteU32(gpa + 1, 0xCAFE_F00D));
            Assert.True(memory.TryReadU32(gpa + 1, out uint half));
            Assert.Equal(0xCAFE_F00DU, half);
        }

        [Theory]
        [InlineData(0x10_0000UL, 8)]
        [InlineData(0xF_FFFCUL, 8)]
        [InlineData(ulong.MaxValue - 7, 8)]
        public void Accesses_outside_memory_return_false_and_change_nothing(ulong gpa, int length)
        {
            GuestMemory memory = new GuestMemory(1UL << 20);

            Assert.False(memory.TryWriteU64(gpa, 1));
            Assert.False(memory.TryReadU64(gpa, out _));
            Assert.False(memory.TryWriteU32(gpa + 4, 1));
            Assert.False(memory.TryRead(gpa, new byte[length]));
            Assert.False(memory.Contains(gpa, (ulong)length));
            Assert.Equal(0L, memory.AllocatedPages);
        }

        [Fact]
        public void The_last_byte_is_inside_and_the_next_is_outside()
        {
            GuestMemory memory = new GuestMemory(1UL << 20);

            Assert.True(memory.Contains(0xF_FFFF, 1));
            Assert.False(memory.Contains(0xF_FFFF, 2));
            Assert.True(memory.TryWriteU64(0xF_FFF8, ulong.MaxValue));
            Assert.False(memory.TryReadU32(0x10_0000, out _));
        }

        [Fact]
        public void Byte_copies_span_many_pages()
        {
            GuestMemory memory = new GuestMemory(1UL << 20);
            byte[] data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();

            Assert.True(memory.TryWrite(0xFF0, data));
            byte[] back = new byte[data.Length];
            Assert.True(memory.TryRead(0xFF0, back));

            Assert.Equal(data, back);
            Assert.Equal(4L, memory.AllocatedPages);
        }

        [Fact]
        public void Clearing_whole_pages_releases_them()
        {
            GuestMemory memory = new GuestMemory(1UL << 20);
            memory.TryWriteU64(0x1000, 5);
            memory.TryWriteU64(0x2008, 6);

            Assert.True(memory.TryClear(0x1000, 0x1010));

            Assert.Equal(1L, memory.AllocatedPages);
            memory.TryReadU64(0x2008, out ulong value);
            Assert.Equal(0UL, value);
        }

        [Theory]
        [InlineData(0UL)]
        [InlineData(4097UL)]
        [InlineData((1UL << 52) + 4096)]
        public void Invalid_sizes_are_rejected(ulong size)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new GuestMemory(size));
        }

        [Fact]
        public void Memory_up_to_the_flat_limit_is_one_mapping_on_linux_and_bigger_memory_the_directory()
        {
            Assert.Equal(OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("WORKBENCH_FLAT_MEMORY") != "0", new GuestMemory(64UL << 20).IsFlat);
            Assert.False(new GuestMemory(GuestMemory.FlatLimit + (1UL << 30)).IsFlat);
        }

        [Theory]
        [InlineData(64UL << 20)]
        [InlineData(GuestMemory.FlatLimit + (1UL << 30))]
        public void The_flat_mapping_and_the_directory_behave_alike(ulong size)
        {
            GuestMemory memory = new GuestMemory(size);
            ulong top = (64UL << 20) - 0x1000;
            Assert.True(memory.TryWriteU64(0x3000, 0x1122_3344_5566_7788));
            Assert.True(memory.TryWriteU32(0x5004, 0xAABB_CCDD));
            Assert.True(memory.TryWrite(0x6FFC, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            Assert.True(memory.TryWriteU64(top, 9));
            Assert.False(memory.TryWriteU64(size, 1));
            Assert.False(memory.TryReadU64(size - 4, out _));

            Assert.Equal(5L, memory.AllocatedPages);
            Assert.Equal(new ulong[] { 0x3000, 0x5000, 0x6000, 0x7000, top }, memory.AllocatedPageAddresses());
            Assert.True(memory.TryReadU64(0x5000, out ulong qword));
            Assert.Equal(0xAABB_CCDD_0000_0000UL, qword);
            Assert.True(memory.TryReadU32(0x6FFE, out uint straddling));
            Assert.Equal(0x0605_0403U, straddling);

            Assert.True(memory.TryClear(0x3000, 0x2004));
            Assert.Equal(new ulong[] { 0x5000, 0x6000, 0x7000, top }, memory.AllocatedPageAddresses());
            Assert.True(memory.TryReadU64(0x3000, out qword));
            Assert.Equal(0UL, qword);
            Assert.True(memory.TryReadU64(0x5000, out qword));
            Assert.Equal(0xAABB_CCDD_0000_0000UL, qword);
            Assert.True(memory.TryWriteU64(0x3010, 7));
            Assert.Equal(5L, memory.AllocatedPages);
        }

        [Fact]
        public void Memory_beyond_4G_uses_the_upper_regions()
        {
            GuestMemory memory = new GuestMemory(64UL << 30);

            Assert.True(memory.TryWriteU64(0xF_FFFF_FFF8, 42));
            Assert.True(memory.TryReadU64(0xF_FFFF_FFF8, out ulong value));

            Assert.Equal(42UL, value);
        }
    }

    /// <summary>Size strings.</summary>
    public class MemorySizeTests
    {
        [Theory]
        [InlineData("64M", 64UL << 20)]
        [InlineData("4G", 4UL << 30)]
        [InlineData("4g", 4UL << 30)]
        [InlineData("0x1000", 0x1000UL)]
        [InlineData("4096", 4096UL)]
        [InlineData("16KiB", 16UL << 10)]
        [InlineData("2 MB", 2UL << 20)]
        [InlineData("1T", 1UL << 40)]
        [InlineData(" 8K ", 8UL << 10)]
        public void It_parses_numbers_with_binary_units(string text, ulong bytes)
        {
            Assert.True(MemorySize.TryParse(text, out ulong parsed));
            Assert.Equal(bytes, parsed);
        }

        [Theory]
        [InlineData("")]
        [InlineData("M")]
        [InlineData("12Q")]
        [InlineData("-4K")]
        [InlineData("0x")]
        [InlineData("99999999999999999999")]
        [InlineData("16777216P")]
        [InlineData(null)]
        public void It_rejects_garbage_and_overflow(string? text)
        {
            Assert.False(MemorySize.TryParse(text, out _));
        }

        [Theory]
        [InlineData(64UL << 20, "64M")]
        [InlineData(4UL << 30, "4G")]
        [InlineData(4097UL, "4097")]
        [InlineData(0UL, "0")]
        public void It_formats_with_the_largest_exact_unit(ulong bytes, string text)
        {
            Assert.Equal(text, MemorySize.Format(bytes));
        }
    }
}
