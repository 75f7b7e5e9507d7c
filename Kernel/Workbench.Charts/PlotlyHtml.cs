using System.Globalization;
using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Workbench.Charts;

/// <summary>Writes the <c>text/html</c> form of a figure.</summary>
internal static class PlotlyHtml
{
    /// <summary>Class of every chart div; the report check looks for it.</summary>
    public const string ChartClass = "workbench-plotly";

    private const int DefaultHeight = 450;

    public static string Render(Figure figure)
    {
        var library = PlotlyLibrary.ScriptForNextChart(out var missing);
        var id = "wb-plot-" + Guid.NewGuid().ToString("N");
        return Render(figure, id, library, missing);
    }

    /// <summary>The HTML for a figure that is already plotly.js JSON (another library's chart).</summary>
    public static string Render(JObject figure, int? width, int? height)
    {
        var library = PlotlyLibrary.ScriptForNextChart(out var missing);
        var id = "wb-plot-" + Guid.NewGuid().ToString("N");
        return Render(PlotlyJson.SerializeForScript(figure), width, height, id, library, missing);
    }

    /// <summary>
    /// The HTML for one chart. <paramref name="library"/> is embedded when given; <paramref name="missing"/>
    /// is shown as text until a script finds plotly.js on the page after all.
    /// </summary>
    public static string Render(Figure figure, string id, string? library, string? missing) =>
        Render(PlotlyJson.SerializeForScript(figure), figure.Layout.Width, figure.Layout.Height, id, library, missing);

    private static string Render(string figureScript, int? figureWidth, int? figureHeight, string id, string? library, string? missing)
    {
        var width = figureWidth is int w ? w.ToString(CultureInfo.InvariantCulture) + "px" : "100%";
        var height = (figureHeight ?? DefaultHeight).ToString(CultureInfo.InvariantCulture) + "px";
        var html = new StringBuilder();
        html.Append("<div id=\"").Append(id).Append("\" class=\"").Append(ChartClass)
            .Append("\" style=\"width:").Append(width).Append(";height:").Append(height).Append(";\"></div>\n");

        if (missing is not null)
        {
            html.Append("<div id=\"").Append(id).Append("-missing\" class=\"workbench-plotly-missing\" ")
                .Append("style=\"color:#a00;font-family:monospace;white-space:pre-wrap;\">")
                .Append(WebUtility.HtmlEncode("Chart not drawn: " + missing)).Append("</div>\n");
        }

        if (library is not null)
        {
            // A separate element, so a failure inside the library cannot stop the drawing script's message.
            html.Append("<script type=\"text/javascript\">\nif (!window.Plotly) {\n")
                .Append(library)
                .Append("\n}\n</script>\n");
        }

        // Not loaded and not missing means another output was meant to bring the library (FirstChartOnly).
        var notLoaded = "Chart not drawn: plotly.js is not loaded on this page. "
            + "PlotlyLibrary.EmbedMode = FirstChartOnly embeds it only in the first chart of a session; "
            + "re-run that cell, or use PlotlyEmbedMode.EveryChart.";
        html.Append("<script type=\"text/javascript\">\n(function () {\n")
            .Append("    var figure = ").Append(figureScript).Append(";\n")
            .Append("    var target = document.getElementById(\"").Append(id).Append("\");\n")
            .Append("    if (!target) { return; }\n")
            .Append("    if (window.Plotly) {\n")
            .Append("        var missing = document.getElementById(\"").Append(id).Append("-missing\");\n")
            .Append("        if (missing) { missing.parentNode.removeChild(missing); }\n")
            .Append("        window.Plotly.newPlot(target, figure.data, figure.layout, figure.config);\n")
            .Append("    } else if (!document.getElementById(\"").Append(id).Append("-missing\")) {\n")
            .Append("        target.style.height = \"auto\";\n")
            .Append("        target.textContent = ").Append(PlotlyJson.SerializeForScript(notLoaded)).Append(";\n")
            .Append("    }\n")
            .Append("})();\n</script>\n");
        return html.ToString();
    }
}
