using Newtonsoft.Json.Linq;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Notebook;

namespace Workbench.Mmu.Notebook.Tests;

public class VariantChartTests
{
    [Fact]
    public void Divergence_heatmap_has_one_row_per_case_and_one_column_per_compared_variant()
    {
        var report = VariantComparison.Run(["6.12", "chainsaw-v2", "broken-nested-wp"], ComparisonSuite.Build("quick"), includeSweep: false);
        var json = JObject.Parse(VariantCharts.Divergence(report).ToPlotlyJson());
        var trace = json["data"]![0]!;
        Assert.Equal("heatmap", (string?)trace["type"]);
        Assert.Equal(report.Cases.Length, ((JArray)trace["z"]!).Count);
        Assert.Equal(new[] { "chainsaw-v2", "broken-nested-wp" }, trace["x"]!.Select(t => (string)t!));
        Assert.Equal(2, trace["z"]!.Sum(row => (int)row[1]!));   // quick suite: nested EPT and NPT with a WP flip
        Assert.Equal(0, trace["z"]!.Sum(row => (int)row[0]!));
    }

    [Fact]
    public void Field_use_and_operations_render_the_measured_structure()
    {
        var structure = StructureMetrics.Measure("6.12");
        var field = JObject.Parse(VariantCharts.FieldUse(structure).ToPlotlyJson())["data"]![0]!;
        Assert.Equal(3, ((JArray)field["z"]!).Count);
        var sankey = JObject.Parse(VariantCharts.Operations(structure).ToPlotlyJson())["data"]![0]!;
        Assert.Equal("sankey", (string?)sankey["type"]);
        Assert.Contains("nested_mmu", sankey["node"]!["label"]!.Select(t => (string)t!));
    }
}
