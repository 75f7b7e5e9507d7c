using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Workbench.Interactive;

/// <summary>
/// <c>#i "nuget: SOURCE"</c> and <c>#r "nuget: Id[, Version]"</c>: restore with .NET Interactive's own package
/// manager (Microsoft.DotNet.Interactive.PackageManagement: the machine's NuGet sources plus the <c>#i</c> ones, a
/// temporary project restored by the SDK's NuGet), then reference the packages' assemblies and load the
/// <see cref="IKernelExtension"/>s of their <c>interactive-extensions/dotnet</c> folder.
/// </summary>
public partial class Kernel
{
    private static readonly TimeSpan RestoreProgressInterval = TimeSpan.FromSeconds(1);

    private readonly object _packageGate = new();
    private PackageRestoreContext? _packageContext;

    /// <summary>Handles the NuGet lines of a cell; false (after one error) when the cell must not go on.</summary>
    private async Task<bool> RestorePackagesAsync(KernelInvocationContext context, PackageLines lines)
    {
        if (lines.Errors.Count > 0)
        {
            context.Fail("NuGetDirectiveError", lines.Errors[0], lines.Errors.Select(e => "NuGetDirectiveError: " + e).ToArray());
            return false;
        }

        PackageRestoreContext restore;
        lock (_packageGate)
        {
            // Created on first use: it loads F#'s dependency manager, which a session without NuGet never needs.
            restore = _packageContext ??= new PackageRestoreContext();
        }

        foreach (PackageSourceRequest source in lines.Sources)
        {
            if (!TryResolveSource(source.Source, out string? resolved, out string? problem))
            {
                context.Fail("NuGetSourceError", $"#i \"nuget: {source.Source}\": {problem}", new[] { $"NuGetSourceError: #i \"nuget: {source.Source}\" (cell line {source.LineIndex + 1}): {problem}" });
                return false;
            }

            restore.TryAddRestoreSource(resolved!);
        }

        if (lines.Packages.Count == 0)
        {
            return true;
        }

        foreach (PackageRequest package in lines.Packages)
        {
            if (restore.GetOrAddPackageReference(package.Id, package.Version) is null)
            {
                ResolvedPackageReference? existing = restore.ResolvedPackageReferences.FirstOrDefault(r => string.Equals(r.PackageName, package.Id, StringComparison.OrdinalIgnoreCase));
                string message = $"#r \"nuget: {package.Id}, {package.Version}\": version {existing?.PackageVersion ?? "another"} of {package.Id} is already loaded in this session; restart the kernel to change it.";
                context.Fail("NuGetRestoreError", message, new[] { "NuGetRestoreError: " + message });
                return false;
            }
        }

        string names = string.Join(", ", lines.Packages.Select(p => p.Version is null ? p.Id : $"{p.Id} {p.Version}"));
        DisplayedValue progress = context.Display($"Restoring {names} ...", Formatting.Formatter.PlainTextMimeType);
        var stopwatch = Stopwatch.StartNew();
        Task<PackageRestoreResult> restoring = Task.Run(restore.RestoreAsync);
        while (await Task.WhenAny(restoring, Task.Delay(RestoreProgressInterval)).ConfigureAwait(false) != restoring)
        {
            progress.Update(string.Create(CultureInfo.InvariantCulture, $"Restoring {names} ... {stopwatch.Elapsed.TotalSeconds:0} s"));
        }

        PackageRestoreResult result;
        try
        {
            result = await restoring.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            progress.Update($"Restoring {names} failed.");
            context.Fail("NuGetRestoreError", $"Restoring {names} failed: {exception.Message}", ExceptionFormatter.Format(exception));
            return false;
        }

        if (!result.Succeeded)
        {
            progress.Update($"Restoring {names} failed.");
            string[] errors = result.Errors.Select(CleanRestoreError).Where(e => e.Length > 0).Distinct().ToArray();
            string message = errors.Length == 0 ? $"Restoring {names} failed." : errors[0];
            context.Fail("NuGetRestoreError", message, errors.Select(e => "NuGetRestoreError: " + e).ToArray());
            return false;
        }

        var loaded = new List<string>();
        foreach (ResolvedPackageReference package in result.ResolvedReferences)
        {
            foreach (string assembly in package.AssemblyPaths)
            {
                AddReferenceFromFile(assembly);
            }

            loaded.Add($"{package.PackageName} {package.PackageVersion}");
        }

        progress.Update(string.Create(CultureInfo.InvariantCulture, $"Restored {string.Join(", ", loaded.Order(StringComparer.OrdinalIgnoreCase))} in {stopwatch.Elapsed.TotalSeconds:0.0} s"));

        foreach (ResolvedPackageReference package in result.ResolvedReferences)
        {
            string extensions = Path.Combine(package.PackageRoot, "interactive-extensions", "dotnet");
            if (Directory.Exists(extensions) && !await LoadPackageExtensionsAsync(context, extensions).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A URL as is; a folder made absolute against the kernel's working directory (the notebook's folder), so
    /// <c>#i "nuget: ../out/nuget"</c> works. A folder that does not exist is refused here, with its full path, rather
    /// than failing every later restore of the session.
    /// </summary>
    private bool TryResolveSource(string source, out string? resolved, out string? problem)
    {
        if (Uri.TryCreate(source, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https")
        {
            resolved = source;
            problem = null;
            return true;
        }

        string folder = uri is { IsFile: true } ? uri.LocalPath : source;
        string full = Path.GetFullPath(folder, _workingDirectory);
        if (!Directory.Exists(full))
        {
            resolved = null;
            problem = $"the package folder {full} does not exist.";
            return false;
        }

        resolved = full;
        problem = null;
        return true;
    }

    /// <summary>
    /// Loads our <see cref="IKernelExtension"/>s from a package's extension folder. A package made for .NET Interactive
    /// carries extensions for that host there (their types need Microsoft.DotNet.Interactive's <c>Kernel</c>); they are
    /// not ours to run, so assemblies without an extension for this kernel are only referenced.
    /// </summary>
    private async Task<bool> LoadPackageExtensionsAsync(KernelInvocationContext context, string folder)
    {
        foreach (string file in Directory.GetFiles(folder, "*.dll", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal))
        {
            Assembly assembly;
            Type[] types;
            try
            {
                assembly = LoadAssembly(file);
                types = assembly.GetExportedTypes();
            }
            catch (Exception exception) when (exception is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException or TypeLoadException)
            {
                continue;
            }

            if (types.Any(t => typeof(IKernelExtension).IsAssignableFrom(t)) && await LoadExtensionsInAssemblyAsync(context, assembly, file).ConfigureAwait(false) is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// References an assembly file in later cells, unless an assembly of that name is referenced already (the kernel's
    /// own or a preloaded extension's): two references with one identity make calls ambiguous (CS0121).
    /// </summary>
    private void AddReferenceFromFile(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        lock (_gate)
        {
            bool known = _options.MetadataReferences.Any(r => r is PortableExecutableReference { FilePath: { } existing }
                && string.Equals(Path.GetFileNameWithoutExtension(existing), name, StringComparison.OrdinalIgnoreCase));
            if (known)
            {
                return;
            }

            MetadataReference reference = DefaultReferences.FromFile(path);
            _options = _options.AddReferences(reference);
            _pendingReferences.Add(reference);
        }
    }

    /// <summary>NuGet's message without the temporary project's path: "/…/Project.fsproj : error NU1101: Unable…" → "NU1101: Unable…".</summary>
    private static string CleanRestoreError(string error) =>
        Regex.Replace(error, @"^.*?\.fsproj\s*:\s*(error|warning)\s*", string.Empty).Trim();
}
