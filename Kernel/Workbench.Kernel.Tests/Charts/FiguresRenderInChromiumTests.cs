using System.Diagnostics;
using System.Text;
using Workbench.Charts;

namespace Workbench.Kernel.Tests.Charts;

/// <summary>
/// The golden files pin the JSON; this checks that plotly.js 4 actually draws each trace type from it, in
/// Debian's headless Chromium (installed by ./workbench setup), offline from a file:// page.
/// </summary>
public sealed class FiguresRenderInChromiumTests
{
    [Fact]
    public void EveryTraceTypeIsDrawnByPlotly()
    {
        var figures = new (string Id, Figure Figure, string[] Markers)[]
        {
            ("bar", new Figure(new Bar { X = new[] { "a", "b" }, Y = new[] { 1, 2 } }), new[] { "class=\"trace bars\"", "class=\"point\"" }),
            ("scatter", new Figure(new Scatter { X = new[] { 1, 2, 3 }, Y = new[] { 3.0, double.NaN, 1 }, Mode = "lines+markers" }), new[] { "class=\"trace scatter" }),
            ("heatmap", new Figure(new Heatmap { Z = new[,] { { 1, 2 }, { 3, 4 } }, ColorBar = new ColorBar { Title = "n" } }), new[] { "class=\"hm\"" }),
            ("histogram", new Figure(new Histogram { X = new[] { 1, 1, 2, 5 }, XBins = new Bins { Start = 0, End = 6, Size = 1 } }), new[] { "class=\"trace bars\"" }),
            ("sankey", new Figure(new Sankey { Node = { Label = new[] { "a", "b", "c" } }, Link = { Source = new[] { 0, 0 }, Target = new[] { 1, 2 }, Value = new[] { 2, 1 } } }), new[] { "sankey-node", "sankey-link" }),
            ("sunburst", new Figure(new Sunburst { Labels = new[] { "r", "x", "y" }, Parents = new[] { "", "r", "r" }, Values = new[] { 3, 1, 2 }, BranchValues = "total" }), new[] { "class=\"slice\"" }),
        };
        var libraryPath = PlotlyLibrary.Locate(out var searched);
        Assert.True(libraryPath is not null, $"plotly.min.js not found ({searched}); run ./workbench setup");
        var library = PlotlyLibrary.EscapeForInlineScript(File.ReadAllText(libraryPath));

        var page = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n");
        for (var i = 0; i < figures.Length; i++)
        {
            figures[i].Figure.Layout.Title = "chart " + figures[i].Id;
            page.Append(PlotlyHtml.Render(figures[i].Figure, "chart-" + figures[i].Id, i == 0 ? library : null, missing: null));
        }

        page.Append("<div id=\"end-of-charts\"></div></body></html>\n");
        var directory = Directory.CreateTempSubdirectory("wb-charts-render-").FullName;
        try
        {
            var pagePath = Path.Combine(directory, "charts.html");
            File.WriteAllText(pagePath, page.ToString());

            var dom = DumpDom(pagePath, Path.Combine(directory, "profile"));

            for (var i = 0; i < figures.Length; i++)
            {
                var start = dom.IndexOf($"id=\"chart-{figures[i].Id}\"", StringComparison.Ordinal);
                var end = i + 1 < figures.Length
                    ? dom.IndexOf($"id=\"chart-{figures[i + 1].Id}\"", StringComparison.Ordinal)
                    : dom.IndexOf("id=\"end-of-charts\"", StringComparison.Ordinal);
                Assert.True(start >= 0 && end > start, $"chart-{figures[i].Id} not found in the page");
                var chart = dom[start..end];
                Assert.True(chart.Contains("class=\"main-svg\"", StringComparison.Ordinal), $"{figures[i].Id}: plotly drew no svg");
                foreach (var marker in figures[i].Markers)
                {
                    Assert.True(chart.Contains(marker, StringComparison.Ordinal), $"{figures[i].Id}: no {marker} in the drawn chart");
                }

                // The message exists as script text; only as element text (right after a ">") would it mean a failure.
                Assert.DoesNotContain(">Chart not drawn", chart, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    internal static string DumpDom(string pagePath, string profile)
    {
        var chromium = FindChromium();
        Assert.True(chromium is not null, "chromium not found; ./workbench setup installs Debian's chromium (or set WORKBENCH_CHROMIUM)");
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom", new Uri(pagePath).AbsoluteUri,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 2 minutes");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {error.Result}");
        return output.Result;
    }

    private static string? FindChromium()
    {
        var configured = Environment.GetEnvironmentVariable("WORKBENCH_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "chromium"))
            .FirstOrDefault(File.Exists);
    }
}
