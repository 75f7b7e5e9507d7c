using Newtonsoft.Json.Linq;
using Workbench.Charts;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The chart helpers build the figures their data says.</summary>
public class ChartTests
{
    [Fact]
    public void walk_levels_has_a_staircase_of_reads_and_highlighted_write_backs()
    {
        Vm vm = Guests.FirstWalkVm();
        var trace = new WalkTrace();
        vm.Vcpu.Access(0x401234, AccessKind.Write, 0, false, trace);

        Figure figure = WalkCharts.Levels(trace);
        JObject json = JObject.Parse(figure.ToPlotlyJson());

        JToken reads = json["data"]![0]!;
        JToken writes = json["data"]![1]!;
        Assert.Equal(new[] { 4, 3, 2, 1 }, reads["y"]!.Values<int>());
        Assert.Equal(new[] { 1, 2, 3, 4 }, reads["x"]!.Values<int>());
        Assert.Equal(trace.WriteCount, writes["y"]!.Count());
        Assert.Contains("A 0→1, D 0→1", writes["text"]!.Values<string>());
        Assert.Equal("diamond", (string?)writes["marker"]!["symbol"]);
        Assert.Equal("Page walk: 4 reads, 4 A/D write-backs", (string?)json["layout"]!["title"]!["text"]);
    }

    [Fact]
    public void walk_levels_of_an_empty_trace_is_an_empty_chart()
    {
        JObject json = JObject.Parse(WalkCharts.Levels(new WalkTrace()).ToPlotlyJson());
        Assert.Empty(json["data"]![0]!["y"]!);
    }

    [Fact]
    public void permission_matrix_is_the_permission_table()
    {
        PageFormat format = Guests.FirstWalkVm().Vcpu.WalkFormat;
        JObject json = JObject.Parse(PermissionCharts.Matrix(format).ToPlotlyJson());

        JToken heatmap = json["data"]![0]!;
        Assert.Equal("heatmap", (string?)heatmap["type"]);
        var z = heatmap["z"]!.Select(row => row.Values<int>().ToArray()).ToArray();
        Assert.Equal(16, z.Length);
        for (int index = 0; index < 16; index++)
        {
            Assert.Equal(8, z[index].Length);
            for (int access = 0; access < 8; access++)
            {
                Assert.Equal((format.Permissions[index] >> access) & 1, z[index][access]);
            }
        }

        Assert.Equal("U--", heatmap["x"]![4]!.Value<string>());
    }

    [Fact]
    public void permission_matrix_changes_with_cr0_wp()
    {
        Vm vm = Guests.FirstWalkVm();
        PageFormat withWp = vm.Vcpu.WalkFormat;
        Assert.True(vm.Vcpu.SetCr0(vm.Vcpu.Registers.Cr0 & ~Cr0.WP).Ok);
        PageFormat withoutWp = vm.Vcpu.WalkFormat;

        // Index 1 = supervisor write; Acc 5 = user + exec, not writable: faults only when CR0.WP=1.
        JToken Cell(PageFormat format) => JObject.Parse(PermissionCharts.Matrix(format).ToPlotlyJson())["data"]![0]!["z"]![1]![5]!;
        Assert.Equal(1, Cell(withWp).Value<int>());
        Assert.Equal(0, Cell(withoutWp).Value<int>());
    }

    [Fact]
    public void access_walk_of_a_2d_walk_is_a_5_by_5_grid_of_24_reads()
    {
        (Vm vm, _) = ReportFixtures.Nested(Nested.NestedKind.Vmx);
        Experiments.AccessReport report = ReportFixtures.Access("l2", vm, AccessKind.Read, Experiments.NestedSetup.Gva);
        JObject json = JObject.Parse(AccessCharts.Walk(report).ToPlotlyJson());

        JToken tdp = json["data"]![0]!;
        JToken guest = json["data"]![1]!;
        Assert.Equal("EPT read", (string?)tdp["name"]);
        Assert.Equal(new[] { "guest L4", "guest L3", "guest L2", "guest L1", "final GPA" }, tdp["y"]!.Values<string>());
        Assert.Equal(new[] { "EPT L4", "EPT L3", "EPT L2", "EPT L1", "guest entry" }, tdp["x"]!.Values<string>());
        int?[][] tdpCells = Grid(tdp);
        int?[][] guestCells = Grid(guest);

        // Row by row: the four EPT reads that translate the guest table's GPA, then the guest entry (SDM 29.3.2).
        for (int row = 0; row < 5; row++)
        {
            for (int column = 0; column < 4; column++)
            {
                Assert.Equal((row * 5) + column + 1, tdpCells[row][column]);
                Assert.Null(guestCells[row][column]);
            }

            Assert.Null(tdpCells[row][4]);
            Assert.Equal(row < 4 ? (row * 5) + 5 : null, guestCells[row][4]);
        }

        Assert.Equal("2-D walk: 24 reads (4 guest + 20 EPT)", (string?)json["layout"]!["title"]!["text"]);
    }

    // Reads of a 2-D walk: each guest table's GPA is translated through L1's EPT (one read per EPT level) before
    // its entry is read, then the final GPA is (SDM Vol. 3C 29.3.2); PAE PDPTEs come from the PDPTR registers
    // loaded at VM entry, with no EPT walk (SDM 29.3.2, "PDPTE registers").
    public static TheoryData<Paging.PagingMode, int, int, string[]> NestedWalks() => new()
    {
        { Paging.PagingMode.Long4, 4, 24, ["guest L4", "guest L3", "guest L2", "guest L1", "final GPA"] },
        { Paging.PagingMode.Long5, 5, 35, ["guest L5", "guest L4", "guest L3", "guest L2", "guest L1", "final GPA"] },
        { Paging.PagingMode.Pae, 4, 15, ["guest L3", "guest L2", "guest L1", "final GPA"] },
        { Paging.PagingMode.Legacy32, 4, 14, ["guest L2", "guest L1", "final GPA"] },
    };

