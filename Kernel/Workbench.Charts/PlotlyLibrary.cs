using System.Reflection;
using System.Text.RegularExpressions;

namespace Workbench.Charts;

/// <summary>How often chart HTML carries the plotly.js library (about 4.8 MB).</summary>
public enum PlotlyEmbedMode
{
    /// <summary>
    /// Every chart output carries the library behind an <c>if (!window.Plotly)</c> guard. Each output draws
    /// on its own (a re-run cell, a trusted notebook reopened, an nbconvert report), at 4.8 MB per chart.
    /// </summary>
    EveryChart,

    /// <summary>
    /// Only the first chart formatted by this process carries the library; later ones rely on it being on
    /// the page already. Small notebooks, but a later output shown without the first (a page reload and
    /// one re-run cell) has no library and says so.
    /// </summary>
    FirstChartOnly,
}

/// <summary>
/// Finds plotly.min.js (npm <c>plotly.js-dist-min</c>, fetched by <c>scripts/fetch-plotly.sh</c>) and
/// decides where it is embedded. Charts never load plotly.js from the network, so reports work offline.
/// </summary>
public static class PlotlyLibrary
{
    /// <summary>Environment variable naming a plotly.min.js file to embed instead of the repository's copy.</summary>
    public const string EnvironmentVariable = "WORKBENCH_PLOTLY_JS";

    /// <summary>Where the library lives relative to the repository root.</summary>
    public const string RepositoryRelativePath = "Kernel/Workbench.Charts/plotly/node_modules/plotly.js-dist-min/plotly.min.js";

    // A "</script" inside the library would close the inline element early, and "<!--" puts the HTML
    // parser in an escaped state where a later "<script" changes where the element ends. Both only occur
    // inside string or regex literals, where "<\/" and "\x21" read back as the same characters.
    private static readonly Regex s_scriptBreakers = new("<(/script)|<!--", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly object s_gate = new();
    private static string? s_loadedPath;
    private static DateTime s_loadedStamp;
    private static string? s_loadedScript;
    private static bool s_embeddedOnce;

    /// <summary>Environment variable that sets the initial <see cref="EmbedMode"/>: <c>every</c> (default) or <c>first</c>.</summary>
    public const string EmbedModeVariable = "WORKBENCH_PLOTLY_EMBED";

    /// <summary>
    /// Which chart outputs carry the library: <see cref="PlotlyEmbedMode.EveryChart"/> unless changed here or
    /// by <see cref="EmbedModeVariable"/> (how <c>./workbench notebooks --embed-plotly first</c> reaches the kernel).
    /// </summary>
    public static PlotlyEmbedMode EmbedMode { get; set; } = ParseEmbedMode(Environment.GetEnvironmentVariable(EmbedModeVariable));

    /// <summary>
    /// A plotly.min.js to use instead of searching; <c>null</c> (default) searches
    /// <see cref="EnvironmentVariable"/>, then this project's folder as recorded at build time, then
    /// <see cref="RepositoryRelativePath"/> above this assembly and above the current directory.
    /// </summary>
    public static string? LibraryPath { get; set; }

    /// <summary>Finds plotly.min.js; <c>null</c> if none was found, with what was tried in <paramref name="searched"/>.</summary>
    public static string? Locate(out string searched)
    {
        if (!string.IsNullOrEmpty(LibraryPath))
        {
            searched = $"PlotlyLibrary.LibraryPath = {LibraryPath}";
            return File.Exists(LibraryPath) ? Path.GetFullPath(LibraryPath) : null;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            searched = $"{EnvironmentVariable}={fromEnvironment}";
            return File.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

        // The project folder recorded at build time covers builds into an artifacts folder outside the tree.
        var projectDirectory = typeof(PlotlyLibrary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "WorkbenchChartsProjectDirectory")?.Value;
        if (!string.IsNullOrEmpty(projectDirectory))
        {
            var candidate = Path.Combine(projectDirectory, "plotly", "node_modules", "plotly.js-dist-min", "plotly.min.js");
            if (File.Exists(candidate))
            {
                searched = candidate;
                return candidate;
            }
        }

        var starts = new List<string>();
        var assemblyDirectory = Path.GetDirectoryName(typeof(PlotlyLibrary).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory))
        {
            starts.Add(assemblyDirectory);
        }

        starts.Add(AppContext.BaseDirectory);
        starts.Add(Directory.GetCurrentDirectory());
        foreach (var start in starts)
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, RepositoryRelativePath);
                if (File.Exists(candidate))
                {
                    searched = candidate;
                    return candidate;
                }
            }
        }

        searched = $"{RepositoryRelativePath} in every parent of {string.Join(", ", starts.Distinct(StringComparer.Ordinal))}";
        return null;
    }

    /// <summary>Makes the next chart carry the library again in <see cref="PlotlyEmbedMode.FirstChartOnly"/> mode (e.g. after a page reload).</summary>
    public static void ResetEmbedding()
    {
        lock (s_gate)
        {
            s_embeddedOnce = false;
        }
    }

    /// <summary>Reads <see cref="EmbedModeVariable"/>'s value; anything but <c>first</c> means <see cref="PlotlyEmbedMode.EveryChart"/>.</summary>
    internal static PlotlyEmbedMode ParseEmbedMode(string? value)
    {
        return string.Equals(value?.Trim(), "first", StringComparison.OrdinalIgnoreCase)
            ? PlotlyEmbedMode.FirstChartOnly
            : PlotlyEmbedMode.EveryChart;
    }

    /// <summary>Rewrites the few sequences that would end or confuse an inline <c>&lt;script&gt;</c> element.</summary>
    internal static string EscapeForInlineScript(string javaScript)
    {
        return s_scriptBreakers.Replace(javaScript, match => match.Groups[1].Success ? "<\\" + match.Groups[1].Value : "<\\x21--");
    }

    /// <summary>
    /// Decides whether this chart output carries the library and returns it (escaped for inline use).
    /// <paramref name="missing"/> explains a library that should be embedded but was not found.
    /// </summary>
    internal static string? ScriptForNextChart(out string? missing)
    {
        missing = null;
        lock (s_gate)
        {
            if (EmbedMode == PlotlyEmbedMode.FirstChartOnly && s_embeddedOnce)
            {
                return null;
            }

            var path = Locate(out var searched);
            if (path is null)
            {
                missing = $"plotly.js was not found ({searched}). Run ./workbench setup (it fetches plotly.js-dist-min from npm), "
                    + $"or set {EnvironmentVariable} to a plotly.min.js file.";
                return null;
            }

            var stamp = File.GetLastWriteTimeUtc(path);
            if (s_loadedScript is null || s_loadedPath != path || s_loadedStamp != stamp)
            {
                s_loadedScript = EscapeForInlineScript(File.ReadAllText(path));
                s_loadedPath = path;
                s_loadedStamp = stamp;
            }

            s_embeddedOnce = true;
            return s_loadedScript;
        }
    }
}
