using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// The figure layout (<c>layout</c>). Nested objects (<see cref="XAxis"/>, <see cref="YAxis"/>,
/// <see cref="Legend"/>, <see cref="Margin"/>) are created on first use, so a cell can write
/// <c>Layout = { XAxis = { Title = "pages" } }</c>, and untouched ones are left out of the JSON.
/// </summary>
public sealed class Layout
{
    private Axis? _xAxis;
    private Axis? _yAxis;
    private Legend? _legend;
    private Margin? _margin;

    /// <summary>Figure title.</summary>
    [JsonProperty("title")]
    public Title? Title { get; set; }

    /// <summary>The first x axis.</summary>
    [JsonIgnore]
    public Axis XAxis
    {
        get => _xAxis ??= new Axis();
        set => _xAxis = value;
    }

    /// <summary>The first y axis.</summary>
    [JsonIgnore]
    public Axis YAxis
    {
        get => _yAxis ??= new Axis();
        set => _yAxis = value;
    }

    /// <summary>Width in pixels; unset means the width of the output area.</summary>
    [JsonProperty("width")]
    public int? Width { get; set; }

    /// <summary>Height in pixels; unset means plotly's default (450).</summary>
    [JsonProperty("height")]
    public int? Height { get; set; }

    /// <summary>How bars of several traces share a position: <c>"group"</c>, <c>"stack"</c>, <c>"overlay"</c>, <c>"relative"</c>.</summary>
    [JsonProperty("barmode")]
    public string? BarMode { get; set; }

    /// <summary>Gap between bars of adjacent positions, 0..1.</summary>
    [JsonProperty("bargap")]
    public double? BarGap { get; set; }

    /// <summary>Whether the legend is shown.</summary>
    [JsonProperty("showlegend")]
    public bool? ShowLegend { get; set; }

    /// <summary>The legend box.</summary>
    [JsonIgnore]
    public Legend Legend
    {
        get => _legend ??= new Legend();
        set => _legend = value;
    }

    /// <summary>Plot margins.</summary>
    [JsonIgnore]
    public Margin Margin
    {
        get => _margin ??= new Margin();
        set => _margin = value;
    }

    /// <summary>Hover behaviour: <c>"closest"</c>, <c>"x"</c>, <c>"x unified"</c> ...</summary>
    [JsonProperty("hovermode")]
    public object? HoverMode { get; set; }

    /// <summary>Default font of the figure.</summary>
    [JsonProperty("font")]
    public Font? Font { get; set; }

    /// <summary>Any other plotly layout attribute (<c>"xaxis2"</c>, <c>"annotations"</c>, ...), written as given.</summary>
    [JsonExtensionData]
    public IDictionary<string, object?> Extra { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    [JsonProperty("xaxis")]
    private Axis? SerializedXAxis => _xAxis;

    [JsonProperty("yaxis")]
    private Axis? SerializedYAxis => _yAxis;

    [JsonProperty("legend")]
    private Legend? SerializedLegend => _legend;

    [JsonProperty("margin")]
    private Margin? SerializedMargin => _margin;
}
