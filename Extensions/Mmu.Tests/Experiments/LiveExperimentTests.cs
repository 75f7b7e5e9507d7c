using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Nested;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Tests.Experiments;

/// <summary>
/// A notebook guest built command by command: what it maps is where an OS would put it, its accesses behave as the
/// model does, and what it records replays bit for bit through the experiment file.
/// </summary>
public class LiveExperimentTests
{
    private static readonly VmConfig Intel = new(MemorySize: 4UL << 30, Tdp: TdpMode.Ept);
    private static readonly VmConfig Amd = new(Vendor: Vendor.Amd, MemorySize: 4UL << 30, Tdp: TdpMode.Npt);

    public static TheoryData<GuestPaging> PagingModes => new()
    {
        GuestPaging.Bits32, GuestPaging.Pse36, GuestPaging.Pae, GuestPaging.Level4, GuestPaging.Level5,
    };

    [Theory]
    [MemberData(nameof(PagingModes))]
    public void a_mapped_page_translates_and_tables_come_from_the_top_of_memory(GuestPaging paging)
    {
        var guest = LiveExperiment.Create("g", Intel, new GuestSetup(paging, Wp: true));
        MapReport map = guest.Map(MapTables.Guest, 0x40_1000, 0x20_0000, 4096, (ulong)(PteFlags.Present | PteFlags.Write));
        Assert.True(map.Writes.Length >= 2, "at least one table entry and the leaf");
        Assert.All(map.Writes.Take(map.Writes.Length - 1), w => Assert.True(w.Gpa >= 0xF000_0000, $"table at 0x{w.Gpa:x} is not high"));

        AccessReport access = guest.Access(new AccessStep(AccessKind.Write, 0x40_1234));
        Assert.True(access.Result.IsOk, access.Result.ToString());
        Assert.Equal(0x20_0234UL, access.Result.Gpa);
        Assert.Equal(GuestSetup.ModeOf(paging), access.Mode);
        Assert.NotEmpty(access.Trace);
        Assert.NotEmpty(access.Sptes); // EPT: the TDP MMU built the translation

        AssertReplaysExactly(guest);
    }

    [Fact]
    public void mapping_after_a_step_becomes_poke_steps_and_still_replays()
    {
        var guest = LiveExperiment.Create("g", Intel, new GuestSetup());
        guest.Map(MapTables.Guest, 0x40_0000, 0x20_0000, 4096, (ulong)PteFlags.Present);
        Assert.True(guest.Access(new AccessStep(AccessKind.Read, 0x40_0000)).Result.IsOk);
        MapReport second = guest.Map(MapTables.Guest, 0x40_0000, 0x30_0000, 4096, (ulong)(PteFlags.Present | PteFlags.Write));
        Assert.True(second.AsSteps);
        Assert.Contains(guest.Experiment.Steps, s => s is PokeStep);
        guest.Run(new InvlpgStep(0x40_0000));
        Assert.Equal(0x30_0000UL, guest.Access(new AccessStep(AccessKind.Write, 0x40_0000)).Result.Gpa);
        AssertReplaysExactly(guest);
    }

    [Theory]
    [InlineData(NestedKind.Vmx, true, 24)]
    [InlineData(NestedKind.Svm, true, 24)]
    [InlineData(NestedKind.Vmx, false, 4)]
    public void an_l2_maps_through_l1s_tdp_tables_and_walks_in_two_dimensions(NestedKind kind, bool l1Tdp, int reads)
    {
        var guest = LiveExperiment.Create("n", kind == NestedKind.Vmx ? Intel : Amd, new GuestSetup(Wp: true, Nx: true));
        guest.EnterNested(kind, l1Tdp, new GuestSetup(Wp: true), new EptCapabilities());
        guest.Map(MapTables.Guest, 0x40_1000, 0x1234_5000, 4096, (ulong)(PteFlags.Present | PteFlags.Write));
        AccessReport access = guest.Access(new AccessStep(AccessKind.Read, 0x40_1008));
        Assert.True(access.Result.IsOk, access.Result.ToString());
        Assert.Equal(2, access.Level);
        Assert.Equal(reads, access.Trace.Count(t => t.Kind == TraceKind.Read));
        Assert.Equal(l1Tdp ? (kind == NestedKind.Vmx ? PagingMode.Ept4 : PagingMode.Long4) : PagingMode.None, access.NestedMode);
        AssertReplaysExactly(guest);
    }

