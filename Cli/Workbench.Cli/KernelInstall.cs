using System.CommandLine;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Workbench.Cli;

/// <summary>
/// Writes the <c>mmu-workbench</c> kernelspec: a <c>kernel.json</c> whose argv runs this very build of the CLI
/// (absolute paths) with <c>kernel start</c>, plus the MMU notebook extension when it sits next to the CLI.
/// </summary>
public static class KernelInstall
{
    /// <summary>The kernelspec (directory) name notebooks ask for.</summary>
    public const string KernelName = "mmu-workbench";

    /// <summary>The name shown in kernel pickers.</summary>
    public const string DisplayName = "C# (MMU Workbench)";

    /// <summary>The extension assembly loaded at start-up when present next to the CLI.</summary>
    public const string MmuExtensionFileName = "Workbench.Mmu.Notebook.Workbench.dll";

    /// <summary>The <c>kernel install</c> command.</summary>
    public static Command CreateCommand()
    {
        var kernelOption = new Option<string>("--kernel")
        {
            Description = "mmu-workbench (ours) or dotnet-interactive: .NET Interactive's kernel (tool Microsoft.dotnet-interactive "
                + DotNetInteractiveHost.ToolVersion + ", installed into out/dotnet-interactive if missing; spec '"
                + DotNetInteractiveHost.KernelName + "', HTTP on loopback only).",
            DefaultValueFactory = _ => KernelName,
        };
        kernelOption.AcceptOnlyFromAmong(KernelName, NotebooksVerb.DotNetInteractiveKernel);
        var userOption = new Option<bool>("--user") { Description = "~/.local/share/jupyter/kernels/NAME (the default)." };
        var prefixOption = new Option<string?>("--prefix") { Description = "DIR/share/jupyter/kernels/NAME (e.g. a virtualenv)." };
        var jupyterPathOption = new Option<string?>("--jupyter-path") { Description = "DIR/kernels/NAME (use DIR in JUPYTER_PATH, handy for tests)." };
        var install = new Command("install", "Write a kernelspec (\"" + DisplayName + "\" pointing at this build, or .NET Interactive's).")
        {
            kernelOption, userOption, prefixOption, jupyterPathOption,
        };
        install.Validators.Add(result =>
        {
            // Presence, not values: a value may itself be in error (e.g. --prefix without a folder), reported on its own.
            int chosen = new Option[] { userOption, prefixOption, jupyterPathOption }.Count(option => result.GetResult(option) is not null);
            if (chosen > 1)
            {
                result.AddError("choose one of --user, --prefix and --jupyter-path.");
            }
        });
        install.SetAction(parsed =>
        {
            var destination = parsed.GetValue(prefixOption) is { } prefix ? Path.Combine(Path.GetFullPath(prefix), "share", "jupyter", "kernels")
                : parsed.GetValue(jupyterPathOption) is { } jupyterPath ? Path.Combine(Path.GetFullPath(jupyterPath), "kernels")
                : Path.Combine(UserDataDirectory(), "kernels");
            return Install(parsed.GetValue(kernelOption)!, destination);
        });
        return install;
    }

    /// <summary>Writes the kernelspec of <paramref name="kernel"/> into <paramref name="destination"/> (a kernels folder).</summary>
    public static int Install(string kernel, string destination)
    {
        if (kernel != KernelName)
        {
            return InstallDotNetInteractive(destination);
        }

        var argv = LauncherArguments();
        if (argv is null)
        {
            Console.Error.WriteLine("kernel install: cannot tell where this program is, so cannot write a kernelspec for it.");
            return 1;
        }

        var directory = Path.Combine(destination, KernelName);
        Directory.CreateDirectory(directory);
        var specPath = Path.Combine(directory, "kernel.json");
        File.WriteAllText(specPath, CreateKernelSpec(argv).ToString(Formatting.Indented) + "\n");
        Console.WriteLine($"kernel install: wrote {specPath}");
        return 0;
    }

    private static int InstallDotNetInteractive(string kernelsDirectory)
    {
        var root = NotebooksVerb.FindRepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("kernel install: --kernel dotnet-interactive installs the tool into the repository's out/, but no repository was found.");
            return 2;
        }

        if (!DotNetInteractiveHost.EnsureInstalled(root, Console.Out, Console.Error))
        {
            return 1;
        }

        Console.WriteLine($"kernel install: wrote {DotNetInteractiveHost.WriteKernelSpec(root, kernelsDirectory)}");
        return 0;
    }

    /// <summary>The kernel.json content for a launcher command line.</summary>
    public static JObject CreateKernelSpec(IReadOnlyList<string> launcher)
    {
        var argv = new JArray(launcher.Cast<object>().ToArray())
        {
            "kernel",
            "start",
            "--connection-file",
            "{connection_file}",
        };
        var extension = Path.Combine(AppContext.BaseDirectory, MmuExtensionFileName);
        if (File.Exists(extension))
        {
            argv.Add("--extension");
            argv.Add(Path.GetFullPath(extension));
        }

        return new JObject
        {
            ["argv"] = argv,
            ["display_name"] = DisplayName,
            ["language"] = "C#",
            // A .NET process has no SIGINT-to-cell path; the control channel's interrupt_request is reliable.
            ["interrupt_mode"] = "message",
            ["env"] = new JObject
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                // Every cell is freshly compiled code that runs once: profile-guided instrumentation of tier-0
                // code costs CPU and never pays back (measured: ~28 -> ~18 ms CPU per trivial cell).
                ["DOTNET_TieredPGO"] = "0",
            },
            ["metadata"] = new JObject { ["debugger"] = false },
        };
    }

    /// <summary>
    /// How to start this program again: the apphost itself, or <c>dotnet workbench-cli.dll</c> when running under
    /// the muxer. Absolute paths, so the kernelspec works from any working directory.
    /// </summary>
    public static IReadOnlyList<string>? LauncherArguments()
    {
        var processPath = Environment.ProcessPath;
        if (string.IsNullOrEmpty(processPath))
        {
            return null;
        }

        processPath = Path.GetFullPath(processPath);
        var fileName = Path.GetFileNameWithoutExtension(processPath);
        if (fileName.Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var assembly = typeof(KernelInstall).Assembly.Location;
            return string.IsNullOrEmpty(assembly) ? null : new[] { processPath, Path.GetFullPath(assembly) };
        }

        return new[] { processPath };
    }

    private static string UserDataDirectory()
    {
        // Same order as jupyter_core.paths.jupyter_data_dir on Linux.
        var configured = Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR");
        if (!string.IsNullOrEmpty(configured))
        {
            return Path.GetFullPath(configured);
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (!string.IsNullOrEmpty(xdg))
        {
            return Path.Combine(xdg, "jupyter");
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter");
    }
}
