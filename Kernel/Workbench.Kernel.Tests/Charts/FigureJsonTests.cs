using Newtonsoft.Json.Linq;
using Workbench.Charts;

namespace Workbench.Kernel.Tests.Charts;

public sealed class FigureJsonTests
{
    [Fact]
    public void BarFigureWithLayoutMatchesApprovedJson()
    {
        var figure = new Figure(
            new Bar { Name = "4-level", X = new[] { "4K", "2M", "1G" }, Y = new[] { 512, 3, 1 }, Marker = { Color = "#1f77b4" } },
            new Bar { Name = "5-level", X = new[] { "4K", "2M", "1G" }, Y = new[] { 480, 5, 0 }, Text = new[] { "a", "b", "c" }, TextPosition = "outside" })
        {
            Layout =
            {
                Title = "Leaf pages",
                XAxis = { Title = "page size" },
                YAxis = { Title = "count", Type = "log" },
                BarMode = "group",
                Height = 320,
            },
        };

        Approvals.Verify("bar", figure.ToPlotlyJson(indented: true));
    }

    [Fact]
    public void ScatterMatchesApprovedJson()
    {
        var figure = new Figure(new Scatter
        {
            Name = "walk cost",
            X = new[] { 1, 2, 3, 4 },
            Y = new[] { 4.0, 8.5, double.NaN, 20.25 },
            Mode = "lines+markers",
            Line = { Dash = "dot", Width = 2 },
            Marker = { Size = 8, Symbol = "square" },
        });

        Approvals.Verify("scatter", figure.ToPlotlyJson(indented: true));
    }

    [Fact]
    public void HeatmapMatchesApprovedJson()
    {
        var figure = new Figure(new Heatmap
        {
            Z = new[] { new double?[] { 1, 2, 3 }, new double?[] { 4, null, 6 } },
            X = new[] { "R", "W", "X" },
            Y = new[] { "user", "supervisor" },
            ColorScale = "Viridis",
            ColorBar = new ColorBar { Title = "faults" },
            TextTemplate = "%{z}",
        });

        Approvals.Verify("heatmap", figure.ToPlotlyJson(indented: true));
    }

    [Fact]
    public void HistogramMatchesApprovedJson()
    {
        var figure = new Figure(new Histogram
        {
            X = new[] { 1, 1, 2, 3, 5, 8 },
            NBinsX = 4,
            HistNorm = "probability",
            XBins = new Bins { Start = 0, End = 10, Size = 2 },
        });

        Approvals.Verify("histogram", figure.ToPlotlyJson(indented: true));
    }

    [Fact]
    public void SankeyMatchesApprovedJson()
    {
        var figure = new Figure(new Sankey
        {
            Node = { Label = new[] { "access", "hit", "walk", "fault" }, Pad = 15 },
            Link = { Source = new[] { 0, 0, 2 }, Target = new[] { 1, 2, 3 }, Value = new[] { 90, 10, 2 } },
            ValueSuffix = " accesses",
        });

        Approvals.Verify("sankey", figure.ToPlotlyJson(indented: true));
    }

    [Fact]
    public void SunburstMatchesApprovedJson()
    {
        var figure = new Figure(new Sunburst
        {
            Labels = new[] { "faults", "not present", "protection", "write", "user" },
            Parents = new[] { "", "faults", "faults", "protection", "protection" },
            Values = new[] { 10, 4, 6, 5, 1 },
            BranchValues = "total",
            Marker = { Colors = new[] { "#ddd", "#f80", "#08f", "#0af", "#0fa" } },
        });

        Approvals.Verify("sunburst", figure.ToPlotlyJson(indented: true));
    }

    [Fact]
    public void TopLevelHasDataLayoutAndConfig()
    {
        var json = JObject.Parse(new Figure(new Bar()).ToPlotlyJson());

        Assert.Equal(new[] { "data", "layout", "config" }, json.Properties().Select(p => p.Name));
        Assert.Equal("bar", json["data"]![0]!["type"]!.Value<string>());
        Assert.True(json["config"]!["responsive"]!.Value<bool>());
        Assert.False(json["config"]!["displaylogo"]!.Value<bool>());
    }

    [Fact]
    public void TitlesAreObjectsWithText()
    {
        var figure = new Figure { Layout = { Title = "T", XAxis = { Title = "X" } } };

        var json = JObject.Parse(figure.ToPlotlyJson());

        Assert.Equal("T", json["layout"]!["title"]!["text"]!.Value<string>());
        Assert.Equal("X", json["layout"]!["xaxis"]!["title"]!["text"]!.Value<string>());
        Assert.DoesNotContain("titlefont", figure.ToPlotlyJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void UntouchedNestedObjectsAreLeftOut()
    {
        var json = JObject.Parse(new Figure(new Scatter { X = new[] { 1 }, Y = new[] { 2 } }).ToPlotlyJson());

        Assert.Empty(json["layout"]!.Children());
        Assert.Null(json["data"]![0]!["marker"]);
        Assert.Null(json["data"]![0]!["line"]);
    }

    [Fact]
    public void NonFiniteNumbersBecomeNull()
    {
        var json = JObject.Parse(new Figure(new Scatter { Y = new[] { 1.0, double.PositiveInfinity, double.NaN } }).ToPlotlyJson());

        var y = json["data"]![0]!["y"]!;
        Assert.Equal(JTokenType.Float, y[0]!.Type);
        Assert.Equal(JTokenType.Null, y[1]!.Type);
        Assert.Equal(JTokenType.Null, y[2]!.Type);
    }

    [Fact]
    public void TwoDimensionalArrayIsWrittenRowByRow()
    {
        var json = JObject.Parse(new Figure(new Heatmap { Z = new[,] { { 1, 2, 3 }, { 4, 5, 6 } } }).ToPlotlyJson());

        Assert.Equal("[[1,2,3],[4,5,6]]", json["data"]![0]!["z"]!.ToString(Newtonsoft.Json.Formatting.None));
    }

    [Fact]
    public void ExtraAttributesAndCustomTracesAreWrittenAsGiven()
    {
        var pie = new CustomTrace("pie") { Extra = { ["labels"] = new[] { "a", "b" }, ["hole"] = 0.4 } };
        var figure = new Figure(pie) { Layout = { Extra = { ["xaxis2"] = new Axis { Title = "second" } } } };

        var json = JObject.Parse(figure.ToPlotlyJson());

        Assert.Equal("pie", json["data"]![0]!["type"]!.Value<string>());
        Assert.Equal(0.4, json["data"]![0]!["hole"]!.Value<double>());
        Assert.Equal("second", json["layout"]!["xaxis2"]!["title"]!["text"]!.Value<string>());
    }

    [Fact]
    public void ToStringSummarizesTitleAndTraces()
    {
        var figure = new Figure(
            new Bar { Name = "hits", X = new[] { "a", "b", "c" }, Y = new[] { 1, 2, 3 } },
            new Heatmap { Z = new[] { new[] { 1, 2 }, new[] { 3, 4 }, new[] { 5, 6 } } },
            new Sankey { Node = { Label = new[] { "a", "b" } }, Link = { Value = new[] { 1 } } })
        {
            Layout = { Title = "Summary" },
        };

        Assert.Equal("Figure \"Summary\": bar \"hits\" (3 bars), heatmap (3×2), sankey (2 nodes, 1 links)", figure.ToString());
        Assert.Equal("Figure: no traces", new Figure().ToString());
    }

    [Fact]
    public void CustomTraceNeedsAType()
    {
        Assert.Throws<ArgumentException>(() => new CustomTrace(" "));
    }
}
