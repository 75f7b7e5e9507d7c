using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>A cartesian axis (<c>layout.xaxis</c>, <c>layout.yaxis</c>, ...).</summary>
public sealed class Axis
{
    /// <summary>Axis title (<c>title.text</c>).</summary>
    [JsonProperty("title")]
    public Title? Title { get; set; }

    /// <summary>Axis type: <c>"linear"</c>, <c>"log"</c>, <c>"category"</c>, <c>"date"</c> ...</summary>
    [JsonProperty("type")]
    public string? Type { get; set; }

    /// <summary>Visible range as two values.</summary>
    [JsonProperty("range")]
    public object[]? Range { get; set; }

    /// <summary><c>true</c>, <c>false</c> or <c>"reversed"</c>.</summary>
    [JsonProperty("autorange")]
    public object? AutoRange { get; set; }

    /// <summary>d3 format of tick labels, e.g. <c>",d"</c> or <c>".1%"</c>.</summary>
    [JsonProperty("tickformat")]
    public string? TickFormat { get; set; }

    /// <summary>Tick label angle in degrees.</summary>
    [JsonProperty("tickangle")]
    public double? TickAngle { get; set; }

    /// <summary>Tick step.</summary>
    [JsonProperty("dtick")]
    public object? DTick { get; set; }

    /// <summary>Whether grid lines are drawn.</summary>
    [JsonProperty("showgrid")]
    public bool? ShowGrid { get; set; }

    /// <summary>Whether the zero line is drawn.</summary>
    [JsonProperty("zeroline")]
    public bool? ZeroLine { get; set; }

    /// <summary>Order of categories, e.g. <c>"trace"</c> or <c>"category ascending"</c>.</summary>
    [JsonProperty("categoryorder")]
    public string? CategoryOrder { get; set; }

    /// <summary>Whether the axis grows to fit long tick labels.</summary>
    [JsonProperty("automargin")]
    public bool? AutoMargin { get; set; }

    /// <summary>Any other plotly axis attribute, written as given.</summary>
    [JsonExtensionData]
    public IDictionary<string, object?> Extra { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}

/// <summary>The legend box (<c>layout.legend</c>).</summary>
public sealed class Legend
{
    /// <summary><c>"v"</c> or <c>"h"</c>.</summary>
    [JsonProperty("orientation")]
    public string? Orientation { get; set; }

    /// <summary>Horizontal position in paper coordinates.</summary>
    [JsonProperty("x")]
    public double? X { get; set; }

    /// <summary>Vertical position in paper coordinates.</summary>
    [JsonProperty("y")]
    public double? Y { get; set; }

    /// <summary>Legend title.</summary>
    [JsonProperty("title")]
    public Title? Title { get; set; }
}

/// <summary>Plot margins in pixels (<c>layout.margin</c>).</summary>
public sealed class Margin
{
    /// <summary>Left.</summary>
    [JsonProperty("l")]
    public int? Left { get; set; }

    /// <summary>Right.</summary>
    [JsonProperty("r")]
    public int? Right { get; set; }

    /// <summary>Top.</summary>
    [JsonProperty("t")]
    public int? Top { get; set; }

    /// <summary>Bottom.</summary>
    [JsonProperty("b")]
    public int? Bottom { get; set; }
}
