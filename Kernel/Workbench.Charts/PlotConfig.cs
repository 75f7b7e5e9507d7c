using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// plotly.js configuration (the fourth argument of <c>Plotly.newPlot</c>; note its camelCase names,
/// unlike trace and layout attributes).
/// </summary>
public sealed class PlotConfig
{
    /// <summary>Resize with the page; on by default so charts fill the notebook column.</summary>
    [JsonProperty("responsive")]
    public bool? Responsive { get; set; } = true;

    /// <summary>Whether the plotly logo appears in the mode bar; off by default.</summary>
    [JsonProperty("displaylogo")]
    public bool? DisplayLogo { get; set; } = false;

    /// <summary><c>true</c>, <c>false</c> or <c>"hover"</c>.</summary>
    [JsonProperty("displayModeBar")]
    public object? DisplayModeBar { get; set; }

    /// <summary>A static picture with no interaction.</summary>
    [JsonProperty("staticPlot")]
    public bool? StaticPlot { get; set; }

    /// <summary>Whether the mouse wheel zooms.</summary>
    [JsonProperty("scrollZoom")]
    public object? ScrollZoom { get; set; }

    /// <summary>Any other plotly config attribute, written as given.</summary>
    [JsonExtensionData]
    public IDictionary<string, object?> Extra { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}
