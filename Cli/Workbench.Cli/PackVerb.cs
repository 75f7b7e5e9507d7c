using System.CommandLine;
using System.Globalization;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench pack</c>: builds the NuGet package <c>MmuWorkbench</c> (the MMU extension for .NET Interactive,
/// project <c>Extensions/Mmu.Notebook.DotNetInteractive</c>) into the local feed <c>out/nuget</c>, from which a
/// .NET Interactive notebook (and our kernel) loads it with
/// <c>#i "nuget: REPO/out/nuget"</c> and <c>#r "nuget: MmuWorkbench"</c>.
/// </summary>
public sealed class PackVerb : ICliVerb
{
    /// <summary>The package id notebooks load.</summary>
    public const string PackageId = "MmuWorkbench";

    private const string ProjectPath = "Extensions/Mmu.Notebook.DotNetInteractive/Workbench.Mmu.Notebook.DotNetInteractive.csproj";

    private static readonly DateTimeOffset VersionEpoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc/>
    public string Name => "pack";

    /// <inheritdoc/>
    public string Summary => "build the NuGet package MmuWorkbench (MMU extension for .NET Interactive) into out/nuget";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var outOption = new Option<string?>("--out") { Description = "The local feed to write to (default out/nuget)." };
        var command = new Command(Name,
            "Builds the NuGet package MmuWorkbench (the MMU extension for .NET Interactive) into a local feed. Each pack gets a "
            + "new, higher stable version (1.0.<seconds since 2026>): NuGet caches restored packages by version "
            + "(~/.nuget/packages), so a rebuilt package with an old version would never be seen. "
            + "In a notebook: #i \"nuget: FEED\" then #r \"nuget: MmuWorkbench\".")
        {
            outOption,
        };
        command.SetAction(parsed =>
        {
            var root = NotebooksVerb.FindRepositoryRoot();
            if (root is null)
            {
                Console.Error.WriteLine("pack: cannot find the repository (a folder with the 'workbench' script and notebooks/).");
                return 2;
            }

            var feed = Path.GetFullPath(parsed.GetValue(outOption) ?? Path.Combine(root, "out", "nuget"));
            return Pack(root, feed, Console.Out, Console.Error) is null ? 1 : 0;
        });
        return CliCommand.Invoke(command, args);
    }

    /// <summary>Packs into <paramref name="feed"/>, replacing older MmuWorkbench packages there; returns the package path or null.</summary>
    internal static string? Pack(string root, string feed, TextWriter output, TextWriter error)
    {
        Directory.CreateDirectory(feed);
        var version = "1.0." + ((long)(DateTimeOffset.UtcNow - VersionEpoch).TotalSeconds).ToString(CultureInfo.InvariantCulture);
        foreach (var old in Directory.EnumerateFiles(feed, PackageId + ".*.nupkg"))
        {
            File.Delete(old);
        }

        var result = NotebooksProcess.Run(
            "dotnet",
            new[]
            {
                "pack", Path.Combine(root, ProjectPath), "-c", "Release",
                "--artifacts-path", Path.Combine(root, "out", "artifacts"),
                "-o", feed, "-p:PackageVersion=" + version, "-nologo", "-v", "quiet", "-clp:ErrorsOnly",
            },
            root,
            new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            TimeSpan.FromMinutes(10));
        var package = Path.Combine(feed, $"{PackageId}.{version}.nupkg");
        if (result.ExitCode != 0 || !File.Exists(package))
        {
            error.WriteLine($"pack: dotnet pack {ProjectPath} failed (exit {result.ExitCode}).");
            error.Write(NotebooksVerb.Tail(result.StandardOutput + result.StandardError, 30));
            return null;
        }

        output.WriteLine($"pack: {Path.GetRelativePath(root, package)}  (#i \"nuget: {feed}\" then #r \"nuget: {PackageId}\")");
        return package;
    }
}
