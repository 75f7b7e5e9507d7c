using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Workbench.Cli;

/// <summary>
/// The second notebook host, .NET Interactive's Jupyter kernel: the .NET tool <c>Microsoft.dotnet-interactive</c>
/// installed into <c>out/dotnet-interactive</c>, and a kernelspec for it written by us.
/// </summary>
/// <remarks>
/// Facts from shared/reference/dotnet-interactive.md (measured on this machine): the tool's own
/// <c>jupyter install</c> writes argv <c>dotnet interactive jupyter ...</c>, which needs a global or local tool
/// manifest, so with <c>--tool-path</c> we write the kernelspec ourselves with the tool's path as argv[0]; and by
/// default the kernel also serves HTTP on every interface, so the spec passes <c>--http-local-only</c>.
/// </remarks>
public static class DotNetInteractiveHost
{
    /// <summary>The kernelspec name notebooks are executed with.</summary>
    public const string KernelName = "dotnet-interactive-csharp";

    /// <summary>The name shown in kernel pickers.</summary>
    public const string DisplayName = ".NET (C#) — .NET Interactive " + ToolVersion;

    /// <summary>The tool package.</summary>
    public const string ToolPackage = "Microsoft.dotnet-interactive";

    /// <summary>The tool version the workbench is tested with (the one our NuGet source serves).</summary>
    public const string ToolVersion = "1.0.712001";

    /// <summary>Where the tool is installed, under the repository's <c>out/</c>.</summary>
    public static string ToolDirectory(string root) => Path.Combine(root, "out", "dotnet-interactive");

    /// <summary>The tool's executable.</summary>
    public static string ToolPath(string root) => Path.Combine(ToolDirectory(root), "dotnet-interactive");

    /// <summary>Installs the tool unless it is there; returns false (after writing why to <paramref name="error"/>) on failure.</summary>
    public static bool EnsureInstalled(string root, TextWriter output, TextWriter error)
    {
        if (File.Exists(ToolPath(root)))
        {
            return true;
        }

        output.WriteLine($"installing {ToolPackage} {ToolVersion} into {Path.GetRelativePath(root, ToolDirectory(root))} ...");
        var install = NotebooksProcess.Run(
            "dotnet",
            new[] { "tool", "install", ToolPackage, "--version", ToolVersion, "--tool-path", ToolDirectory(root) },
            root,
            new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            TimeSpan.FromMinutes(10));
        if (install.ExitCode != 0 || !File.Exists(ToolPath(root)))
        {
            error.WriteLine($"dotnet tool install {ToolPackage} --version {ToolVersion} failed (exit {install.ExitCode}).");
            error.Write(NotebooksVerb.Tail(install.StandardOutput + install.StandardError, 20));
            return false;
        }

        return true;
    }

    /// <summary>Writes <c>KERNELS/dotnet-interactive-csharp/kernel.json</c>; returns its path.</summary>
    public static string WriteKernelSpec(string root, string kernelsDirectory)
    {
        var directory = Path.Combine(kernelsDirectory, KernelName);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "kernel.json");
        File.WriteAllText(path, CreateKernelSpec(ToolPath(root)).ToString(Formatting.Indented) + "\n");
        return path;
    }

    /// <summary>The kernel.json of the tool at <paramref name="toolPath"/>.</summary>
    public static JObject CreateKernelSpec(string toolPath)
    {
        return new JObject
        {
            ["argv"] = new JArray(Path.GetFullPath(toolPath), "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"),
            ["display_name"] = DisplayName,
            ["language"] = "C#",
            ["env"] = new JObject
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1",
            },
        };
    }
}
