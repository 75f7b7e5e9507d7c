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
}
