using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>The nested part of <c>mmu-workbench.experiment/1</c>: round trip, results, and one clear error per bad field.</summary>
public class NestedExperimentFormatTests
{
    private const string Head = "{\"format\": \"mmu-workbench.experiment/1\", ";

    // L1 with VMXE (and SVME for SVM) so that VM entry is possible.
    private const string IntelEpt = "\"vm\": {\"vendor\": \"intel\", \"tdp\": \"ept\"}, \"vcpu\": {\"cr4\": \"0x2000\"}, ";
    private const string AmdNpt = "\"vm\": {\"vendor\": \"amd\", \"tdp\": \"npt\"}, \"vcpu\": {\"efer\": \"0x1000\"}, ";

    public static TheoryData<string, string> Invalid => new()
    {
        { Head + IntelEpt + "\"nested\": {}}", "nested.kind: missing" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"hvm\"}}", "nested.kind: \"hvm\" is not one of \"vmx\", \"svm\"" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1tdp\": true}}", "nested.l1tdp: unknown field (expected kind, l1_tdp, eptp, ncr3, ept, vcpu)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true}}", "nested.eptp: missing (l1_tdp is true: L1's EPT pointer roots L2's GPA translation)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"ncr3\": \"0x1000\"}}", "nested.ncr3: belongs to kind svm (kind vmx uses eptp)" },
        { Head + AmdNpt + "\"nested\": {\"kind\": \"svm\", \"l1_tdp\": true, \"ncr3\": \"0x1000\", \"ept\": {}}}", "nested.ept: EPT capabilities apply to kind vmx only" },
        { Head + AmdNpt + "\"nested\": {\"kind\": \"vmx\"}}", "nested.kind: vmx needs vendor intel (AMD CPUs have SVM)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"svm\"}}", "nested.kind: svm needs vendor amd (Intel CPUs have VMX)" },
        { Head + "\"vm\": {\"tdp\": \"ept\"}, \"nested\": {\"kind\": \"vmx\"}}", "nested.kind: vmx needs L1's CR4.VMXE (bit 13) set in vcpu.cr4: VMXON raises #UD without it" },
        { Head + "\"vm\": {\"vendor\": \"amd\"}, \"nested\": {\"kind\": \"svm\"}}", "nested.kind: svm needs L1's EFER.SVME (bit 12) set in vcpu.efer: VMRUN raises #UD without it" },
        { Head + "\"vcpu\": {\"cr4\": \"0x2000\"}, \"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x10001e\"}}", "nested.l1_tdp: nested EPT/NPT needs L0 to use TDP (vm.tdp ept or npt), not shadow paging" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x10001f\"}}", "nested.eptp: memory type 7 (bits 2:0) is neither UC (0) nor WB (6)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x100016\"}}", "nested.eptp: page-walk length 3 (bits 5:3 = 2) is neither 4 nor 5 levels" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x10009e\"}}", "nested.eptp: reserved bits 11:7 set (0x80)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x80000010001e\"}}", "nested.eptp: bit 47 set at or above MAXPHYADDR (46)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x10005e\", \"ept\": {\"ad\": false}}}", "nested.eptp: A/D enable (bit 6) set but the EPT capabilities have no accessed/dirty flags (nested.ept.ad is false)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x10001e\", \"ept\": {\"xu\": true}}}", "nested.ept.xu: unknown field (expected ad, execonly, mbec)" },
        { Head + AmdNpt + "\"nested\": {\"kind\": \"svm\", \"l1_tdp\": true, \"ncr3\": \"0x40000000000000\"}}", "nested.ncr3: bit 54 set at or above MAXPHYADDR (46)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"vcpu\": {\"cr2\": \"0x0\"}}}", "nested.vcpu.cr2: unknown field (expected cr0, cr3, cr4, efer, rflags, pkru)" },
        { Head + IntelEpt + "\"nested\": {\"kind\": \"vmx\", \"vcpu\": {\"cr0\": \"0x80000001\", \"efer\": \"0x500\"}}}", "nested.vcpu.cr4: PAE must be set when EFER.LME=1 and CR0.PG=1" },
        { Head + IntelEpt + "\"steps\": [{\"access\": \"read\", \"gva\": \"0x0\", \"level\": 2}]}", "steps[0].level: 2 needs an L2 guest (a \"nested\" object); without one every step runs in L1" },
        { Head + IntelEpt + "\"steps\": [{\"access\": \"read\", \"gva\": \"0x0\", \"level\": 3}]}", "steps[0].level: 3 is out of range (1..2)" },
        { Head + IntelEpt + "\"steps\": [{\"peek\": \"0x0\", \"level\": 1}]}", "steps[0].level: does not apply to peek: it addresses L1's guest-physical memory whichever guest runs" },
        { Head + "\"steps\": [{\"cpuid\": {}}]}", "steps[0].cpuid: nothing to change (expected maxphyaddr and/or gbpages)" },
        { Head + "\"steps\": [{\"cpuid\": {\"maxphyaddr\": 30}}]}", "steps[0].cpuid.maxphyaddr: 30 is out of range (36..52)" },
        { Head + "\"vm\": {\"memory\": \"128G\", \"maxphyaddr\": 40}, \"steps\": [{\"cpuid\": {\"maxphyaddr\": 36}}]}", "steps[0].cpuid.maxphyaddr: 128G is more than MAXPHYADDR 36 can address (64G)" },
        { Head + "\"vm\": {\"memory\": \"128T\", \"maxphyaddr\": 52}}", "vm.memory: 128T is more than the model's limit of 64T" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void A_bad_nested_field_gives_one_error_naming_it(string json, string error)
    {
        var result = ExperimentBatch.RunText(json);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public void Canonical_output_round_trips_byte_for_byte()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var experiment = rig.With(NestedRig.Read(), new SetStep([new RegisterAssignment(VcpuRegister.Cr3, rig.Experiment.Vcpu.Cr3)]) { Level = 1 },
            new CpuidStep(40, null), new InvlpgStep(NestedRig.Gva) { Level = 2 });
        var text = ExperimentWriter.Write(experiment);
        var parsed = ExperimentParser.Parse(text);

        Assert.Equal(text, ExperimentWriter.Write(parsed));
        Assert.Equal(experiment.Nested, parsed.Nested);
        Assert.Equal(1, parsed.Steps[1].Level);
        Assert.Null(parsed.Steps[0].Level);
        Assert.Contains("\"nested\": {\"kind\": \"vmx\", \"l1_tdp\": true, \"eptp\": \"0x10005e\"", text);
    }

    [Fact]
    public void VM_exits_are_written_with_their_exit_fields()
    {
        var rig = NestedRig.Build(new NestedSetup.Options());
        var leaf = rig.TdpEntryGpa(1);
        var ept = ExperimentBatch.RunText(ExperimentWriter.Write(rig.With(new PokeStep(leaf, 0), NestedRig.Write())));
        var line = ExperimentResultWriter.ToJson(ept);
        Assert.Contains("{\"result\":\"vm_exit\",\"exit_reason\":\"EPT_VIOLATION\",\"qualification\":\"0x183\",\"gpa\":\"0x8000200234\",\"gva\":\"0x401234\"}", line);

        var svm = NestedRig.Build(new NestedSetup.Options { Kind = NestedKind.Svm });
        var npf = ExperimentBatch.RunText(ExperimentWriter.Write(svm.With(new PokeStep(svm.TdpEntryGpa(1), 0), NestedRig.Read())));
        Assert.Contains("{\"result\":\"vm_exit\",\"exit_reason\":\"NPF\",\"exit_info_1\":\"0x100000004\",\"exit_info_2\":\"0x8000200234\",\"gpa\":\"0x8000200234\",\"gva\":\"0x401234\"}",
            ExperimentResultWriter.ToJson(npf));
    }

    [Fact]
    public void Mutated_nested_experiments_each_give_one_result_and_never_an_internal_error()
    {
        // Sampled fuzzing (fixed seed, 3,000 mutants): flip bits in registers, EPTP/nCR3, memory words and steps of
        // nested experiments of every kind; each must run or fail with a field error, never crash the model.
        var random = new Random(6);
        var bases = new[]
        {
            NestedRig.Build(new NestedSetup.Options()),
            NestedRig.Build(new NestedSetup.Options { Kind = NestedKind.Svm }),
            NestedRig.Build(new NestedSetup.Options { L1Tdp = false }),
            NestedRig.Build(new NestedSetup.Options { L1Tdp = false, L0Tdp = false, L2Paging = PagingMode.Pae }),
            NestedRig.Build(new NestedSetup.Options { TdpLevels = 5, L2Paging = PagingMode.Long5 }),
        };
        var lines = new List<string>();
        for (var i = 0; i < 3000; i++)
        {
            var rig = bases[random.Next(bases.Length)];
            var experiment = rig.With(NestedRig.Read(), NestedRig.Write(level: 1), NestedRig.Fetch(), NestedRig.Write());
            experiment = Mutate(experiment, random);
            lines.Add(ExperimentWriter.Write(experiment, singleLine: true));
        }

        var output = new StringWriter();
        ExperimentBatch.RunJsonLines(new StringReader(string.Join("\n", lines)), output, RunOptions.Default);
        var results = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(lines.Count, results.Length);
        Assert.DoesNotContain(results, r => r.Contains("internal error", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Contains("vm_exit", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Contains("\"error\"", StringComparison.Ordinal));
    }

    private static Experiment Mutate(Experiment experiment, Random random)
    {
        ulong Flip(ulong value) => value ^ (1UL << random.Next(64));
        var nested = experiment.Nested!;
        switch (random.Next(6))
        {
            case 0:
                return experiment with { Nested = nested with { TdpRoot = Flip(nested.TdpRoot) } };
            case 1:
                var regs = nested.Registers;
                return experiment with { Nested = nested with { Registers = random.Next(3) switch
                {
                    0 => regs with { Cr0 = Flip(regs.Cr0) },
                    1 => regs with { Cr4 = Flip(regs.Cr4) },
                    _ => regs with { Efer = Flip(regs.Efer) },
                } } };
            case 2:
                var index = random.Next(experiment.Memory.Length);
                var word = experiment.Memory[index];
                return experiment with { Memory = experiment.Memory.SetItem(index, word with { Value = Flip(word.Value) }) };
            case 3:
                return experiment with { Vcpu = experiment.Vcpu with { Cr4 = Flip(experiment.Vcpu.Cr4) } };
            case 4:
                return experiment with { Nested = nested with { Kind = nested.Kind == NestedKind.Vmx ? NestedKind.Svm : NestedKind.Vmx } };
            default:
                return experiment with { Nested = nested with { L1Tdp = !nested.L1Tdp } };
        }
    }
}
