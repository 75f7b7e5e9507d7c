namespace Workbench.Charts;

/// <summary>
/// Names the formatter source of a type. Kernels recognize the attribute by its name and shape (the
/// convention .NET Interactive uses), so this library needs no reference to any kernel assembly.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = true, AllowMultiple = false)]
internal sealed class TypeFormatterSourceAttribute : Attribute
{
    public TypeFormatterSourceAttribute(Type formatterSourceType)
    {
        FormatterSourceType = formatterSourceType;
    }

    /// <summary>A type with a public parameterless constructor and <c>IEnumerable&lt;object&gt; CreateTypeFormatters()</c>.</summary>
    public Type FormatterSourceType { get; }

    /// <summary>MIME types a kernel should prefer when it shows the value without being asked for one.</summary>
    public string[] PreferredMimeTypes { get; set; } = Array.Empty<string>();
}

/// <summary>
/// Creates the formatters of <see cref="Figure"/>, one per MIME type. Public because kernels call it
/// through reflection or <c>dynamic</c>, and the dynamic binder refuses members of internal types.
/// </summary>
public sealed class FigureFormatterSource
{
    /// <summary>The <c>text/html</c>, <c>application/vnd.plotly.v1+json</c> and <c>text/plain</c> formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters()
    {
        return new object[]
        {
            new FigureFormatter(PlotlyMimeTypes.Html),
            new FigureFormatter(PlotlyMimeTypes.Plotly),
            new FigureFormatter(PlotlyMimeTypes.PlainText),
        };
    }
}

/// <summary>Writes a <see cref="Figure"/> as one MIME type (duck-typed formatter shape: <c>MimeType</c>, <c>Type</c>, <c>Format</c>).</summary>
public sealed class FigureFormatter
{
    /// <summary>Creates the formatter for one of <see cref="PlotlyMimeTypes"/>.</summary>
    public FigureFormatter(string mimeType)
    {
        if (mimeType is not (PlotlyMimeTypes.Html or PlotlyMimeTypes.Plotly or PlotlyMimeTypes.PlainText))
        {
            throw new ArgumentException($"A figure cannot be written as '{mimeType}'.", nameof(mimeType));
        }

        MimeType = mimeType;
    }

    /// <summary>The MIME type this formatter writes.</summary>
    public string MimeType { get; }

    /// <summary>The type this formatter accepts.</summary>
    public Type Type => typeof(Figure);

    /// <summary>Writes <paramref name="instance"/> if it is a <see cref="Figure"/>; returns false for anything else.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (instance is not Figure figure)
        {
            return false;
        }

        writer.Write(MimeType switch
        {
            PlotlyMimeTypes.Html => figure.ToHtml(),
            PlotlyMimeTypes.Plotly => figure.ToPlotlyJson(),
            _ => figure.ToString(),
        });
        return true;
    }
}
