using System.Globalization;
using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Walk
{
    /// <summary>
    /// Runs every line of <c>data/walks/*.txt</c> (format in the header of <c>long4.txt</c>). The file name and line
    /// number are theory arguments, so they appear in the display name of each case.
    /// </summary>
    public class WalkVectorTests
    {
        public static IEnumerable<object[]> Vectors()
        {
            string directory = DataDirectory();
            foreach (string path in Directory.GetFiles(directory, "*.txt").OrderBy(p => p, StringComparer.Ordinal))
            {
                string[] lines = File.ReadAllLines(path);
                for (int i = 0; i < lines.Length; i++)
                {
                    string line = lines[i].Trim();
                    if (line.Length == 0 || line.StartsWith('#'))
                    {
                        continue;
                    }

                    yield return new object[] { Path.GetFileName(path), i + 1, line };
                }
            }
        }

        [Fact]
        public void The_vector_files_hold_cases_for_every_paging_mode()
        {
            string[] modes = Vectors().Select(v => ((string)v[2]).Split(',')[0].Trim()).Distinct().ToArray();

            Assert.Equal(new[] { "legacy32", "long4", "long5", "nopaging", "pae" }, modes.OrderBy(m => m, StringComparer.Ordinal));
            Assert.True(Vectors().Count() >= 75);
        }

        [Theory]
        [MemberData(nameof(Vectors))]
        public void Walk_vector(string file, int line, string text)
        {
            WalkVector vector = WalkVector.Parse(text);
            Vm vm = CreateVm(vector);
            ulong[] gpas = Chain.Write(vm, vector.Mode, vector.Registers.Cr3, vector.Gva, vector.Chain);

            RegisterWrite load = vm.Vcpu.LoadState(vector.Registers);
            if (vector.Expected == "load-fail")
            {
                Assert.False(load.Ok, $"{file}:{line}: the state load should fail");
                return;
            }

            Assert.True(load.Ok, $"{file}:{line}: {load.Error}");
            Assert.Equal(vector.Mode, vm.Vcpu.Mode);

            WalkResult result = vm.Vcpu.Access(vector.Gva, vector.Kind, vector.Cpl, vector.Implicit);

            switch (vector.Expected)
            {
                case "ok":
                    Assert.True(result.IsOk, $"{file}:{line}: {result}");
                    Assert.Equal(vector.Hex("gpa"), result.Gpa);
                    break;
                case "pf":
                    Assert.True(result.Outcome == WalkOutcome.PageFault, $"{file}:{line}: {result}");
                    Assert.Equal((PfErr)vector.Hex("err")!.Value, result.ErrorCode);
                    Assert.Equal(vector.Mode.RootLevel() is 0 or 2 ? (uint)vector.Gva : vector.Gva, result.FaultAddress);
                    break;
                case "gp":
                    Assert.Equal(WalkOutcome.GeneralProtection, result.Outcome);
                    break;
                default:
                    Assert.Fail($"{file}:{line}: unknown expectation '{vector.Expected}'");
                    break;
            }

            if (vector.Hex("level") is ulong level)
            {
                Assert.Equal((int)level, result.Level);
            }

            if (vector.Hex("size") is ulong pageSize)
            {
                Assert.Equal(pageSize, result.PageSize);
            }

            if (vector.Extras.TryGetValue("after", out string? after))
            {
                ulong[] expected = after.Split('/').Select(WalkVector.ParseHex).ToArray();
                Assert.Equal(expected, Chain.Read(vm, vector.Mode, gpas).Take(expected.Length));
            }
        }

        /// <summary>
        /// Every vector on flat memory, and again on sparse memory (a VM larger than <see cref="GuestMemory.FlatLimit"/>)
        /// where its memory size and MAXPHYADDR allow one: the compact walk reads only the flat mapping and hands sparse
        /// memory to the full walk.
        /// </summary>
        public static IEnumerable<object[]> VectorsOnFlatAndSparseMemory()
        {
            foreach (object[] v in Vectors())
            {
                yield return new object[] { v[0], v[1], v[2], false };
                WalkVector vector = WalkVector.Parse((string)v[2]);
                bool ownSize = vector.Extras.ContainsKey("mem");
                bool narrow = vector.Extras.TryGetValue("maxphy", out string? maxPhy) && int.Parse(maxPhy, CultureInfo.InvariantCulture) < 40;
                if (!ownSize && !narrow)
                {
                    yield return new object[] { v[0], v[1], v[2], true };
                }
            }
        }

        [Theory]
        [MemberData(nameof(VectorsOnFlatAndSparseMemory))]
        public void The_compact_walk_of_Access_returns_and_writes_what_the_full_walk_does(string file, int line, string text, bool sparse)
        {
            WalkVector vector = WalkVector.Parse(text);
            if (vector.Expected is "load-fail")
            {
                return;
            }

            // Two VMs with the same tables: one accessed through the compact walk, one walked by the full walk.
            Vm vm = CreateVm(vector, sparse);
            Vm fullVm = CreateVm(vector, sparse);
            Assert.Equal(!sparse, vm.Memory.IsFlat);
            ulong[] gpas = Chain.Write(vm, vector.Mode, vector.Registers.Cr3, vector.Gva, vector.Chain);
            Chain.Write(fullVm, vector.Mode, vector.Registers.Cr3, vector.Gva, vector.Chain);
            foreach (Vm each in new[] { vm, fullVm })
            {
                each.BuildsPageTables = false; // the walk-only Access, which a shadow/TDP MMU's trace does not take
                Assert.True(each.Vcpu.LoadState(vector.Registers).Ok, $"{file}:{line}");
            }

            Assert.True(vm.Vcpu.ActiveWalker.CanWalkCompact, $"{file}:{line}: a 1-D x86 walker takes the compact path");
            WalkResult compact = vm.Vcpu.Access(vector.Gva, vector.Kind, vector.Cpl, vector.Implicit);
            ulong linear = vector.Mode.RootLevel() is 0 or 2 ? (uint)vector.Gva : vector.Gva;

            // The compact walk linearizes itself; a #GP comes from the full path's own linearization (with a trace).
            WalkResult full = vector.Expected == "gp"
                ? fullVm.Vcpu.Access(vector.Gva, vector.Kind, vector.Cpl, vector.Implicit, new WalkTrace())
                : fullVm.Vcpu.Translate(linear, vector.Kind.AccessPfec(vector.Cpl, vector.Implicit));

            Assert.Equal(full, compact);

            // The same A/D bits written (the compact walk keeps no per-level scratch and walks again to write them).
            Assert.Equal(Chain.Read(fullVm, vector.Mode, gpas), Chain.Read(vm, vector.Mode, gpas));
        }

        /// <summary>The VM a vector asks for (extras vendor, maxphy, mem, gbpages).</summary>
        private static Vm CreateVm(WalkVector vector, bool sparse = false)
        {
            VmConfig config = new VmConfig(
                Vendor: vector.Extras.TryGetValue("vendor", out string? vendor) && vendor == "amd" ? Vendor.Amd : Vendor.Intel,
                MaxPhyAddr: vector.Extras.TryGetValue("maxphy", out string? maxPhy) ? int.Parse(maxPhy, CultureInfo.InvariantCulture) : 46,
                MemorySize: vector.Extras.TryGetValue("mem", out string? mem) && MemorySize.TryParse(mem, out ulong size) ? size
                    : sparse ? 2 * GuestMemory.FlatLimit : 64UL << 20,
                GbPages: !vector.Extras.TryGetValue("gbpages", out string? gb) || gb != "0");
            return Vm.Create(config);
        }

        private static string DataDirectory([CallerFilePath] string sourceFile = "")
        {
            // The vectors are read from the source tree (Extensions/Mmu.Tests/data/walks), found from this file's path
            // or, when sources moved, by walking up from the test binary.
            string? fromSource = Path.Combine(Path.GetDirectoryName(sourceFile) ?? ".", "..", "data", "walks");
            if (Directory.Exists(fromSource))
            {
                return fromSource;
            }

            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "Extensions", "Mmu.Tests", "data", "walks");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("data/walks not found");
        }
    }

    /// <summary>One parsed line of a walk-vector file.</summary>
    internal sealed class WalkVector
    {
        public PagingMode Mode { get; private init; }
        public CpuRegisters Registers { get; private init; }
        public ulong Gva { get; private init; }
        public AccessKind Kind { get; private init; }
        public int Cpl { get; private init; }
        public bool Implicit { get; private init; }
        public ulong[] Chain { get; private init; } = Array.Empty<ulong>();
        public string Expected { get; private init; } = "";
        public Dictionary<string, string> Extras { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        public static ulong ParseHex(string text)
        {
            string digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
            return ulong.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        public ulong? Hex(string key) => Extras.TryGetValue(key, out string? value) ? ParseHex(value) : null;

        public static WalkVector Parse(string line)
        {
            string[] fields = line.Split(',').Select(f => f.Trim()).ToArray();
            if (fields.Length != 6)
            {
                throw new FormatException($"expected 6 comma-separated fields, got {fields.Length}");
            }

            Dictionary<string, ulong> regs = fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(kv => kv.Split('='))
                .ToDictionary(kv => kv[0], kv => ParseHex(kv[1]), StringComparer.Ordinal);
            ulong Reg(string name, ulong fallback = 0) => regs.TryGetValue(name, out ulong v) ? v : fallback;

            string[] access = fields[3].Split('.');
            string[] expected = fields[5].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            WalkVector vector = new WalkVector
            {
                Mode = fields[0] switch
                {
                    "nopaging" => PagingMode.None,
                    "legacy32" => PagingMode.Legacy32,
                    "pae" => PagingMode.Pae,
                    "long4" => PagingMode.Long4,
                    "long5" => PagingMode.Long5,
                    _ => throw new FormatException("unknown mode " + fields[0]),
                },
                Registers = new CpuRegisters(Reg("cr0"), Reg("cr3"), Reg("cr4"), Reg("efer"), Reg("rflags", Rflags.Fixed1), (uint)Reg("pkru")),
                Gva = ParseHex(fields[2]),
                Kind = access[0] switch
                {
                    "r" => AccessKind.Read,
                    "w" => AccessKind.Write,
                    "x" => AccessKind.Fetch,
                    _ => throw new FormatException("unknown access " + fields[3]),
                },
                Cpl = access.Length > 1 && access[1] == "u" ? 3 : 0,
                Implicit = access.Length > 1 && access[1] == "i",
                Chain = fields[4] == "-" ? Array.Empty<ulong>() : fields[4].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ParseHex).ToArray(),
                Expected = expected[0],
            };

            foreach (string extra in expected.Skip(1))
            {
                int eq = extra.IndexOf('=');
                vector.Extras[extra[..eq]] = extra[(eq + 1)..];
            }

            return vector;
        }
    }
}
