using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// A sunburst (<c>type: "sunburst"</c>): a hierarchy drawn as rings. Each sector has a label and the label
/// (or id) of its parent; roots have parent <c>""</c>.
/// </summary>
public sealed class Sunburst : Trace
{
    private Marker? _marker;

    /// <inheritdoc/>
    public override string Type => "sunburst";

    /// <summary>Sector labels.</summary>
    [JsonProperty("labels")]
    public IEnumerable? Labels { get; set; }

    /// <summary>Parent of each sector (a label, or an id when <see cref="Ids"/> is set); <c>""</c> for roots.</summary>
    [JsonProperty("parents")]
    public IEnumerable? Parents { get; set; }

    /// <summary>Sector sizes.</summary>
    [JsonProperty("values")]
    public IEnumerable? Values { get; set; }

    /// <summary>Unique sector ids, needed when labels repeat.</summary>
    [JsonProperty("ids")]
    public IEnumerable? Ids { get; set; }

    /// <summary><c>"remainder"</c> (default: a parent's value adds to its children) or <c>"total"</c>.</summary>
    [JsonProperty("branchvalues")]
    public string? BranchValues { get; set; }

    /// <summary>How many rings are shown at once.</summary>
    [JsonProperty("maxdepth")]
    public int? MaxDepth { get; set; }

    /// <summary>What is written in sectors, e.g. <c>"label+percent parent"</c>.</summary>
    [JsonProperty("textinfo")]
    public string? TextInfo { get; set; }

    /// <summary>Sector colors (<see cref="Marker.Colors"/>).</summary>
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
        return $"{Label} ({PlotlyJson.Count(Labels ?? Ids)} sectors)";
    }
}
