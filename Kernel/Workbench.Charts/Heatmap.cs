using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// A heatmap trace (<c>type: "heatmap"</c>): <see cref="Z"/> is a list of rows (<c>z[row][column]</c>);
/// <see cref="X"/> labels the columns and <see cref="Y"/> the rows. A <c>double[,]</c> also works.
/// </summary>
public sealed class Heatmap : Trace
{
    /// <inheritdoc/>
    public override string Type => "heatmap";

    /// <summary>The values, row by row.</summary>
    [JsonProperty("z")]
    public IEnumerable? Z { get; set; }

    /// <summary>Column coordinates or labels.</summary>
    [JsonProperty("x")]
    public IEnumerable? X { get; set; }

    /// <summary>Row coordinates or labels.</summary>
    [JsonProperty("y")]
    public IEnumerable? Y { get; set; }

    /// <summary>A named scale (<c>"Viridis"</c>, <c>"Blues"</c>) or an array of <c>[fraction, color]</c> pairs.</summary>
    [JsonProperty("colorscale")]
    public object? ColorScale { get; set; }

    /// <summary>Inverts the color scale.</summary>
    [JsonProperty("reversescale")]
    public bool? ReverseScale { get; set; }

    /// <summary>Lower end of the color range.</summary>
    [JsonProperty("zmin")]
    public double? ZMin { get; set; }

    /// <summary>Upper end of the color range.</summary>
    [JsonProperty("zmax")]
    public double? ZMax { get; set; }

    /// <summary>Whether the color bar is drawn.</summary>
    [JsonProperty("showscale")]
    public bool? ShowScale { get; set; }

    /// <summary>The color bar.</summary>
    [JsonProperty("colorbar")]
    public ColorBar? ColorBar { get; set; }

    /// <summary>Text per cell (same shape as <see cref="Z"/>).</summary>
    [JsonProperty("text")]
    public IEnumerable? Text { get; set; }

    /// <summary>Template for text drawn in each cell, e.g. <c>"%{z}"</c>.</summary>
    [JsonProperty("texttemplate")]
    public string? TextTemplate { get; set; }

    /// <summary>Horizontal gap between cells in pixels.</summary>
    [JsonProperty("xgap")]
    public double? XGap { get; set; }

    /// <summary>Vertical gap between cells in pixels.</summary>
    [JsonProperty("ygap")]
    public double? YGap { get; set; }

    /// <summary>Whether hovering a missing (null) cell shows a label.</summary>
    [JsonProperty("hoverongaps")]
    public bool? HoverOnGaps { get; set; }

    /// <inheritdoc/>
    public override string Describe()
    {
        var rows = 0;
        var columns = 0;
        if (Z is Array { Rank: 2 } grid)
        {
            rows = grid.GetLength(0);
            columns = grid.GetLength(1);
        }
        else if (Z is not null)
        {
            foreach (var row in Z)
            {
                rows++;
                columns = Math.Max(columns, PlotlyJson.Count(row as IEnumerable));
            }
        }

        return $"{Label} ({rows}×{columns})";
    }
}
