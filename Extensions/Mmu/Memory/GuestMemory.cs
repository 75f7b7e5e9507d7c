using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Workbench.Mmu.Memory
{
    /// <summary>
    /// Guest physical memory: one flat range [0, <see cref="Size"/>) of sparse 4 KiB pages.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Pages are allocated on first write; reading a page that was never written gives zeros. Up to
    /// <see cref="FlatLimit"/> (on Linux) the storage is what a KVM memslot is, one host mapping of the whole range:
    /// an anonymous <c>mmap</c> with <c>MAP_NORESERVE</c>, which the kernel commits page by page on first write
    /// (untouched pages cost nothing; a read of one maps the shared zero page), so a lookup is one add. A bitmap
    /// records which pages were written (<see cref="AllocatedPages"/>, <see cref="AllocatedPageAddresses"/>).
    /// </para>
    /// <para>
    /// Bigger memories (or <c>WORKBENCH_FLAT_MEMORY=0</c>, to compare) use a two-level directory indexed by GPA
    /// bits, so a lookup is two array indexings and no hashing (the walker's hot path reads one u64 per level):
    /// <code>
    ///  45            24 23              12 11         3 2   0
    /// +----------------+------------------+------------+-----+
    /// | region (16 MiB)|   page (4096)    | u64 index  | byte|
    /// +----------------+------------------+------------+-----+
    ///    _directory       ulong[]?[4096]    ulong[512]
    /// </code>
    /// The directory has one slot per 16 MiB of memory; a 16 MiB region costs a 32 KiB array of page references
    /// once any page in it is written.
    /// </para>
    /// <para>
    /// A GPA at or beyond <see cref="Size"/> has no backing: every accessor returns <c>false</c> (KVM: a gfn
    /// with no memslot). This is a condition, not an exception; the walker turns it into a not-present fault
    /// for page-table reads, as <c>FNAME(walk_addr_generic)</c> does when <c>kvm_vcpu_gfn_to_hva_prot</c>
    /// returns an error hva.
    /// </para>
    /// <para>Values are stored little-endian, as on x86. Not thread-safe: one vCPU (one thread) owns a VM's memory.</para>
    /// </remarks>
    public sealed unsafe class GuestMemory
    {
        /// <summary>Largest memory backed by one flat mapping (its written-page bitmap is Size / 32 KiB bytes).</summary>
        public const ulong FlatLimit = 64UL << 30;

        /// <summary>Bytes in one guest page.</summary>
        public const int PageSize = 4096;

        /// <summary>
        /// Largest supported size: 2^46 bytes (64 TiB). GPAs above memory still exist for the walker: a final GPA
        /// outside memory is a successful translation (KVM would emulate MMIO); only page tables must be backed.
        /// </summary>
        public const ulong MaxSize = 1UL << 46;

        private const int RegionShift = 24;
        private const int PageShift = 12;
        private const int PagesPerRegion = 1 << (RegionShift - PageShift);
        private const int IndexMask = 511;

        private readonly ulong[]?[]?[] _directory;
        private readonly ulong _size;
        private readonly byte* _flat;
        private readonly ulong[]? _writtenPages;
        private long _allocatedPages;

        /// <summary>Creates an empty (all-zero) memory of <paramref name="size"/> bytes.</summary>
        /// <param name="size">Size in bytes: a positive multiple of 4 KiB, at most <see cref="MaxSize"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException">The size is zero, not page-aligned or too large.</exception>
        public GuestMemory(ulong size)
        {
            if (size == 0 || (size & (PageSize - 1)) != 0 || size > MaxSize)
            {
                throw new ArgumentOutOfRangeException(nameof(size), size,
                    "guest memory size must be a non-zero multiple of 4096 no larger than 2^46");
            }

            _size = size;
            if (size <= FlatLimit && FlatMapping.Enabled && FlatMapping.TryMap(size, out byte* flat))
            {
                _flat = flat;
                _writtenPages = new ulong[(size / PageSize + 63) / 64];
                _directory = [];
            }
            else
            {
                _directory = new ulong[]?[]?[(int)((size + (1UL << RegionShift) - 1) >> RegionShift)];
            }
        }

        /// <summary>Releases the flat mapping (nothing else here holds native memory).</summary>
        ~GuestMemory()
        {
            if (_flat != null)
            {
                FlatMapping.Unmap(_flat, _size);
            }
        }

        /// <summary>Whether the memory is one flat mapping (see the remarks) rather than the page directory.</summary>
        public bool IsFlat => _flat != null;

        /// <summary>The host address of GPA 0 when <see cref="IsFlat"/> (null otherwise): the walker reads entries there.</summary>
        internal byte* FlatBase => _flat;

        /// <summary>Size in bytes; valid GPAs are [0, Size).</summary>
        public ulong Size => _size;

        /// <summary>Number of 4 KiB pages allocated so far (pages that were written).</summary>
        public long AllocatedPages => _allocatedPages;

        /// <summary>True when every byte of [gpa, gpa + length) is backed.</summary>
        public bool Contains(ulong gpa, ulong length)
        {
            return gpa < _size && length <= _size - gpa;
        }

        /// <summary>Reads a little-endian u64. Returns false when any byte is outside memory.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryReadU64(ulong gpa, out ulong value)
        {
            if ((gpa & 7) == 0 && gpa < _size)
            {
                value = ReadAlignedU64(gpa);
                return true;
            }

            return TryReadU64Slow(gpa, out value);
        }

        /// <summary>
        /// Reads the aligned u64 at <paramref name="gpa"/>, which the caller has checked is inside memory (the
        /// walker's entry read: table bases are page-aligned and memory is a whole number of pages). Returning the
        /// value instead of an <c>out</c> parameter keeps the entry in a register on the walk's critical path.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal ulong ReadAlignedU64(ulong gpa)
        {
            if (_flat != null)
            {
                return *(ulong*)(_flat + gpa);
            }

            ulong[]? page = FindPage(gpa);
            return page is null ? 0 : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), (nint)((gpa >> 3) & IndexMask));
        }

        /// <summary>Reads the aligned u32 at <paramref name="gpa"/>, which the caller has checked is inside memory.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal uint ReadAlignedU32(ulong gpa)
        {
            return (uint)(ReadAlignedU64(gpa & ~7UL) >> (int)((gpa & 4) << 3));
        }

        /// <summary>Writes a little-endian u64. Returns false (and writes nothing) when any byte is outside memory.</summary>
        /// <remarks>
        /// The aligned store into the flat mapping is inlined into the caller (the access sweep writes four or five
        /// paging entries per case); everything else is <see cref="TryWriteU64Slow"/>, whose stack buffer would
        /// otherwise give every call a zeroed frame and a stack cookie.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryWriteU64(ulong gpa, ulong value)
        {
            if ((gpa & 7) == 0 && gpa < _size && _flat != null)
            {
                MarkWritten(gpa);
                *(ulong*)(_flat + gpa) = value;
                return true;
            }

            return TryWriteU64Slow(gpa, value);
        }

        /// <summary>Reads a little-endian u32. Returns false when any byte is outside memory.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryReadU32(ulong gpa, out uint value)
        {
            if ((gpa & 3) == 0 && gpa < _size)
            {
                value = ReadAlignedU32(gpa);
                return true;
            }

            Span<byte> bytes = stackalloc byte[4];
            if (!TryRead(gpa, bytes))
            {
                value = 0;
                return false;
            }

            value = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            return true;
        }

        /// <summary>Writes a little-endian u32. Returns false (and writes nothing) when any byte is outside memory.</summary>
        public bool TryWriteU32(ulong gpa, uint value)
        {
            if ((gpa & 3) == 0 && gpa < _size)
            {
                if (_flat != null)
                {
                    MarkWritten(gpa);
                    *(uint*)(_flat + gpa) = value;
                    return true;
                }

                ref ulong qword = ref GetOrAddPage(gpa)[(gpa >> 3) & IndexMask];
                int shift = (int)((gpa & 4) << 3);
                qword = (qword & ~(0xFFFF_FFFFUL << shift)) | ((ulong)value << shift);
                return true;
            }

            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            return TryWrite(gpa, bytes);
        }

        /// <summary>Copies <paramref name="destination"/>.Length bytes from <paramref name="gpa"/>. False when any byte is outside memory.</summary>
        public bool TryRead(ulong gpa, Span<byte> destination)
        {
            if (!Contains(gpa, (ulong)destination.Length))
            {
                return false;
            }

            if (_flat != null)
            {
                new ReadOnlySpan<byte>(_flat + gpa, destination.Length).CopyTo(destination);
                return true;
            }

            while (!destination.IsEmpty)
            {
                int offset = (int)(gpa & (PageSize - 1));
                int count = Math.Min(PageSize - offset, destination.Length);
                ulong[]? page = FindPage(gpa);
                if (page is null)
                {
                    destination.Slice(0, count).Clear();
                }
                else
                {
                    MemoryMarshal.AsBytes(page.AsSpan()).Slice(offset, count).CopyTo(destination);
                }

                destination = destination.Slice(count);
                gpa += (ulong)count;
            }

            return true;
        }

        /// <summary>Copies <paramref name="source"/> to <paramref name="gpa"/>. False (and nothing written) when any byte is outside memory.</summary>
        public bool TryWrite(ulong gpa, ReadOnlySpan<byte> source)
        {
            if (!Contains(gpa, (ulong)source.Length))
            {
                return false;
            }

            if (_flat != null)
            {
                for (ulong page = gpa & ~(ulong)(PageSize - 1); page < gpa + (ulong)source.Length; page += PageSize)
                {
                    MarkWritten(page);
                }

                source.CopyTo(new Span<byte>(_flat + gpa, source.Length));
                return true;
            }

            while (!source.IsEmpty)
            {
                int offset = (int)(gpa & (PageSize - 1));
                int count = Math.Min(PageSize - offset, source.Length);
                source.Slice(0, count).CopyTo(MemoryMarshal.AsBytes(GetOrAddPage(gpa).AsSpan()).Slice(offset, count));
                source = source.Slice(count);
                gpa += (ulong)count;
            }

            return true;
        }

        /// <summary>Fills [gpa, gpa + length) with zeros, releasing whole pages. False when any byte is outside memory.</summary>
        public bool TryClear(ulong gpa, ulong length)
        {
            if (!Contains(gpa, length))
            {
                return false;
            }

            ulong end = gpa + length;
            while (gpa < end)
            {
                ulong pageBase = gpa & ~(ulong)(PageSize - 1);
                int offset = (int)(gpa - pageBase);
                int count = (int)Math.Min((ulong)(PageSize - offset), end - gpa);
                if (_flat != null)
                {
                    if (IsWritten(pageBase))
                    {
                        if (count == PageSize)
                        {
                            FlatMapping.Release(_flat + pageBase, PageSize);
                            _writtenPages![pageBase / PageSize / 64] &= ~(1UL << (int)(pageBase / PageSize % 64));
                            _allocatedPages--;
                        }
                        else
                        {
                            new Span<byte>(_flat + gpa, count).Clear();
                        }
                    }

                    gpa += (ulong)count;
                    continue;
                }

                ulong[]? page = FindPage(gpa);
                if (page is not null)
                {
                    if (count == PageSize)
                    {
                        _directory[gpa >> RegionShift]![(gpa >> PageShift) & (PagesPerRegion - 1)] = null;
                        _allocatedPages--;
                    }
                    else
                    {
                        MemoryMarshal.AsBytes(page.AsSpan()).Slice(offset, count).Clear();
                    }
                }

                gpa += (ulong)count;
            }

            return true;
        }

        /// <summary>GPAs of the pages that were written (allocated), ascending.</summary>
        public IEnumerable<ulong> AllocatedPageAddresses()
        {
            if (_writtenPages is { } written)
            {
                for (int word = 0; word < written.Length; word++)
                {
                    for (ulong bits = written[word]; bits != 0; bits &= bits - 1)
                    {
                        yield return ((ulong)word * 64 + (ulong)System.Numerics.BitOperations.TrailingZeroCount(bits)) * PageSize;
                    }
                }

                yield break;
            }

            for (int r = 0; r < _directory.Length; r++)
            {
                ulong[]?[]? region = _directory[r];
                if (region is null)
                {
                    continue;
                }

                for (int p = 0; p < region.Length; p++)
                {
                    if (region[p] is not null)
                    {
                        yield return ((ulong)r << RegionShift) | ((ulong)p << PageShift);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong[]? FindPage(ulong gpa)
        {
            // Callers checked gpa < _size, so the directory index is in range; the page index is masked below 4096 and
            // every region array has 4096 slots. Both lookups skip the bounds check on the walker's hot path.
            ulong[]?[]? region = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_directory), (nint)(gpa >> RegionShift));
            return region is null
                ? null
                : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(region), (nint)((gpa >> PageShift) & (PagesPerRegion - 1)));
        }

        private bool IsWritten(ulong gpa) => (_writtenPages![gpa / PageSize / 64] & (1UL << (int)(gpa / PageSize % 64))) != 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void MarkWritten(ulong gpa)
        {
            ref ulong word = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_writtenPages!), (nint)(gpa / PageSize / 64));
            ulong bit = 1UL << (int)(gpa / PageSize % 64);
            if ((word & bit) == 0)
            {
                word |= bit;
                _allocatedPages++;
            }
        }

        private ulong[] GetOrAddPage(ulong gpa)
        {
            ref ulong[]?[]? region = ref _directory[gpa >> RegionShift];
            region ??= new ulong[]?[PagesPerRegion];
            ref ulong[]? page = ref region[(gpa >> PageShift) & (PagesPerRegion - 1)];
            if (page is null)
            {
                page = new ulong[PageSize / sizeof(ulong)];
                _allocatedPages++;
            }

            return page;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private bool TryWriteU64Slow(ulong gpa, ulong value)
        {
            if ((gpa & 7) == 0 && gpa < _size)
            {
                GetOrAddPage(gpa)[(gpa >> 3) & IndexMask] = value;
                return true;
            }

            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            return TryWrite(gpa, bytes);
        }

        private bool TryReadU64Slow(ulong gpa, out ulong value)
        {
            Span<byte> bytes = stackalloc byte[8];
            if (!TryRead(gpa, bytes))
            {
                value = 0;
                return false;
            }

            value = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            return true;
        }
    }

    /// <summary>The anonymous mapping behind a flat <see cref="GuestMemory"/> (Linux <c>mmap</c>, <c>madvise</c>).</summary>
    internal static unsafe class FlatMapping
    {
        // Linux uapi mman.h (x86-64 and arm64 share these values).
        private const int ProtRead = 0x1;
        private const int ProtWrite = 0x2;
        private const int MapPrivate = 0x02;
        private const int MapAnonymous = 0x20;
        private const int MapNoReserve = 0x4000;
        private const int MadvDontNeed = 4;

        /// <summary>Linux, and not switched off with <c>WORKBENCH_FLAT_MEMORY=0</c> (the directory, for comparisons).</summary>
        public static bool Enabled { get; } = OperatingSystem.IsLinux()
            && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64)
            && Environment.GetEnvironmentVariable("WORKBENCH_FLAT_MEMORY") != "0";

        public static bool TryMap(ulong size, out byte* address)
        {
            nint mapped = Mmap(0, (nuint)size, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
            address = mapped == -1 ? null : (byte*)mapped;
            return mapped != -1;
        }

        public static void Unmap(byte* address, ulong size) => Munmap((nint)address, (nuint)size);

        /// <summary>Gives whole pages back to the kernel; they read as zeros afterwards (private anonymous memory).</summary>
        public static void Release(byte* address, ulong size)
        {
            if (Madvise((nint)address, (nuint)size, MadvDontNeed) != 0)
            {
                new Span<byte>(address, checked((int)size)).Clear();
            }
        }

        [DllImport("libc", EntryPoint = "mmap")]
        private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", EntryPoint = "munmap")]
        private static extern int Munmap(nint address, nuint length);

        [DllImport("libc", EntryPoint = "madvise")]
        private static extern int Madvise(nint address, nuint length, int advice);
    }
}