    [Fact]
    public void nested_after_steps_is_refused_with_the_reason()
    {
        var guest = LiveExperiment.Create("g", Intel, new GuestSetup());
        guest.Run(new PeekStep(0));
        var error = Assert.Throws<ExperimentFormatException>(() => guest.EnterNested(NestedKind.Vmx, true, new GuestSetup(), new EptCapabilities()));
        Assert.Equal("nested", error.Field);
        Assert.Contains("1 step", error.Problem);
    }

    [Theory]
    [InlineData("pke", GuestPaging.Pae)]
    [InlineData("nx", GuestPaging.Bits32)]
    public void switches_that_the_mode_cannot_have_name_the_switch(string field, GuestPaging paging)
    {
        var error = Assert.Throws<ExperimentFormatException>(() =>
            LiveExperiment.Create("g", Intel, new GuestSetup(paging, Pke: field == "pke", Nx: field == "nx")));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void a_bad_vm_config_names_its_field()
    {
        var error = Assert.Throws<ExperimentFormatException>(() => LiveExperiment.Create("g", Intel with { MaxPhyAddr = 60 }, new GuestSetup()));
        Assert.Equal("maxphyaddr", error.Field);
    }

    [Fact]
    public void walk_through_a_named_walker_leaves_memory_unchanged()
    {
        var guest = LiveExperiment.Create("g", Intel, new GuestSetup());
        guest.Map(MapTables.Guest, 0x40_0000, 0x20_0000, 4096, (ulong)(PteFlags.Present | PteFlags.Write));
        ulong leaf = guest.EntryGpa(MapTables.Guest, 0x40_0000, 1)!.Value;
        ulong before = guest.Vm.Memory.TryReadU64(leaf, out ulong v) ? v : 0;
        WalkReport walk = guest.Walk(0x40_0000, (ulong)PfErr.Write, "root_mmu");
        Assert.True(walk.Result.IsOk);
        Assert.Contains(walk.Trace, t => t.Kind == TraceKind.Write);
        Assert.True(guest.Vm.Memory.TryReadU64(leaf, out ulong after));
        Assert.Equal(before, after);
        Assert.Equal("walker", Assert.Throws<ExperimentFormatException>(() => guest.Walk(0, 0, "no_such_walker")).Field);
    }

    public static TheoryData<string, GuestPaging, bool> FaultCases()
    {
        var data = new TheoryData<string, GuestPaging, bool>();
        foreach (string kind in new[] { "notpresent", "rsvd", "wp", "smep", "smap" })
        {
            foreach (GuestPaging paging in new[] { GuestPaging.Pse36, GuestPaging.Pae, GuestPaging.Level4, GuestPaging.Level5 })
            {
                data.Add(kind, paging, false);
            }
        }

        foreach (GuestPaging paging in new[] { GuestPaging.Pae, GuestPaging.Level4, GuestPaging.Level5 })
        {
            data.Add("nx", paging, false);
        }

        data.Add("pku", GuestPaging.Level4, false);
        data.Add("pku", GuestPaging.Level5, false);
        data.Add("notpresent", GuestPaging.Level4, true);
        data.Add("wp", GuestPaging.Level4, true);
        data.Add("pku", GuestPaging.Level4, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(FaultCases))]
    public void each_fault_recipe_triggers_its_fault_and_replays(string kind, GuestPaging paging, bool inL2)
    {
        var guest = LiveExperiment.Create("f", Intel, new GuestSetup(paging));
        if (inL2)
        {
            guest.EnterNested(NestedKind.Vmx, true, new GuestSetup(paging), new EptCapabilities());
        }

        FaultReport report = FaultRecipes.Trigger(guest, kind);
        Assert.Equal(WalkOutcome.PageFault, report.Access.Result.Outcome);
        Assert.DoesNotContain("Expected", report.Explanation, StringComparison.Ordinal);
        Assert.EndsWith(").", report.Explanation, StringComparison.Ordinal);
        AssertReplaysExactly(guest);
    }

    [Theory]
    [InlineData("ept-violation", NestedKind.Vmx, ExitReason.EptViolation)]
    [InlineData("ept-misconfig", NestedKind.Vmx, ExitReason.EptMisconfig)]
    [InlineData("npf", NestedKind.Svm, ExitReason.Npf)]
    public void tdp_fault_recipes_exit_to_l1(string kind, NestedKind nested, ExitReason reason)
    {
        var guest = LiveExperiment.Create("t", nested == NestedKind.Vmx ? Intel : Amd, new GuestSetup());
        guest.EnterNested(nested, true, new GuestSetup(), new EptCapabilities());
        FaultReport report = FaultRecipes.Trigger(guest, kind);
        Assert.Equal(WalkOutcome.VmExit, report.Access.Result.Outcome);
        Assert.Equal(reason, report.Access.Result.ExitReason);
        Assert.DoesNotContain("Expected", report.Explanation, StringComparison.Ordinal);
        AssertReplaysExactly(guest);
    }

    [Theory]
    [InlineData("pku", GuestPaging.Pae, "4-level")]
    [InlineData("nx", GuestPaging.Bits32, "XD")]
    [InlineData("rsvd", GuestPaging.Bits32, "PSE")]
    [InlineData("ept-violation", GuestPaging.Level4, "VMX L2")]
    [InlineData("bogus", GuestPaging.Level4, "notpresent")]
    public void impossible_fault_recipes_say_why(string kind, GuestPaging paging, string hint)
    {
        var guest = LiveExperiment.Create("x", Intel, new GuestSetup(paging));
        var error = Assert.Throws<ExperimentFormatException>(() => FaultRecipes.Trigger(guest, kind));
        Assert.Equal("kind", error.Field);
        Assert.Contains(hint, error.Problem, StringComparison.Ordinal);
        Assert.Equal(0, guest.StepCount);
    }

    [Fact]
    public void replaying_an_experiment_gives_a_guest_that_goes_on()
    {
        var guest = LiveExperiment.Create("g", Intel, new GuestSetup(Wp: true));
        FaultRecipes.Trigger(guest, "wp");
        var again = LiveExperiment.Replay(guest.Experiment);
        Assert.Equal(guest.StepCount, again.StepCount);
        Assert.Equal(
            ExperimentResultWriter.ToJson(new ExperimentResult { Name = "g", Steps = [.. guest.Results] }),
            ExperimentResultWriter.ToJson(new ExperimentResult { Name = "g", Steps = [.. again.Results] }));
        FaultRecipes.Trigger(again, "notpresent");
        Assert.Equal(guest.StepCount + 1, again.StepCount);
    }

    private static void AssertReplaysExactly(LiveExperiment guest)
    {
        Experiment saved = ExperimentParser.Parse(ExperimentWriter.Write(guest.Experiment));
        ExperimentResult replay = ExperimentRunner.Run(saved, new RunOptions(Trace: true, Layout: guest.Variant));
        Assert.True(replay.Succeeded, replay.Error);
        Assert.Equal(
            ExperimentResultWriter.ToJson(new ExperimentResult { Name = guest.Name, Steps = [.. guest.Results] }),
            ExperimentResultWriter.ToJson(replay));
    }
}
