using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// A Sankey diagram (<c>type: "sankey"</c>): flows (<see cref="Link"/>) between labelled nodes
/// (<see cref="Node"/>); links name their ends by node index.
/// </summary>
public sealed class Sankey : Trace
{
    /// <inheritdoc/>
    public override string Type => "sankey";

    /// <summary>The nodes.</summary>
    [JsonProperty("node")]
    public SankeyNodes Node { get; set; } = new();

    /// <summary>The flows.</summary>
    [JsonProperty("link")]
    public SankeyLinks Link { get; set; } = new();

    /// <summary><c>"h"</c> (default) or <c>"v"</c>.</summary>
    [JsonProperty("orientation")]
    public string? Orientation { get; set; }

    /// <summary>How nodes may be dragged: <c>"snap"</c>, <c>"perpendicular"</c>, <c>"freeform"</c>, <c>"fixed"</c>.</summary>
    [JsonProperty("arrangement")]
    public string? Arrangement { get; set; }

    /// <summary>d3 format of values on hover.</summary>
    [JsonProperty("valueformat")]
    public string? ValueFormat { get; set; }

    /// <summary>Suffix of values on hover, e.g. <c>" walks"</c>.</summary>
    [JsonProperty("valuesuffix")]
    public string? ValueSuffix { get; set; }

    /// <inheritdoc/>
    public override string Describe()
    {
        return $"{Label} ({PlotlyJson.Count(Node.Label)} nodes, {PlotlyJson.Count(Link.Value)} links)";
    }
}

/// <summary>Sankey nodes (<c>node</c>): parallel arrays, one entry per node.</summary>
public sealed class SankeyNodes
{
    /// <summary>Node labels.</summary>
    [JsonProperty("label")]
    public IEnumerable? Label { get; set; }

    /// <summary>One color, or one per node.</summary>
    [JsonProperty("color")]
    public object? Color { get; set; }

    /// <summary>Gap between nodes in pixels.</summary>
    [JsonProperty("pad")]
    public double? Pad { get; set; }

    /// <summary>Node width in pixels.</summary>
    [JsonProperty("thickness")]
    public double? Thickness { get; set; }

    /// <summary>Fixed horizontal positions, 0..1 (with <c>arrangement</c> other than <c>"snap"</c>).</summary>
    [JsonProperty("x")]
    public IEnumerable? X { get; set; }

    /// <summary>Fixed vertical positions, 0..1.</summary>
    [JsonProperty("y")]
    public IEnumerable? Y { get; set; }
}

/// <summary>Sankey links (<c>link</c>): parallel arrays, one entry per flow.</summary>
public sealed class SankeyLinks
{
    /// <summary>Index of each flow's source node.</summary>
    [JsonProperty("source")]
    public IEnumerable? Source { get; set; }

    /// <summary>Index of each flow's target node.</summary>
    [JsonProperty("target")]
    public IEnumerable? Target { get; set; }

    /// <summary>Size of each flow.</summary>
    [JsonProperty("value")]
    public IEnumerable? Value { get; set; }

    /// <summary>Label of each flow (hover).</summary>
    [JsonProperty("label")]
    public IEnumerable? Label { get; set; }

    /// <summary>One color, or one per flow.</summary>
    [JsonProperty("color")]
    public object? Color { get; set; }
}
