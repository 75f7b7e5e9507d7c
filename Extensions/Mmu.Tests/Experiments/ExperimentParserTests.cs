using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Experiments;

public sealed class ExperimentParserTests
{
    private const string Format = "\"format\": \"mmu-workbench.experiment/1\"";

    public static TheoryData<string, string> InvalidExperiments => new()
    {
        // Syntax and the top level.
        { "", "json: empty input (expected one JSON object)" },
        { "{" + Format + ",", "json: line 1, column 41: Unexpected end of content while loading JObject" },
        { "{" + Format + ", \"name\": x}", "json: line 1, column 50: Unexpected character encountered while parsing value: x" },
        { "{" + Format + "}\n{" + Format + "}", "json: line 2, column 1: more JSON after the experiment object (one experiment per document; use --jsonl for one per line): Additional text encountered after finished reading JSON content: {" },
        { "[]", "json: an experiment is a JSON object, got an array" },
        { "{}", "format: missing (every experiment starts with \"format\": \"mmu-workbench.experiment/1\")" },
        { "{\"format\": \"mmu-workbench.experiment/2\"}", "format: \"mmu-workbench.experiment/2\" is not \"mmu-workbench.experiment/1\"" },
        { "{\"format\": 1}", "format: 1 is not \"mmu-workbench.experiment/1\"" },
        { "{\"nested\": {}, \"format\": \"mmu-workbench.experiment/2\"}", "format: \"mmu-workbench.experiment/2\" is not \"mmu-workbench.experiment/1\"" },
        { "{\"nested\": {}, \"format\": \"mmu-workbench.experiment/1\"}", "nested.kind: missing" },
        { "{" + Format + ", \"step\": []}", "step: unknown field (expected format, name, vm, memory, vcpu, nested, steps)" },
        { "{" + Format + ", \"name\": 5}", "name: expected a string, got the integer 5" },
        { "{" + Format + ", \"steps\": {}}", "steps: expected an array, got an object" },

        // vm.
        { "{" + Format + ", \"vm\": {\"vendor\": \"arm\"}}", "vm.vendor: \"arm\" is not one of \"intel\", \"amd\"" },
        { "{" + Format + ", \"vm\": {\"vendor\": \"Intel\"}}", "vm.vendor: \"Intel\" is not one of \"intel\", \"amd\"" },
        { "{" + Format + ", \"vm\": {\"maxphyaddr\": 60}}", "vm.maxphyaddr: 60 is out of range (36..52)" },
        { "{" + Format + ", \"vm\": {\"maxphyaddr\": \"46\", \"memory\": \"64Q\"}}", "vm.memory: \"64Q\" is not a size (e.g. \"64M\", \"4G\", \"0x100000\", \"4096\")" },
        { "{" + Format + ", \"vm\": {\"memory\": \"6000\"}}", "vm.memory: 6000 is not a positive multiple of 4K" },
        { "{" + Format + ", \"vm\": {\"maxphyaddr\": 36, \"memory\": \"128G\"}}", "vm.memory: 128G is more than MAXPHYADDR 36 can address (64G)" },
        { "{" + Format + ", \"vm\": {\"vendor\": \"amd\", \"tdp\": \"ept\"}}", "vm.tdp: ept needs vendor intel (AMD hosts use npt)" },
        { "{" + Format + ", \"vm\": {\"tdp\": \"npt\"}}", "vm.tdp: npt needs vendor amd (Intel hosts use ept)" },
        { "{" + Format + ", \"vm\": {\"tdp\": \"shadow\"}}", "vm.tdp: \"shadow\" is not one of \"none\", \"ept\", \"npt\"" },
        { "{" + Format + ", \"vm\": {\"gbpages\": 1}}", "vm.gbpages: expected true or false, got the integer 1" },
        { "{" + Format + ", \"vm\": {\"memsize\": \"4G\"}}", "vm.memsize: unknown field (expected vendor, maxphyaddr, memory, tdp, gbpages)" },

        // memory.
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"u64\": 1}, {\"gpa\": \"0x4000000\", \"u64\": 1}]}", "memory[1].gpa: 0x4000000 is beyond guest memory (64M)" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1004\", \"u64\": \"0x1\"}]}", "memory[0].gpa: 0x1004 is not 8-byte aligned" },
        { "{" + Format + ", \"memory\": [{\"gpa\": 8, \"u64\": 1}, {\"gpa\": \"0x8\", \"u64\": 2}]}", "memory[1].gpa: 0x8 is already set by memory[0]" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"value\": \"0x1\"}]}", "memory[0].value: unknown field (expected gpa, u64)" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\"}]}", "memory[0].u64: missing" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"u64\": \"0x1_0000\"}]}", "memory[0].u64: \"0x1_0000\" is not a number (write \"0x1000\" or 4096; at most 64 bits)" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"u64\": \"0x10000000000000000\"}]}", "memory[0].u64: \"0x10000000000000000\" is not a number (write \"0x1000\" or 4096; at most 64 bits)" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"u64\": -1}]}", "memory[0].u64: -1 does not fit in 64 unsigned bits" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"u64\": 18446744073709551616}]}", "memory[0].u64: 18446744073709551616 does not fit in 64 unsigned bits" },
        { "{" + Format + ", \"memory\": [{\"gpa\": \"0x1000\", \"u64\": 1.5}]}", "memory[0].u64: expected a number (\"0x1000\" or 4096), got the number 1.5" },
        { "{" + Format + ", \"memory\": [{\"gpa\": null, \"u64\": 1}]}", "memory[0].gpa: expected a number (\"0x1000\" or 4096), got null" },
        { "{" + Format + ", \"memory\": {\"gpa\": \"0x1000\"}}", "memory: expected an array, got an object" },

