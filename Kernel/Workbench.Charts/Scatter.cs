using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>A scatter trace (<c>type: "scatter"</c>): points, a line through them, or both (<see cref="Mode"/>).</summary>
public sealed class Scatter : Trace
{
    private Marker? _marker;
    private Line? _line;

    /// <inheritdoc/>
    public override string Type => "scatter";

    /// <summary>x coordinates.</summary>
    [JsonProperty("x")]
    public IEnumerable? X { get; set; }

    /// <summary>y coordinates.</summary>
    [JsonProperty("y")]
    public IEnumerable? Y { get; set; }

    /// <summary><c>"lines"</c>, <c>"markers"</c>, <c>"lines+markers"</c>, <c>"text"</c> ... (plotly's default depends on the point count).</summary>
    [JsonProperty("mode")]
    public string? Mode { get; set; }

    /// <summary>Text per point (hover, or drawn with a <c>"text"</c> mode).</summary>
    [JsonProperty("text")]
    public object? Text { get; set; }

    /// <summary>Area fill: <c>"tozeroy"</c>, <c>"tonexty"</c>, <c>"toself"</c> ...</summary>
    [JsonProperty("fill")]
    public string? Fill { get; set; }

    /// <summary>Line styling.</summary>
    [JsonIgnore]
    public Line Line
    {
        get => _line ??= new Line();
        set => _line = value;
    }

    /// <summary>Point styling.</summary>
    [JsonIgnore]
    public Marker Marker
    {
        get => _marker ??= new Marker();
        set => _marker = value;
    }

    [JsonProperty("line")]
    private Line? SerializedLine => _line;

    [JsonProperty("marker")]
    private Marker? SerializedMarker => _marker;

    /// <inheritdoc/>
    public override string Describe()
    {
        return $"{Label} ({PlotlyJson.Count(X ?? Y)} points)";
    }
}
