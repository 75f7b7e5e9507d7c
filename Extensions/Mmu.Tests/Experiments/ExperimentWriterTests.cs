using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Experiments;

public sealed class ExperimentWriterTests
{
    private static Experiment EveryKindOfStep() => new()
    {
        Name = "round trip \"quoted\"",
        Vm = new VmConfig(Vendor.Amd, 48, 3UL << 30, TdpMode.Npt, GbPages: false),
        Memory = [new MemoryEntry(0x1000, 0x2007), new MemoryEntry(0x8, ulong.MaxValue), new MemoryEntry(0x3ff8, 0)],
        Vcpu = new CpuRegisters(0x8001_0011, 0x1000, 0x30_0020, 0xd00, 0x4_0002, 0xffff_fffc),
        Steps =
        [
            new AccessStep(AccessKind.Read, 0x401000),
            new AccessStep(AccessKind.Write, 0xffff_8000_0000_0000, 3, false),
            new AccessStep(AccessKind.Fetch, 0x7fff_ffff_f000, 0, true),
            new PeekStep(0x1000),
            new PokeStep(0x1000, 0),
            new InvlpgStep(0x401000),
            new SetStep([new RegisterAssignment(VcpuRegister.Pkru, 0), new RegisterAssignment(VcpuRegister.Cr0, 0x8000_0011)]),
        ],
    };

    [Fact]
    public void WriteThenParseGivesTheSameExperimentAndTheSameBytes()
    {
        var original = EveryKindOfStep();

        foreach (var singleLine in new[] { false, true })
        {
            var text = ExperimentWriter.Write(original, singleLine);
            var parsed = ExperimentParser.Parse(text);

            Assert.Equal(original.Name, parsed.Name);
            Assert.Equal(original.Vm, parsed.Vm);
            Assert.Equal(original.Memory.ToArray(), parsed.Memory.ToArray());
            Assert.Equal(original.Vcpu, parsed.Vcpu);
            Assert.Equal(original.Steps.Take(6), parsed.Steps.Take(6));
            Assert.Equal(((SetStep)original.Steps[6]).Writes.ToArray(), Assert.IsType<SetStep>(parsed.Steps[6]).Writes.ToArray());
            Assert.Equal(text, ExperimentWriter.Write(parsed, singleLine));
        }
    }

    [Fact]
    public void SingleLineFormHasNoLineBreak()
    {
        var text = ExperimentWriter.Write(EveryKindOfStep(), singleLine: true);

        Assert.DoesNotContain('\n', text);
        Assert.StartsWith("{\"format\":\"mmu-workbench.experiment/1\",\"name\":\"round trip \\\"quoted\\\"\",\"vm\":{", text);
    }

    [Fact]
    public void CanonicalFormMakesEveryDefaultExplicit()
    {
        var parsed = ExperimentParser.Parse("""
            {"steps": [{"set": {"cr4": 32, "efer": "0x100"}}, {"access": "read", "gva": "0X00401000"}], "memory": [{"u64": 7, "gpa": 4096}],
             "format": "mmu-workbench.experiment/1"}
            """);

        var expected = """
            {
              "format": "mmu-workbench.experiment/1",
              "vm": {"vendor": "intel", "maxphyaddr": 46, "memory": "64M", "tdp": "none", "gbpages": true},
              "memory": [
                {"gpa": "0x1000", "u64": "0x7"}
              ],
              "vcpu": {"cr0": "0x0", "cr3": "0x0", "cr4": "0x0", "efer": "0x0", "rflags": "0x2", "pkru": "0x0"},
              "steps": [
                {"set": {"cr4": "0x20", "efer": "0x100"}},
                {"access": "read", "gva": "0x401000", "cpl": 0, "implicit": false}
              ]
            }

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), ExperimentWriter.Write(parsed));
    }

    [Fact]
    public void EmptyArraysStayOnOneLine()
    {
        var text = ExperimentWriter.Write(new Experiment());

        Assert.Contains("  \"memory\": [],\n", text);
        Assert.Contains("  \"steps\": []\n", text);
    }
}
