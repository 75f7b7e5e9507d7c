using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>Point, bar or sector styling (<c>marker</c>).</summary>
public sealed class Marker
{
    private Line? _line;

    /// <summary>One CSS color, or one value per point (numbers are mapped through <see cref="ColorScale"/>).</summary>
    [JsonProperty("color")]
    public object? Color { get; set; }

    /// <summary>Per-sector colors of hierarchical traces (<c>sunburst</c>).</summary>
    [JsonProperty("colors")]
    public IEnumerable? Colors { get; set; }

    /// <summary>Marker size in pixels, one value or one per point.</summary>
    [JsonProperty("size")]
    public object? Size { get; set; }

    /// <summary>Symbol name, e.g. <c>"circle"</c>, <c>"square"</c>, <c>"x"</c>.</summary>
    [JsonProperty("symbol")]
    public object? Symbol { get; set; }

    /// <summary>Opacity, 0..1.</summary>
    [JsonProperty("opacity")]
    public double? Opacity { get; set; }

    /// <summary>A named scale (<c>"Viridis"</c>) or an array of <c>[fraction, color]</c> pairs.</summary>
    [JsonProperty("colorscale")]
    public object? ColorScale { get; set; }

    /// <summary>Whether a color bar is shown for numeric colors.</summary>
    [JsonProperty("showscale")]
    public bool? ShowScale { get; set; }

    /// <summary>Outline of the marker.</summary>
    [JsonIgnore]
    public Line Line
    {
        get => _line ??= new Line();
        set => _line = value;
    }

    [JsonProperty("line")]
    private Line? SerializedLine => _line;
}

/// <summary>Line styling (<c>line</c> of scatter traces and marker outlines).</summary>
public sealed class Line
{
    /// <summary>CSS color.</summary>
    [JsonProperty("color")]
    public object? Color { get; set; }

    /// <summary>Width in pixels.</summary>
    [JsonProperty("width")]
    public double? Width { get; set; }

    /// <summary><c>"solid"</c>, <c>"dot"</c>, <c>"dash"</c>, <c>"dashdot"</c> ...</summary>
    [JsonProperty("dash")]
    public string? Dash { get; set; }

    /// <summary><c>"linear"</c>, <c>"spline"</c>, <c>"hv"</c> (steps) ...</summary>
    [JsonProperty("shape")]
    public string? Shape { get; set; }
}

/// <summary>The color bar next to a heatmap (<c>colorbar</c>).</summary>
public sealed class ColorBar
{
    /// <summary>Color bar title (<c>title.text</c>).</summary>
    [JsonProperty("title")]
    public Title? Title { get; set; }

    /// <summary>d3 format of tick labels.</summary>
    [JsonProperty("tickformat")]
    public string? TickFormat { get; set; }
}
