using System.Collections;
using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// One plotly.js trace (an element of <c>data</c>). Data arrays are typed <see cref="IEnumerable"/> so any
/// array or list of numbers or strings can be passed as is; NaN and infinity are written as <c>null</c> (a gap).
/// </summary>
public abstract class Trace
{
    /// <summary>The plotly trace type (<c>"bar"</c>, <c>"scatter"</c>, ...).</summary>
    [JsonProperty("type", Order = -10)]
    public abstract string Type { get; }

    /// <summary>Name shown in the legend and on hover.</summary>
    [JsonProperty("name", Order = -9)]
    public string? Name { get; set; }

    /// <summary>Whether the trace has a legend entry.</summary>
    [JsonProperty("showlegend")]
    public bool? ShowLegend { get; set; }

    /// <summary>Opacity of the whole trace, 0..1.</summary>
    [JsonProperty("opacity")]
    public double? Opacity { get; set; }

    /// <summary>Hover text template, e.g. <c>"%{x}: %{y}&lt;extra&gt;&lt;/extra&gt;"</c>.</summary>
    [JsonProperty("hovertemplate")]
    public string? HoverTemplate { get; set; }

    /// <summary>Any other plotly attribute of this trace type, written as given.</summary>
    [JsonExtensionData]
    public IDictionary<string, object?> Extra { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>A few words for the <c>text/plain</c> summary of a figure, e.g. <c>bar "hits" (4 points)</c>.</summary>
    public virtual string Describe()
    {
        return Label;
    }

    /// <summary>The type and, if set, the quoted name: the start of every <see cref="Describe"/> text.</summary>
    protected string Label => Name is null ? Type : $"{Type} \"{Name}\"";
}

/// <summary>Any trace type the model has no class for; set its attributes through <see cref="Trace.Extra"/>.</summary>
public sealed class CustomTrace : Trace
{
    private readonly string _type;

    /// <summary>Creates a trace of the given plotly type, e.g. <c>"pie"</c>.</summary>
    public CustomTrace(string type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _type = type;
    }

    /// <inheritdoc/>
    public override string Type => _type;
}
