using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>A bar trace (<c>type: "bar"</c>): one bar per (<see cref="X"/>, <see cref="Y"/>) pair.</summary>
public sealed class Bar : Trace
{
    private Marker? _marker;

    /// <inheritdoc/>
    public override string Type => "bar";

    /// <summary>Positions (vertical bars) or lengths (<c>Orientation = "h"</c>).</summary>
    [JsonProperty("x")]
    public IEnumerable? X { get; set; }

    /// <summary>Lengths (vertical bars) or positions (<c>Orientation = "h"</c>).</summary>
    [JsonProperty("y")]
    public IEnumerable? Y { get; set; }

    /// <summary>Text on or beside each bar.</summary>
    [JsonProperty("text")]
    public object? Text { get; set; }

    /// <summary><c>"inside"</c>, <c>"outside"</c>, <c>"auto"</c> or <c>"none"</c>.</summary>
    [JsonProperty("textposition")]
    public string? TextPosition { get; set; }

    /// <summary><c>"v"</c> (default) or <c>"h"</c>.</summary>
    [JsonProperty("orientation")]
    public string? Orientation { get; set; }

    /// <summary>Bars with the same offset group share a slot in <c>barmode: "group"</c>.</summary>
    [JsonProperty("offsetgroup")]
    public string? OffsetGroup { get; set; }

    /// <summary>Bar colors and outline.</summary>
    [JsonIgnore]
    public Marker Marker
    {
        get => _marker ??= new Marker();
        set => _marker = value;
    }

    [JsonProperty("marker")]
    private Marker? SerializedMarker => _marker;

    /// <inheritdoc/>
    public override string Describe()
    {
        var positions = Orientation == "h" ? Y : X;
        return $"{Label} ({PlotlyJson.Count(positions ?? (Orientation == "h" ? X : Y))} bars)";
    }
}
