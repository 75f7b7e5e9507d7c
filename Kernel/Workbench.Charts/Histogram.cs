using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// A histogram trace (<c>type: "histogram"</c>): plotly.js bins the raw samples in <see cref="X"/>
/// (or <see cref="Y"/> for horizontal bars) in the browser.
/// </summary>
public sealed class Histogram : Trace
{
    private Marker? _marker;

    /// <inheritdoc/>
    public override string Type => "histogram";

    /// <summary>Samples for vertical bars.</summary>
    [JsonProperty("x")]
    public IEnumerable? X { get; set; }

    /// <summary>Samples for horizontal bars, or the values aggregated by <see cref="HistFunc"/>.</summary>
    [JsonProperty("y")]
    public IEnumerable? Y { get; set; }

    /// <summary>Upper bound on the number of x bins (plotly picks nice edges).</summary>
    [JsonProperty("nbinsx")]
    public int? NBinsX { get; set; }

    /// <summary>Upper bound on the number of y bins.</summary>
    [JsonProperty("nbinsy")]
    public int? NBinsY { get; set; }

    /// <summary>Explicit x bin edges.</summary>
    [JsonProperty("xbins")]
    public Bins? XBins { get; set; }

    /// <summary><c>"count"</c> (default), <c>"sum"</c>, <c>"avg"</c>, <c>"min"</c>, <c>"max"</c>.</summary>
    [JsonProperty("histfunc")]
    public string? HistFunc { get; set; }

    /// <summary><c>""</c>, <c>"percent"</c>, <c>"probability"</c>, <c>"density"</c>, <c>"probability density"</c>.</summary>
    [JsonProperty("histnorm")]
    public string? HistNorm { get; set; }

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
        return $"{Label} ({PlotlyJson.Count(X ?? Y)} samples)";
    }
}

/// <summary>Explicit histogram bins (<c>xbins</c>): edges from <see cref="Start"/> to <see cref="End"/> every <see cref="Size"/>.</summary>
public sealed class Bins
{
    /// <summary>First edge.</summary>
    [JsonProperty("start")]
    public double? Start { get; set; }

    /// <summary>Last edge.</summary>
    [JsonProperty("end")]
    public double? End { get; set; }

    /// <summary>Bin width.</summary>
    [JsonProperty("size")]
    public double? Size { get; set; }
}
