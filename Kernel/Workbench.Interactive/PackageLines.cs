using System.Text.RegularExpressions;

namespace Workbench.Interactive;

/// <summary>A <c>#r "nuget: Id[, Version]"</c> line of a cell.</summary>
/// <param name="Id">Package id.</param>
/// <param name="Version">Version (or range, or <c>*</c>), or null for the highest stable one.</param>
/// <param name="LineIndex">Zero-based line in the cell, for error messages.</param>
internal sealed record PackageRequest(string Id, string? Version, int LineIndex);

/// <summary>A <c>#i "nuget: SOURCE"</c> line of a cell.</summary>
/// <param name="Source">A feed URL or a local folder, as written.</param>
/// <param name="LineIndex">Zero-based line in the cell.</param>
internal sealed record PackageSourceRequest(string Source, int LineIndex);

/// <summary>
/// Finds the NuGet lines of a cell, as .NET Interactive users type them: <c>#i "nuget: SOURCE"</c> and
/// <c>#r "nuget: Id"</c> / <c>#r "nuget: Id, Version"</c>, in the cell's leading lines (before its first C# line,
/// like Roslyn's own <c>#r</c>). They are blanked out of the C# (same line numbers); a plain <c>#r "file.dll"</c> stays
/// for Roslyn. The syntax is .NET Interactive's (Microsoft.DotNet.Interactive.PackageManagement's <c>#i</c>/<c>#r</c>
/// directives); resolving is done by that library, not here.
/// </summary>
internal sealed partial class PackageLines
{
    private PackageLines(string code, IReadOnlyList<PackageSourceRequest> sources, IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> errors)
    {
        Code = code;
        Sources = sources;
        Packages = packages;
        Errors = errors;
    }

    /// <summary>The cell's C# with the NuGet lines replaced by empty lines.</summary>
    public string Code { get; }

    public IReadOnlyList<PackageSourceRequest> Sources { get; }

    public IReadOnlyList<PackageRequest> Packages { get; }

    /// <summary>Malformed NuGet lines, one message each (naming the line).</summary>
    public IReadOnlyList<string> Errors { get; }

    public bool IsEmpty => Sources.Count == 0 && Packages.Count == 0 && Errors.Count == 0;

    /// <summary>Splits <paramref name="code"/>; cheap when the cell has no NuGet line.</summary>
    public static PackageLines Extract(string code)
    {
        var sources = new List<PackageSourceRequest>();
        var packages = new List<PackageRequest>();
        var errors = new List<string>();
        if (!code.Contains("nuget:", StringComparison.OrdinalIgnoreCase))
        {
            return new PackageLines(code, sources, packages, errors);
        }

        string[] lines = code.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            Match match = NugetLine().Match(line);
            if (!match.Success)
            {
                if (line.StartsWith("#r", StringComparison.Ordinal) || line.StartsWith("#i", StringComparison.Ordinal) || line.StartsWith("#load", StringComparison.Ordinal))
                {
                    continue; // another directive Roslyn handles (#r "x.dll", #load)
                }

                break; // the first C# line: NuGet lines after it are C#'s to reject, as in .NET Interactive
            }

            string value = match.Groups["value"].Value.Trim();
            if (match.Groups["kind"].Value == "i")
            {
                if (value.Length == 0)
                {
                    errors.Add($"cell line {i + 1}: #i \"nuget: SOURCE\" needs a source (a feed URL or a folder).");
                }
                else
                {
                    sources.Add(new PackageSourceRequest(value, i));
                }
            }
            else
            {
                string[] parts = value.Split(',', StringSplitOptions.TrimEntries);
                if (parts.Length is < 1 or > 2 || parts[0].Length == 0 || parts[0].Contains(' ') || (parts.Length == 2 && parts[1].Length == 0))
                {
                    errors.Add($"cell line {i + 1}: expected #r \"nuget: PackageId\" or #r \"nuget: PackageId, Version\", not #r \"nuget: {value}\".");
                }
                else
                {
                    packages.Add(new PackageRequest(parts[0], parts.Length == 2 ? parts[1] : null, i));
                }
            }

            lines[i] = lines[i].EndsWith('\r') ? "\r" : string.Empty;
        }

        return new PackageLines(string.Join('\n', lines), sources, packages, errors);
    }

    [GeneratedRegex("""^#(?<kind>[ri])\s+"\s*nuget:(?<value>[^"]*)"\s*$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NugetLine();
}
