using Newtonsoft.Json;

namespace Workbench.Charts;

/// <summary>
/// A plotly title object (<c>title: {text, font}</c>). plotly.js 3 dropped the plain-string form and
/// <c>titlefont</c>, so titles are always written as objects; a string converts implicitly for brevity.
/// </summary>
public sealed class Title
{
    /// <summary>Creates an empty title.</summary>
    public Title()
    {
    }

    /// <summary>Creates a title with the given text.</summary>
    public Title(string? text)
    {
        Text = text;
    }

    /// <summary>The title text (plotly accepts a little HTML such as <c>&lt;br&gt;</c>).</summary>
    [JsonProperty("text")]
    public string? Text { get; set; }

    /// <summary>The title font.</summary>
    [JsonProperty("font")]
    public Font? Font { get; set; }

    /// <summary>Lets <c>Title = "text"</c> read naturally in cells.</summary>
    public static implicit operator Title(string? text)
    {
        return new Title(text);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        return Text ?? string.Empty;
    }
}

/// <summary>A plotly font (<c>family</c>, <c>size</c>, <c>color</c>).</summary>
public sealed class Font
{
    /// <summary>CSS font family list.</summary>
    [JsonProperty("family")]
    public string? Family { get; set; }

    /// <summary>Size in pixels.</summary>
    [JsonProperty("size")]
    public double? Size { get; set; }

    /// <summary>CSS color.</summary>
    [JsonProperty("color")]
    public string? Color { get; set; }
}