    [Theory]
    [MemberData(nameof(NestedWalks))]
    public void access_walk_grid_has_a_row_per_guest_table_and_the_final_gpa(Paging.PagingMode l2Paging, int eptLevels, int reads, string[] rows)
    {
        var layout = Experiments.NestedSetup.Build(new Experiments.NestedSetup.Options { L2Paging = l2Paging, TdpLevels = eptLevels });
        Vm vm = Experiments.ExperimentRunner.CreateVm(layout.Experiment);
        Experiments.AccessReport report = ReportFixtures.Access("l2", vm, AccessKind.Read, Experiments.NestedSetup.Gva);
        Assert.True(report.Result.IsOk, report.Result.ToString());
        JObject json = JObject.Parse(AccessCharts.Walk(report).ToPlotlyJson());

        Assert.Equal(rows, json["data"]![0]!["y"]!.Values<string>());
        Assert.Equal(eptLevels + 1, json["data"]![0]!["x"]!.Count());
        int?[] orders = json["data"]!.SelectMany(trace => Grid(trace!).SelectMany(row => row)).Where(cell => cell is not null).ToArray();
        Assert.Equal(Enumerable.Range(1, reads).Cast<int?>(), orders.Order());
    }

    [Fact]
    public void access_walk_of_a_1d_walk_is_one_row_with_write_backs_marked()
    {
        Vm vm = Guests.FirstWalkVm();
        Experiments.AccessReport report = ReportFixtures.Access("first", vm, AccessKind.Write, 0x401234);
        JObject json = JObject.Parse(AccessCharts.Walk(report).ToPlotlyJson());

        JToken guest = json["data"]![1]!;
        Assert.Equal(new[] { "guest walk" }, guest["y"]!.Values<string>());
        Assert.Equal(new[] { "L4", "L3", "L2", "L1" }, guest["x"]!.Values<string>());
        Assert.Equal(new int?[] { 1, 2, 3, 4 }, Grid(guest)[0]);
        Assert.Equal(new[] { "1*", "2*", "3*", "4*" }, guest["text"]![0]!.Values<string>());
        Assert.All(Grid(json["data"]![0]!)[0], Assert.Null);
    }

    [Fact]
    public void shadow_pages_sunburst_counts_pages_per_level_and_kind()
    {
        Vm vm = Guests.FirstWalkVm();
        vm.BuildsPageTables = true;
        Assert.True(vm.Vcpu.Access(0x401234, AccessKind.Read, 0, false).IsOk);
        Experiments.DumpReport dump = ReportFixtures.Dump("first", vm);
        JObject json = JObject.Parse(DumpCharts.ShadowPages(dump).ToPlotlyJson());

        JToken sunburst = json["data"]![0]!;
        var values = sunburst["ids"]!.Values<string>().Zip(sunburst["values"]!.Values<int>()).ToDictionary(p => p.First!, p => p.Second);
        Assert.Equal(4, values["root_mmu"]);
        foreach (int level in new[] { 4, 3, 2, 1 })
        {
            Assert.Equal(1, values[$"root_mmu/L{level}"]);
            Assert.Equal(1, values[$"root_mmu/L{level}/shadow"]);
        }

        Assert.Equal("total", (string?)sunburst["branchvalues"]);
    }

    [Fact]
    public void sweep_charts_show_the_outcomes_counts()
    {
        Analysis.SweepOutcomes outcomes = Analysis.SweepOutcomes.Compute(new Sweeps.AccessSweepOptions(Shard: new Sweeps.AccessShard(0, 1021)));
        JObject codes = JObject.Parse(SweepCharts.ErrorCodes(outcomes).ToPlotlyJson());
        JToken bars = codes["data"]![0]!;
        Assert.Equal(outcomes.ErrorCodes.Values, bars["y"]!.Values<long>());
        Assert.Equal(outcomes.ErrorCodes.Keys.Select(SweepCharts.ErrorCodeLabel), bars["x"]!.Values<string>());
        Assert.Contains("0x0 none", bars["x"]!.Values<string>());

        JObject rates = JObject.Parse(SweepCharts.FaultRateByFlag(outcomes).ToPlotlyJson());
        JToken rateBars = rates["data"]![0]!;
        var varied = outcomes.Flags.Where(f => f.Cases > 0).ToList();
        Assert.Equal(varied.Select(f => f.Flag), rateBars["y"]!.Values<string>());
        Assert.Equal(varied.Select(f => f.FaultRate), rateBars["x"]!.Values<double>());
        Assert.DoesNotContain("fep", rateBars["y"]!.Values<string>());
        double overall = (double)outcomes.Faults / outcomes.Sweep.CasesRun;
        Assert.All(rates["data"]![1]!["x"]!.Values<double>(), x => Assert.Equal(overall, x, 12));
    }

    private static int?[][] Grid(JToken heatmap) =>
        heatmap["z"]!.Select(row => row.Select(cell => cell.Type == JTokenType.Null ? (int?)null : cell.Value<int>()).ToArray()).ToArray();
}
