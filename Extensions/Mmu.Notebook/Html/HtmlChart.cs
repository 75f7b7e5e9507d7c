using Workbench.Charts;

namespace Workbench.Mmu.Notebook.Html;

/// <summary>
/// A chart inside a rendering: the figure's own <c>text/html</c> (<see cref="Figure.ToHtml"/>, a div and the script
/// that draws it, carrying plotly.js as <see cref="PlotlyLibrary.EmbedMode"/> says), so a composite output draws its
/// charts exactly as a <see cref="Figure"/> output does, offline.
/// </summary>
public sealed class HtmlChart : HtmlNode
{
    /// <summary>Class of the element wrapping the chart.</summary>
    public const string ChartClass = "mmu-chart";

    /// <summary>Wraps a figure.</summary>
    public HtmlChart(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        Figure = figure;
    }

    /// <summary>The figure drawn.</summary>
    public Figure Figure { get; }

    /// <inheritdoc/>
    public override void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("<div class=\"" + ChartClass + "\">");

        // The figure's HTML is produced by the chart library from our own figure model (its text is encoded there).
        writer.Write(Figure.ToHtml());
        writer.Write("</div>");
    }
}
