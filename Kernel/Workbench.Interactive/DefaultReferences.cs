using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;

namespace Workbench.Interactive;

/// <summary>
/// The metadata references and imports every kernel starts with. References are created once per process and
/// shared: Roslyn then reuses the loaded metadata for every cell and every kernel instead of re-reading it.
/// </summary>
internal static class DefaultReferences
{
    private const string ChartsAssembly = "Workbench.Charts";

    private static readonly ConcurrentDictionary<string, MetadataReference> s_byPath = new(StringComparer.Ordinal);
    private static readonly Lazy<IReadOnlyList<MetadataReference>> s_defaults = new(CreateDefaults);
    private static readonly Lazy<string?> s_docsDirectory = new(FindReferencePackDocs);
    private static readonly Lazy<bool> s_hasCharts = new(() => LoadCharts() is not null);

    public static IReadOnlyList<MetadataReference> Get() => s_defaults.Value;

    public static IReadOnlyList<string> GetImports()
    {
        var imports = new List<string>
        {
            "System",
            "System.Linq",
            "System.Collections.Generic",
            "System.Text",
            "System.IO",
            "System.Threading",
            "System.Threading.Tasks",
            "Workbench.Interactive",
            "Workbench.Interactive.Formatting",
            "Workbench.Interactive.KernelHelpers",
        };
        if (s_hasCharts.Value)
        {
            imports.Add(ChartsAssembly);
        }

        return imports;
    }

    /// <summary>One shared reference per file (with its XML documentation when one can be found).</summary>
    public static MetadataReference FromFile(string path) =>
        s_byPath.GetOrAdd(Path.GetFullPath(path), static fullPath =>
            MetadataReference.CreateFromFile(fullPath, documentation: FindDocumentation(fullPath)));

    private static IReadOnlyList<MetadataReference> CreateDefaults()
    {
        var paths = new List<string>();
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string trusted)
        {
            foreach (string path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string name = Path.GetFileNameWithoutExtension(path);
                if (IsFrameworkName(name) && Path.GetDirectoryName(path) == RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar))
                {
                    paths.Add(path);
                }
            }
        }

        if (paths.Count == 0)
        {
            // Hosts without a trusted-platform list (e.g. single-file): fall back to what is loaded.
            paths.AddRange(AppDomain.CurrentDomain.GetAssemblies()
                .Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location) && IsFrameworkName(a.GetName().Name ?? string.Empty))
                .Select(a => a.Location));
        }

        paths.Add(typeof(Kernel).Assembly.Location);
        paths.Add(typeof(Newtonsoft.Json.JsonConvert).Assembly.Location);
        if (LoadCharts() is { } charts)
        {
            paths.Add(charts.Location);
        }

        return paths
            .Where(path => !string.IsNullOrEmpty(path) && File.Exists(path))
            .Distinct(StringComparer.Ordinal)
            .Select(FromFile)
            .ToArray();
    }

    private static bool IsFrameworkName(string name) =>
        name.StartsWith("System.", StringComparison.Ordinal) ||
        name is "System" or "netstandard" or "mscorlib" or "Microsoft.CSharp" or "Microsoft.Win32.Primitives" or "Microsoft.VisualBasic.Core";

    private static Assembly? LoadCharts()
    {
        try
        {
            Assembly assembly = Assembly.Load(ChartsAssembly);
            return assembly.GetExportedTypes().Any(type => type.Namespace == ChartsAssembly) && !string.IsNullOrEmpty(assembly.Location)
                ? assembly
                : null;
        }
        catch (Exception exception) when (exception is FileNotFoundException or FileLoadException or BadImageFormatException or ReflectionTypeLoadException)
        {
            return null;
        }
    }

    /// <summary>
    /// XML docs sit next to a library, or, for the runtime's own assemblies, in the SDK's reference pack
    /// (System.Private.CoreLib's public types are documented in System.Runtime.xml).
    /// </summary>
    private static DocumentationProvider? FindDocumentation(string assemblyPath)
    {
        string beside = Path.ChangeExtension(assemblyPath, ".xml");
        if (File.Exists(beside))
        {
            return new XmlDocumentation(beside);
        }

        string? docs = s_docsDirectory.Value;
        if (docs is null)
        {
            return null;
        }

        string name = Path.GetFileNameWithoutExtension(assemblyPath);
        string candidate = Path.Combine(docs, (name == "System.Private.CoreLib" ? "System.Runtime" : name) + ".xml");
        return File.Exists(candidate) ? new XmlDocumentation(candidate) : null;
    }

    private static string? FindReferencePackDocs()
    {
        try
        {
            // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/packs/Microsoft.NETCore.App.Ref/<version>/ref/net<major>.<minor>/
            string runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
            string? root = Directory.GetParent(runtimeDirectory)?.Parent?.Parent?.FullName;
            if (root is null)
            {
                return null;
            }

            string packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
            if (!Directory.Exists(packs))
            {
                return null;
            }

            string framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
            return Directory.GetDirectories(packs)
                .Where(directory => Version.TryParse(Path.GetFileName(directory).Split('-')[0], out Version? v) && v.Major == Environment.Version.Major)
                .OrderByDescending(directory => Version.Parse(Path.GetFileName(directory).Split('-')[0]))
                .Select(directory => Path.Combine(directory, "ref", framework))
                .FirstOrDefault(Directory.Exists);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
