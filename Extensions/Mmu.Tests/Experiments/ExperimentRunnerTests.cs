using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Walk;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Tests.Experiments;

public sealed class ExperimentRunnerTests
{
    [Fact]
    public void ExperimentBuiltInCSharpIsValidatedLikeAParsedOne()
    {
        var experiment = new Experiment { Name = "c#", Steps = [new AccessStep(AccessKind.Read, 0, Cpl: 7)] };

        var result = ExperimentRunner.Run(experiment);

        Assert.False(result.Succeeded);
        Assert.Equal("c#", result.Name);
        Assert.Equal("steps[0].cpl: 7 is out of range (0..3)", result.Error);
        Assert.Empty(result.Steps);
    }

    [Fact]
    public void SetStepWithTheSameRegisterTwiceIsInvalid()
    {
        var experiment = new Experiment
        {
            Steps = [new SetStep([new RegisterAssignment(VcpuRegister.Cr4, 0), new RegisterAssignment(VcpuRegister.Cr4, 0)])],
        };

        Assert.Equal("steps[0].set.cr4: written twice in one step", ExperimentRunner.Run(experiment).Error);
    }

    [Fact]
    public void BuilderTablesRunAsTheyWouldFromAFile()
    {
        var tables = new PageTableBuilder(PagingMode.Long4)
            .Map(0x7f00_0000_0000, 0x40_0000, PageTableBuilder.Size2M, PteFlags.Present | PteFlags.User);
        var experiment = new Experiment
        {
            Memory = tables.ToMemory(),
            Vcpu = Experiment.DefaultRegisters with { Cr0 = Cr0.PG | Cr0.PE, Cr3 = tables.Root, Cr4 = Cr4.PAE, Efer = Efer.LME | Efer.LMA },
            Steps = [new AccessStep(AccessKind.Read, 0x7f00_0012_3456, Cpl: 3), new AccessStep(AccessKind.Write, 0x7f00_0000_0000, Cpl: 3)],
        };

        // PML4 index 0xfe (entry at 0x17f0), PDPT and PD index 0; the 2M leaf is 0x400000 | PS | U | P = 0x400085.
        var result = ExperimentRunner.Run(experiment, new RunOptions(Trace: true));

        Assert.True(result.Succeeded, result.Error);
        var read = Assert.IsType<AccessResult>(result.Steps[0]);
        Assert.Equal(WalkOutcome.Ok, read.Walk.Outcome);
        Assert.Equal(0x52_3456UL, read.Walk.Gpa);
        Assert.Equal(2 * 3, read.Trace.Length);
        var write = Assert.IsType<AccessResult>(result.Steps[1]);
        Assert.Equal(PfErr.Present | PfErr.Write | PfErr.User, write.Walk.ErrorCode);
        Assert.Equal(
            "{\"name\":null,\"steps\":[{\"result\":\"ok\",\"gpa\":\"0x523456\",\"contexts\":{\"mmu\":\"root_mmu\",\"walk\":\"root_mmu\",\"guest_mode\":false},\"trace\":["
            + "{\"kind\":\"read\",\"level\":4,\"gpa\":\"0x17f0\",\"value\":\"0x2007\"},"
            + "{\"kind\":\"read\",\"level\":3,\"gpa\":\"0x2000\",\"value\":\"0x3007\"},"
            + "{\"kind\":\"read\",\"level\":2,\"gpa\":\"0x3000\",\"value\":\"0x400085\"},"
            + "{\"kind\":\"write\",\"level\":4,\"gpa\":\"0x17f0\",\"value\":\"0x2027\"},"
            + "{\"kind\":\"write\",\"level\":3,\"gpa\":\"0x2000\",\"value\":\"0x3027\"},"
            + "{\"kind\":\"write\",\"level\":2,\"gpa\":\"0x3000\",\"value\":\"0x4000a5\"}]},"
            + "{\"result\":\"page_fault\",\"error_code\":\"0x7\",\"cr2\":\"0x7f0000000000\",\"contexts\":{\"mmu\":\"root_mmu\",\"walk\":\"root_mmu\",\"guest_mode\":false},\"trace\":["
            + "{\"kind\":\"read\",\"level\":4,\"gpa\":\"0x17f0\",\"value\":\"0x2027\"},"
            + "{\"kind\":\"read\",\"level\":3,\"gpa\":\"0x2000\",\"value\":\"0x3027\"},"
            + "{\"kind\":\"read\",\"level\":2,\"gpa\":\"0x3000\",\"value\":\"0x4000a5\"}]}]}",
            ExperimentResultWriter.ToJson(result));
    }

    [Fact]
    public void CreateVmLeavesTheStateAnExperimentStartsFrom()
    {
        var experiment = new Experiment
        {
            Memory = [new MemoryEntry(0x2000, 0x1234)],
            Vcpu = Experiment.DefaultRegisters with { Cr0 = Cr0.PE, Rflags = Rflags.Fixed1 | Rflags.AC },
        };

        var vm = ExperimentRunner.CreateVm(experiment);

        Assert.True(vm.Memory.TryReadU64(0x2000, out var value));
        Assert.Equal(0x1234UL, value);
        Assert.Equal(experiment.Vcpu, vm.Vcpu.Registers);
    }

    [Fact]
    public void ErrorCodeNamesReadLikeTheSdm()
    {
        Assert.Equal("P|W|U|PK", ExperimentReport.DescribeErrorCode(PfErr.Present | PfErr.Write | PfErr.User | PfErr.PK));
        Assert.Equal("RSVD|F|0x80", ExperimentReport.DescribeErrorCode(PfErr.Rsvd | PfErr.Fetch | (PfErr)0x80));
        Assert.Equal("not present, read, supervisor", ExperimentReport.DescribeErrorCode(PfErr.None));
    }
}
