using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// A plotly.js figure: traces (<c>data</c>), <see cref="Layout"/> and <see cref="Config"/>.
/// In a notebook cell, a figure as the trailing expression (or passed to <c>display</c>) renders as an
/// interactive chart; the kernel finds the formatters through <see cref="TypeFormatterSourceAttribute"/>.
/// </summary>
/// <example>
/// <code>
/// new Figure(new Bar { X = new[] { "4K", "2M", "1G" }, Y = new[] { 512, 3, 1 }, Name = "leaves" })
/// {
///     Layout = { Title = "Leaf pages", YAxis = { Title = "count", Type = "log" } },
/// }
/// </code>
/// </example>
// Both rich forms are preferred: HTML for Notebook, JupyterLab and nbconvert reports, the plotly JSON for
// front ends that draw it natively (VS Code); kernels add text/plain themselves.
[TypeFormatterSource(typeof(FigureFormatterSource), PreferredMimeTypes = new[] { PlotlyMimeTypes.Html, PlotlyMimeTypes.Plotly })]
public sealed class Figure
{
    /// <summary>Creates a figure with the given traces.</summary>
    public Figure(params Trace[] traces)
    {
        ArgumentNullException.ThrowIfNull(traces);
        foreach (var trace in traces)
        {
            Add(trace);
        }
    }

    /// <summary>The traces, drawn in order (<c>data</c>).</summary>
    [JsonProperty("data")]
    public List<Trace> Traces { get; } = new();

    /// <summary>Titles, axes, size and the like (<c>layout</c>).</summary>
    [JsonProperty("layout")]
    public Layout Layout { get; set; } = new();

    /// <summary>plotly.js configuration (<c>config</c>).</summary>
    [JsonProperty("config")]
    public PlotConfig Config { get; set; } = new();

    /// <summary>Appends a trace and returns this figure, for chaining.</summary>
    public Figure Add(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Traces.Add(trace);
        return this;
    }

    /// <summary>The figure as plotly.js JSON: <c>{"data": [...], "layout": {...}, "config": {...}}</c>.</summary>
    public string ToPlotlyJson(bool indented = false)
    {
        return PlotlyJson.Serialize(this, indented);
    }

    /// <summary>
    /// The HTML of a chart output: a <c>&lt;div&gt;</c> with a unique id and a script that draws into it with
    /// <c>Plotly.newPlot</c>, embedding plotly.js as <see cref="PlotlyLibrary.EmbedMode"/> says.
    /// </summary>
    public string ToHtml()
    {
        return PlotlyHtml.Render(this);
    }

    /// <summary>
    /// A MIME bundle for a notebook output: <c>text/html</c> (<see cref="ToHtml"/>),
    /// <c>application/vnd.plotly.v1+json</c> (<see cref="ToPlotlyJson"/>) and <c>text/plain</c> (<see cref="ToString"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> ToMimeBundle()
    {
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PlotlyMimeTypes.Html] = ToHtml(),
            [PlotlyMimeTypes.Plotly] = ToPlotlyJson(),
            [PlotlyMimeTypes.PlainText] = ToString(),
        };
    }

    /// <summary>One line: the title and a short description of each trace.</summary>
    public override string ToString()
    {
        var traces = Traces.Count == 0 ? "no traces" : string.Join(", ", Traces.Select(t => t.Describe()));
        var title = Layout.Title?.Text;
        return string.IsNullOrEmpty(title) ? $"Figure: {traces}" : $"Figure \"{title}\": {traces}";
    }
}

/// <summary>The MIME types a <see cref="Figure"/> is written as.</summary>
public static class PlotlyMimeTypes
{
    /// <summary>HTML with an inline script; what classic Notebook, JupyterLab and nbconvert HTML show.</summary>
    public const string Html = "text/html";

    /// <summary>The figure JSON; what VS Code's Jupyter renderer draws natively.</summary>
    public const string Plotly = "application/vnd.plotly.v1+json";

    /// <summary>A one-line summary for consoles and logs.</summary>
    public const string PlainText = "text/plain";
}
