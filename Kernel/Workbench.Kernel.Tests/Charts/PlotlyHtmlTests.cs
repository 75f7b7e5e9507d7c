using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Workbench.Charts;

namespace Workbench.Kernel.Tests.Charts;

/// <summary>Tests that change <see cref="PlotlyLibrary"/>'s static settings run alone, after everything else.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PlotlyLibraryCollection
{
    public const string Name = "PlotlyLibrary static settings";
}

[Collection(PlotlyLibraryCollection.Name)]
public sealed class PlotlyHtmlTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("wb-charts-").FullName;

    public void Dispose()
    {
        PlotlyLibrary.LibraryPath = null;
        PlotlyLibrary.EmbedMode = PlotlyEmbedMode.EveryChart;
        PlotlyLibrary.ResetEmbedding();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void HtmlHasTheDivAndCallsNewPlotOnIt()
    {
        var figure = new Figure(new Bar { X = new[] { "a" }, Y = new[] { 1 } }) { Layout = { Height = 300 } };

        var html = PlotlyHtml.Render(figure, "wb-plot-test", library: null, missing: null);

        Assert.Contains("<div id=\"wb-plot-test\" class=\"workbench-plotly\" style=\"width:100%;height:300px;\"></div>", html, StringComparison.Ordinal);
        Assert.Contains("document.getElementById(\"wb-plot-test\")", html, StringComparison.Ordinal);
        Assert.Contains("window.Plotly.newPlot(target, figure.data, figure.layout, figure.config)", html, StringComparison.Ordinal);
        var figureJson = Regex.Match(html, "var figure = (.*);\n").Groups[1].Value;
        Assert.Equal("bar", JObject.Parse(figureJson)["data"]![0]!["type"]!.Value<string>());
    }

    [Fact]
    public void EveryOutputGetsItsOwnId()
    {
        PlotlyLibrary.LibraryPath = WriteLibrary("window.Plotly = {};");
        var figure = new Figure(new Bar());

        var ids = Enumerable.Range(0, 3)
            .Select(_ => Regex.Match(figure.ToHtml(), "<div id=\"(wb-plot-[0-9a-f]{32})\"").Groups[1].Value)
            .ToList();

        Assert.All(ids, id => Assert.NotEqual(string.Empty, id));
        Assert.Equal(3, ids.Distinct().Count());
    }

    [Fact]
    public void StringsInTheFigureCannotCloseTheScript()
    {
        var figure = new Figure(new Bar { Name = "</script><script>alert(1)</script>" }) { Layout = { Title = "<!-- & -->" } };

        var html = PlotlyHtml.Render(figure, "wb-plot-x", library: null, missing: null);

        Assert.Single(Regex.Matches(html, "</script>", RegexOptions.IgnoreCase));
        Assert.DoesNotContain("<!--", html, StringComparison.Ordinal);
        var figureJson = Regex.Match(html, "var figure = (.*);\n").Groups[1].Value;
        Assert.Equal("</script><script>alert(1)</script>", JObject.Parse(figureJson)["data"]![0]!["name"]!.Value<string>());
    }

    [Fact]
    public void LibraryIsEmbeddedBehindTheGuardWithScriptBreakersEscaped()
    {
        PlotlyLibrary.LibraryPath = WriteLibrary("var a = \"</script>\", b = \"</SCRIPT \", c = /<!--/; window.Plotly = {};");

        var html = new Figure(new Bar()).ToHtml();

        Assert.Contains("if (!window.Plotly) {\nvar a = \"<\\/script>\", b = \"<\\/SCRIPT \", c = /<\\x21--/; window.Plotly = {};\n}", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(html, "</script>", RegexOptions.IgnoreCase).Count);
        Assert.DoesNotContain("workbench-plotly-missing", html, StringComparison.Ordinal);
    }

    [Fact]
    public void EscapedLibraryKeepsItsMeaningInStrings()
    {
        // "<\/" and "<\x21--" are the same characters in a JavaScript string literal, the only place
        // they occur in plotly.min.js; checked here with C#'s identical escape rules for these two.
        Assert.Equal("x = '<\\/script>'", PlotlyLibrary.EscapeForInlineScript("x = '</script>'"));
        Assert.Equal("x = '<\\x21-- y'", PlotlyLibrary.EscapeForInlineScript("x = '<!-- y'"));
        Assert.Equal("plain code", PlotlyLibrary.EscapeForInlineScript("plain code"));
    }

    [Fact]
    public void MissingLibraryIsExplainedInTheOutput()
    {
        PlotlyLibrary.LibraryPath = Path.Combine(_directory, "absent", "plotly.min.js");

        var html = new Figure(new Bar()).ToHtml();

        Assert.Contains("class=\"workbench-plotly-missing\"", html, StringComparison.Ordinal);
        Assert.Contains("Chart not drawn: plotly.js was not found", html, StringComparison.Ordinal);
        Assert.Contains("./workbench setup", html, StringComparison.Ordinal);
        Assert.Contains(PlotlyLibrary.EnvironmentVariable, html, StringComparison.Ordinal);
        Assert.DoesNotContain("if (!window.Plotly)", html, StringComparison.Ordinal);
        Assert.Contains("newPlot", html, StringComparison.Ordinal);
    }

    [Fact]
    public void FirstChartOnlyEmbedsTheLibraryOnceUntilReset()
    {
        PlotlyLibrary.LibraryPath = WriteLibrary("window.Plotly = {};");
        PlotlyLibrary.EmbedMode = PlotlyEmbedMode.FirstChartOnly;
        PlotlyLibrary.ResetEmbedding();
        var figure = new Figure(new Bar());

        var first = figure.ToHtml();
        var second = figure.ToHtml();
        PlotlyLibrary.ResetEmbedding();
        var afterReset = figure.ToHtml();

        Assert.Contains("if (!window.Plotly)", first, StringComparison.Ordinal);
        Assert.DoesNotContain("if (!window.Plotly)", second, StringComparison.Ordinal);
        Assert.Contains("plotly.js is not loaded on this page", second, StringComparison.Ordinal);
        Assert.Contains("if (!window.Plotly)", afterReset, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryChartEmbedsTheLibraryEachTime()
    {
        PlotlyLibrary.LibraryPath = WriteLibrary("window.Plotly = {};");
        var figure = new Figure(new Bar());

        Assert.Contains("if (!window.Plotly)", figure.ToHtml(), StringComparison.Ordinal);
        Assert.Contains("if (!window.Plotly)", figure.ToHtml(), StringComparison.Ordinal);
    }

    [Fact]
    public void EnvironmentVariableNamesTheLibrary()
    {
        var previous = Environment.GetEnvironmentVariable(PlotlyLibrary.EnvironmentVariable);
        try
        {
            var library = WriteLibrary("window.Plotly = {};");
            Environment.SetEnvironmentVariable(PlotlyLibrary.EnvironmentVariable, library);
            Assert.Equal(library, PlotlyLibrary.Locate(out _));

            var absent = Path.Combine(_directory, "none.js");
            Environment.SetEnvironmentVariable(PlotlyLibrary.EnvironmentVariable, absent);
            Assert.Null(PlotlyLibrary.Locate(out var searched));
            Assert.Equal($"{PlotlyLibrary.EnvironmentVariable}={absent}", searched);
            Assert.Contains(absent, new Figure(new Bar()).ToHtml(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PlotlyLibrary.EnvironmentVariable, previous);
        }
    }

    [Theory]
    [InlineData("first", PlotlyEmbedMode.FirstChartOnly)]
    [InlineData(" FIRST ", PlotlyEmbedMode.FirstChartOnly)]
    [InlineData("every", PlotlyEmbedMode.EveryChart)]
    [InlineData("", PlotlyEmbedMode.EveryChart)]
    [InlineData(null, PlotlyEmbedMode.EveryChart)]
    public void EmbedModeVariableSelectsTheInitialMode(string? value, PlotlyEmbedMode expected)
    {
        Assert.Equal(expected, PlotlyLibrary.ParseEmbedMode(value));
    }

    [Fact]
    public void RepositoryCopyOfPlotlyIsFound()
    {
        var path = PlotlyLibrary.Locate(out var searched);

        Assert.True(path is not null, $"plotly.min.js not found ({searched}); run scripts/fetch-plotly.sh");
        Assert.EndsWith(Path.Combine("plotly.js-dist-min", "plotly.min.js"), path, StringComparison.Ordinal);
    }

    [Fact]
    public void MimeBundleHasHtmlPlotlyJsonAndText()
    {
        PlotlyLibrary.LibraryPath = WriteLibrary("window.Plotly = {};");
        var figure = new Figure(new Bar { Name = "b" });

        var bundle = figure.ToMimeBundle();

        Assert.Equal(new[] { "application/vnd.plotly.v1+json", "text/html", "text/plain" }, bundle.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(figure.ToPlotlyJson(), bundle["application/vnd.plotly.v1+json"]);
        Assert.Equal("Figure: bar \"b\" (0 bars)", bundle["text/plain"]);
        Assert.Contains("newPlot", bundle["text/html"], StringComparison.Ordinal);
    }

    [Fact]
    public void FigureNamesItsFormatterSourceByConvention()
    {
        // What a kernel does: find the attribute by name, create the source, call CreateTypeFormatters.
        var attribute = typeof(Figure).GetCustomAttributes(inherit: true)
            .Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        var sourceType = (Type)attribute.GetType().GetProperty("FormatterSourceType")!.GetValue(attribute)!;
        var preferred = (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!;
        dynamic source = Activator.CreateInstance(sourceType)!;
        IEnumerable<object> formatters = source.CreateTypeFormatters();

        Assert.Equal(new[] { "text/html", "application/vnd.plotly.v1+json" }, preferred);
        var byMime = formatters.ToDictionary(f => (string)f.GetType().GetProperty("MimeType")!.GetValue(f)!);
        Assert.Equal(new[] { "application/vnd.plotly.v1+json", "text/html", "text/plain" }, byMime.Keys.Order(StringComparer.Ordinal));

        PlotlyLibrary.LibraryPath = WriteLibrary("window.Plotly = {};");
        var figure = new Figure(new Scatter { Y = new[] { 1, 2 } });
        foreach (var (mime, formatter) in byMime)
        {
            var format = formatter.GetType().GetMethod("Format", new[] { typeof(object), typeof(TextWriter) })!;
            using var writer = new StringWriter();
            Assert.True((bool)format.Invoke(formatter, new object[] { figure, writer })!);
            Assert.False((bool)format.Invoke(formatter, new object[] { "not a figure", new StringWriter() })!);
            var written = writer.ToString();
            switch (mime)
            {
                case "text/html":
                    Assert.Contains("newPlot", written, StringComparison.Ordinal);
                    break;
                case "application/vnd.plotly.v1+json":
                    Assert.Equal("scatter", JObject.Parse(written)["data"]![0]!["type"]!.Value<string>());
                    break;
                default:
                    Assert.Equal("Figure: scatter (2 points)", written);
                    break;
            }
        }
    }

    [Fact]
    public void FormatterRejectsUnknownMimeTypes()
    {
        Assert.Throws<ArgumentException>(() => new FigureFormatter("image/png"));
    }

    private string WriteLibrary(string javaScript)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".js");
        File.WriteAllText(path, javaScript);
        return path;
    }
}
