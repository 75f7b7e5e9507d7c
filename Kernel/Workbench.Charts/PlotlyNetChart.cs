using System.Reflection;
using Newtonsoft.Json.Linq;

namespace Workbench.Charts;

/// <summary>
/// Charts of Plotly.NET (<c>Plotly.NET.GenericChart</c>, e.g. from <c>#r "nuget: Plotly.NET.CSharp"</c>) drawn the
/// way our own figures are: <c>text/html</c> with plotly.js inline (Plotly.NET's own HTML loads plotly.js from a CDN
/// through RequireJS, which draws nothing offline or in nbconvert reports), <c>application/vnd.plotly.v1+json</c> and
/// <c>text/plain</c>. Found by type name and reflection, so this library needs no reference to Plotly.NET (whose
/// FSharp.Core 10.1 a kernel may not be able to load at all; see docs/notebook-hosts.md).
/// </summary>
public static class PlotlyNetChart
{
    private const string ChartTypeName = "Plotly.NET.GenericChart";

    /// <summary>True for Plotly.NET's chart type and the union cases derived from it.</summary>
    public static bool IsChart(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        for (Type? current = type; current is not null; current = current.BaseType)
        {
            if (current.FullName == ChartTypeName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The chart as plotly.js JSON (<c>{"data": [...], "layout": {...}, "config": {...}}</c>), by Plotly.NET's own
    /// <c>GenericChart.toJson</c> (an F# module function: a static method of a class named GenericChart or
    /// GenericChartModule in Plotly.NET's assembly).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="chart"/> is not a Plotly.NET chart.</exception>
    /// <exception cref="InvalidOperationException">This Plotly.NET has no <c>GenericChart.toJson</c>.</exception>
    public static string ToFigureJson(object chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        Type chartType = chart.GetType();
        if (!IsChart(chartType))
        {
            throw new ArgumentException($"{chartType.FullName} is not a Plotly.NET chart.", nameof(chart));
        }

        Assembly assembly = BaseChartType(chartType).Assembly;
        MethodInfo? toJson = new[] { "Plotly.NET.GenericChartModule", ChartTypeName }
            .Select(name => assembly.GetType(name))
            .Where(type => type is not null)
            .SelectMany(type => type!.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .FirstOrDefault(method => method.Name == "toJson" && method.ReturnType == typeof(string)
                && method.GetParameters() is [{ } parameter] && parameter.ParameterType.IsAssignableFrom(chartType));
        if (toJson is null)
        {
            throw new InvalidOperationException($"{assembly.GetName().Name} {assembly.GetName().Version} has no GenericChart.toJson to read the chart with.");
        }

        try
        {
            return (string)toJson.Invoke(null, new[] { chart })!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerException);
            throw;
        }
    }

    /// <summary>The <c>text/html</c> output: the chart drawn offline with the plotly.js our figures use.</summary>
    public static string ToHtml(object chart)
    {
        JObject figure = JObject.Parse(ToFigureJson(chart));
        var layout = figure["layout"] as JObject;
        return PlotlyHtml.Render(figure, Size(layout?["width"]), Size(layout?["height"]));
    }

    /// <summary>The <c>text/plain</c> output: what kind of chart with how many traces.</summary>
    public static string ToPlainText(object chart)
    {
        JObject figure = JObject.Parse(ToFigureJson(chart));
        var traces = (figure["data"] as JArray)?.OfType<JObject>().Select(t => (string?)t["type"] ?? "scatter").ToList() ?? new List<string>();
        string? title = figure.SelectToken("layout.title.text") is JValue { Type: JTokenType.String } text ? (string?)text : null;
        return $"Plotly.NET chart{(title is null ? string.Empty : $" \"{title}\"")}: " +
            (traces.Count == 0 ? "no traces" : string.Join(", ", traces.GroupBy(t => t).Select(g => $"{g.Count()} {g.Key}")));
    }

    private static Type BaseChartType(Type type)
    {
        Type current = type;
        while (current.FullName != ChartTypeName && current.BaseType is not null)
        {
            current = current.BaseType;
        }

        return current;
    }

    private static int? Size(JToken? value) => value is JValue { Type: JTokenType.Integer or JTokenType.Float } number ? (int)(double)number : null;
}

/// <summary>The formatters of Plotly.NET charts, in the duck-typed formatter-source shape kernels read.</summary>
public sealed class PlotlyNetChartFormatterSource
{
    /// <summary>The <c>text/html</c>, <c>application/vnd.plotly.v1+json</c> and <c>text/plain</c> formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() => new object[]
    {
        new PlotlyNetChartFormatter(PlotlyMimeTypes.Html),
        new PlotlyNetChartFormatter(PlotlyMimeTypes.Plotly),
        new PlotlyNetChartFormatter(PlotlyMimeTypes.PlainText),
    };
}

/// <summary>Writes a Plotly.NET chart as one MIME type (formatter shape: <c>MimeType</c>, <c>Type</c>, <c>Format</c>).</summary>
public sealed class PlotlyNetChartFormatter
{
    /// <summary>Creates the formatter for one of <see cref="PlotlyMimeTypes"/>.</summary>
    public PlotlyNetChartFormatter(string mimeType)
    {
        MimeType = mimeType;
    }

    /// <summary>The MIME type this formatter writes.</summary>
    public string MimeType { get; }

    /// <summary>Any type: the chart type lives in an assembly this library does not reference.</summary>
    public Type? Type => null;

    /// <summary>Writes <paramref name="instance"/> if it is a Plotly.NET chart; returns false for anything else.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (instance is null || !PlotlyNetChart.IsChart(instance.GetType()))
        {
            return false;
        }

        writer.Write(MimeType switch
        {
            PlotlyMimeTypes.Html => PlotlyNetChart.ToHtml(instance),
            PlotlyMimeTypes.Plotly => PlotlyNetChart.ToFigureJson(instance),
            _ => PlotlyNetChart.ToPlainText(instance),
        });
        return true;
    }
}
