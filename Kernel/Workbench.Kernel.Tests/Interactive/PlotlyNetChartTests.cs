using Newtonsoft.Json.Linq;
using Workbench.Interactive;
using Workbench.Kernel.Tests.Charts;

namespace Workbench.Kernel.Tests.Interactive;

/// <summary>
/// A Plotly.NET chart brought into a cell with <c>#r "nuget: Plotly.NET.CSharp"</c> (restored from the machine's
/// NuGet source) displays like our own figures: offline HTML that plotly.js draws, the plotly JSON and a summary.
/// It needs FSharp.Core 10.1 in the kernel process, which .NET Interactive 1.0.712001 lacks.
/// </summary>
public sealed class PlotlyNetChartTests
{
    [Fact]
    public async Task A_plotly_net_chart_is_shown_as_a_drawn_chart_with_its_json()
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        await KernelRun.SubmitOkAsync(kernel, "#r \"nuget: Plotly.NET.CSharp, 0.14.0\"");
        KernelRun chart = await KernelRun.SubmitOkAsync(
            kernel,
            "Plotly.NET.CSharp.Chart.Point<int, int, string>(x: new[] { 1, 2, 3 }, y: new[] { 4, 1, 6 }, Name: \"points\")");

        IReadOnlyDictionary<string, string> output = chart.ReturnValue!;
        Assert.Equal("Plotly.NET chart: 1 scatter", output["text/plain"]);
        JObject figure = JObject.Parse(output["application/vnd.plotly.v1+json"]);
        Assert.Equal(new[] { 1, 2, 3 }, figure["data"]![0]!["x"]!.Values<int>());
        Assert.Equal("points", (string?)figure["data"]![0]!["name"]);

        string directory = Directory.CreateTempSubdirectory("wb-plotly-net-").FullName;
        try
        {
            string page = Path.Combine(directory, "chart.html");
            File.WriteAllText(page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n" + output["text/html"] + "</body></html>\n");
            string dom = FiguresRenderInChromiumTests.DumpDom(page, Path.Combine(directory, "profile"));
            Assert.Contains("class=\"main-svg\"", dom);
            Assert.Contains("class=\"trace scatter", dom);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