        // vcpu.
        { "{" + Format + ", \"vcpu\": {\"cr2\": \"0x0\"}}", "vcpu.cr2: unknown field (expected cr0, cr3, cr4, efer, rflags, pkru)" },
        { "{" + Format + ", \"vcpu\": {\"pkru\": \"0x100000000\"}}", "vcpu.pkru: 0x100000000 does not fit in 32 bits" },
        { "{" + Format + ", \"vcpu\": {\"cr0\": \"0x1\", \"cr0\": \"0x1\"}}", "vcpu.cr0: appears twice in the same object" },
        { "{" + Format + ", \"vcpu\": {\"cr4\": true}}", "vcpu.cr4: expected a number (\"0x1000\" or 4096), got true" },

        // steps.
        { "{" + Format + ", \"steps\": [{\"acess\": \"read\", \"gva\": \"0x1000\"}]}", "steps[0]: unknown step kind \"acess\" (expected one of access, peek, poke, invlpg, set, cpuid, store, dump)" },
        { "{" + Format + ", \"steps\": [{}]}", "steps[0]: empty step (expected one of access, peek, poke, invlpg, set, cpuid, store, dump)" },
        { "{" + Format + ", \"steps\": [\"peek\"]}", "steps[0]: expected an object, got the string \"peek\"" },
        { "{" + Format + ", \"steps\": [{\"peek\": \"0x0\", \"poke\": \"0x0\", \"u64\": 1}]}", "steps[0]: more than one step kind (peek, poke); write one step per object" },
        { "{" + Format + ", \"steps\": [{\"peek\": \"0x0\"}, {\"access\": \"read\", \"gva\": \"0x1000\", \"cppl\": 3}]}", "steps[1].cppl: unknown field (expected access, gva, cpl, implicit, level)" },
        { "{" + Format + ", \"steps\": [{\"access\": \"exec\", \"gva\": \"0x1000\"}]}", "steps[0].access: \"exec\" is not one of \"read\", \"write\", \"fetch\"" },
        { "{" + Format + ", \"steps\": [{\"access\": \"read\"}]}", "steps[0].gva: missing" },
        { "{" + Format + ", \"steps\": [{\"access\": \"read\", \"gva\": \"0x1000\", \"cpl\": 4}]}", "steps[0].cpl: 4 is out of range (0..3)" },
        { "{" + Format + ", \"steps\": [{\"access\": \"read\", \"gva\": \"0x1000\", \"implicit\": \"yes\"}]}", "steps[0].implicit: expected true or false, got the string \"yes\"" },
        { "{" + Format + ", \"steps\": [{\"access\": \"read\", \"gva\": \"0x8000000000000000\"}]}", "steps[0].gva: 0x8000000000000000 is not canonical (bits 63..57 must equal bit 56, even with 5-level paging)" },
        { "{" + Format + ", \"steps\": [{\"access\": \"read\", \"gva\": \"0x100000000000000\"}]}", "steps[0].gva: 0x100000000000000 is not canonical (bits 63..57 must equal bit 56, even with 5-level paging)" },
        { "{" + Format + ", \"steps\": [{\"invlpg\": \"0xfe00000000000000\"}]}", "steps[0].invlpg: 0xfe00000000000000 is not canonical (bits 63..57 must equal bit 56, even with 5-level paging)" },
        { "{" + Format + ", \"steps\": [{\"peek\": \"0x4000000\"}]}", "steps[0].peek: 0x4000000 is beyond guest memory (64M)" },
        { "{" + Format + ", \"vm\": {\"memory\": \"8K\"}, \"steps\": [{\"poke\": \"0x1ffc\", \"u64\": 0}]}", "steps[0].poke: 0x1ffc is not 8-byte aligned" },
        { "{" + Format + ", \"steps\": [{\"poke\": \"0x1000\"}]}", "steps[0].u64: missing" },
        { "{" + Format + ", \"steps\": [{\"set\": {}}]}", "steps[0].set: no register to write" },
        { "{" + Format + ", \"steps\": [{\"set\": {\"cr8\": \"0x0\"}}]}", "steps[0].set.cr8: unknown field (expected cr0, cr3, cr4, efer, rflags, pkru)" },
        { "{" + Format + ", \"steps\": [{\"set\": {\"pkru\": \"0xffffffffff\"}}]}", "steps[0].set.pkru: 0xffffffffff does not fit in 32 bits" },
        { "{" + Format + ", \"steps\": [{\"set\": {\"cr4\": 0, \"cr4\": 1}}]}", "steps[0].set.cr4: appears twice in the same object" },
    };

    [Theory]
    [MemberData(nameof(InvalidExperiments))]
    public void InvalidExperimentGivesAnErrorNamingTheField(string json, string expected)
    {
        var error = Assert.Throws<ExperimentFormatException>(() => ExperimentParser.Parse(json));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void ErrorKeepsTheExperimentName()
    {
        var ok = ExperimentParser.TryParse("{" + Format + ", \"name\": \"typo\", \"steps\": [{\"peek\": 1}]}", out var experiment, out var error);

        Assert.False(ok);
        Assert.Null(experiment);
        Assert.Equal("typo", error!.ExperimentName);
        Assert.Equal("steps[0].peek", error.Field);
        Assert.Equal("0x1 is not 8-byte aligned", error.Problem);
    }

    [Fact]
    public void SyntaxErrorLineNumbersCountFromTheGivenFirstLine()
    {
        var error = Assert.Throws<ExperimentFormatException>(() => ExperimentParser.Parse("{\"format\": }", firstLineNumber: 7));

        Assert.StartsWith("json: line 7, column ", error.Message);
    }

    [Fact]
    public void DeeplyNestedJsonIsAnErrorNotACrash()
    {
        var json = "{" + Format + ", \"name\": " + new string('[', 100) + new string(']', 100) + "}";

        var ok = ExperimentParser.TryParse(json, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("json: line 1, column ", error!.Message);
        Assert.Contains("MaxDepth", error.Message);
    }

    [Fact]
    public void MinimalExperimentTakesEveryDefault()
    {
        var experiment = ExperimentParser.Parse("{" + Format + "}");

        Assert.Null(experiment.Name);
        Assert.Equal(new VmConfig(Vendor.Intel, 46, 64UL << 20, TdpMode.None, GbPages: true), experiment.Vm);
        Assert.Empty(experiment.Memory.ToArray());
        Assert.Equal(new CpuRegisters(0, 0, 0, 0, 2, 0), experiment.Vcpu);
        Assert.Empty(experiment.Steps);
    }

    [Fact]
    public void EveryFieldIsRead()
    {
        const string json = """
            {
              "format": "mmu-workbench.experiment/1",
              "name": "all fields",
              "vm": {"vendor": "amd", "maxphyaddr": "40", "memory": "1G", "tdp": "npt", "gbpages": false},
              "memory": [{"gpa": "0x1000", "u64": "0xFFFFFFFFFFFFFFFF"}, {"gpa": 8192, "u64": 18446744073709551615}],
              "vcpu": {"cr4": "0x20", "cr0": "2147483649", "efer": "0x500", "cr3": "0x1000", "rflags": "0x40002", "pkru": "0x55555554"},
              "steps": [
                {"access": "fetch", "gva": "0xffffffffffe00000", "cpl": "3", "implicit": true},
                {"access": "write", "gva": 4096},
                {"peek": "0x1000"},
                {"poke": "0x2000", "u64": "0x0"},
                {"invlpg": "0x0000000000401000"},
                {"set": {"cr4": "0x0", "cr0": "0x11"}}
              ]
            }
            """;

        var experiment = ExperimentParser.Parse(json);

        Assert.Equal("all fields", experiment.Name);
        Assert.Equal(new VmConfig(Vendor.Amd, 40, 1UL << 30, TdpMode.Npt, GbPages: false), experiment.Vm);
        Assert.Equal([new MemoryEntry(0x1000, ulong.MaxValue), new MemoryEntry(0x2000, ulong.MaxValue)], experiment.Memory.ToArray());
        Assert.Equal(new CpuRegisters(0x8000_0001, 0x1000, 0x20, 0x500, 0x40002, 0x5555_5554), experiment.Vcpu);
        Assert.Equal(
            [
                new AccessStep(AccessKind.Fetch, 0xffff_ffff_ffe0_0000, 3, true),
                new AccessStep(AccessKind.Write, 0x1000),
                new PeekStep(0x1000),
                new PokeStep(0x2000, 0),
                new InvlpgStep(0x401000),
            ],
            experiment.Steps.Take(5));
        var set = Assert.IsType<SetStep>(experiment.Steps[5]);
        Assert.Equal([new RegisterAssignment(VcpuRegister.Cr4, 0), new RegisterAssignment(VcpuRegister.Cr0, 0x11)], set.Writes.ToArray());
    }

    [Fact]
    public void VcpuRegistersLeftOutKeepTheirDefaults()
    {
        var experiment = ExperimentParser.Parse("{" + Format + ", \"vcpu\": {\"cr3\": \"0x5000\"}}");

        Assert.Equal(Experiment.DefaultRegisters with { Cr3 = 0x5000 }, experiment.Vcpu);
    }

    [Theory]
    [InlineData("\"0x0\"", 0UL)]
    [InlineData("\"0X1F\"", 0x1FUL)]
    [InlineData("\"0x00000000000000001\"", 1UL)]
    [InlineData("\"18446744073709551615\"", ulong.MaxValue)]
    [InlineData("9223372036854775808", 0x8000_0000_0000_0000UL)]
    [InlineData("0", 0UL)]
    public void NumbersAreHexStringsDecimalStringsOrIntegers(string literal, ulong expected)
    {
        var experiment = ExperimentParser.Parse("{" + Format + ", \"memory\": [{\"gpa\": 0, \"u64\": " + literal + "}]}");

        Assert.Equal(expected, experiment.Memory[0].Value);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"0x\"")]
    [InlineData("\" 1\"")]
    [InlineData("\"+1\"")]
    [InlineData("\"1k\"")]
    [InlineData("\"0xg\"")]
    [InlineData("\"18446744073709551616\"")]
    public void MalformedNumberStringsAreRejected(string literal)
    {
        var error = Assert.Throws<ExperimentFormatException>(
            () => ExperimentParser.Parse("{" + Format + ", \"memory\": [{\"gpa\": 0, \"u64\": " + literal + "}]}"));

        Assert.Equal("memory[0].u64", error.Field);
        Assert.EndsWith("is not a number (write \"0x1000\" or 4096; at most 64 bits)", error.Problem);
    }
}
