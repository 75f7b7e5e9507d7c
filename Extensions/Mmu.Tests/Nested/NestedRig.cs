using System.Collections.Immutable;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Nested;

/// <summary>Test helpers over <see cref="NestedSetup"/> (the layout lives in the model).</summary>
public static class NestedRig
{
    public const ulong L2Base = NestedSetup.L2Base;
    public const ulong Gva = NestedSetup.Gva;
    public const ulong TdpTables = NestedSetup.TdpTables;
    public const ulong DataL2Gpa = NestedSetup.DataL2Gpa;
    public const ulong DataL1Gpa = NestedSetup.DataL1Gpa;

    public static NestedSetup.Layout Build(NestedSetup.Options options) => NestedSetup.Build(options);

    /// <summary>Runs an experiment and returns its results (failing the test on an experiment error).</summary>
    public static ImmutableArray<StepResult> Run(Experiment experiment, bool trace = true)
    {
        var result = ExperimentRunner.Run(experiment, new RunOptions(Trace: trace));
        Assert.True(result.Succeeded, result.Error);
        return result.Steps;
    }

    public static AccessStep Read(ulong gva = Gva, int? level = null) => new AccessStep(AccessKind.Read, gva) { Level = level };

    public static AccessStep Write(ulong gva = Gva, int? level = null) => new AccessStep(AccessKind.Write, gva) { Level = level };

    public static AccessStep Fetch(ulong gva = Gva, int? level = null) => new AccessStep(AccessKind.Fetch, gva) { Level = level };
}
