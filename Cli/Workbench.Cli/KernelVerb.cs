using Workbench.Interactive;
using Workbench.Jupyter.Protocol;
using Workbench.Jupyter.Server;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench kernel start --connection-file F [--extension PATH]...</c> runs the Jupyter kernel (what the
/// kernelspec launches); <c>./workbench kernel install ...</c> writes the kernelspec.
/// </summary>
public sealed class KernelVerb : ICliVerb
{
    private const string Usage =
        "usage: ./workbench kernel start --connection-file FILE [--extension PATH]...\n" +
        "       ./workbench kernel install [--user | --prefix DIR | --jupyter-path DIR]\n" +
        "  start     serve Jupyter messaging protocol 5.3 on the sockets named in FILE (what Jupyter runs)\n" +
        "  install   write the 'mmu-workbench' kernelspec (\"C# (MMU Workbench)\") pointing at this build";

    /// <inheritdoc />
    public string Name => "kernel";

    /// <inheritdoc />
    public string Summary => "Jupyter kernel: 'kernel install' writes the kernelspec, 'kernel start' serves it";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        return args[0] switch
        {
            "start" => Start(args[1..]),
            "install" => KernelInstall.Run(args[1..]),
            _ => UnknownSubVerb(args[0]),
        };
    }

    private static int UnknownSubVerb(string name)
    {
        Console.Error.WriteLine($"kernel: unknown sub-command '{name}'.");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static int Start(string[] args)
    {
        string? connectionFile = null;
        var extensions = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--connection-file" or "-f" when i + 1 < args.Length:
                    connectionFile = args[++i];
                    break;
                case "--extension" when i + 1 < args.Length:
                    extensions.Add(Path.GetFullPath(args[++i]));
                    break;
                case "-h" or "--help":
                    Console.Error.WriteLine(Usage);
                    return 0;
                default:
                    if (connectionFile is null && !args[i].StartsWith('-'))
                    {
                        connectionFile = args[i];
                        break;
                    }

                    Console.Error.WriteLine($"kernel start: unexpected argument '{args[i]}'.");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        if (connectionFile is null)
        {
            Console.Error.WriteLine("kernel start: --connection-file is required.");
            return 2;
        }

        var log = new KernelLog();
        ConnectionInfo connection;
        try
        {
            connection = ConnectionInfo.Load(connectionFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            log.Write($"cannot read the connection file {connectionFile}: {ex.Message}");
            return 1;
        }

        // Creating the engine (reference metadata) and warming it up (Roslyn's first compilation) run in the
        // background while the sockets come up; kernel_info waits only for creation, cells for the warm-up.
        var kernel = Task.Run(Kernel.CreateCSharpKernel);
        kernel.ContinueWith(
            failed =>
            {
                log.Write($"cannot create the C# engine: {failed.Exception?.GetBaseException().Message}");
                Environment.Exit(1);
            },
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
        var ready = Task.Run(async () =>
        {
            var created = await kernel.ConfigureAwait(false);
            log.Write($"engine created ({JupyterKernelServer.SinceProcessStart()} ms after process start)");
            await InitializeAsync(created, extensions, log).ConfigureAwait(false);
        });
        var server = new JupyterKernelServer(connection, new InteractiveKernelEngine(kernel), ready, log);
        int exitCode;
        try
        {
            exitCode = server.Run();
        }
        catch (Exception ex)
        {
            log.Write($"kernel failed: {ex.Message}");
            exitCode = 1;
        }

        // A cell that ignored the interrupt may still own a foreground thread; the shutdown reply has been
        // sent, so end the process now rather than hang the client's shutdown.
        Environment.Exit(exitCode);
        return exitCode;
    }

    private static async Task InitializeAsync(Kernel kernel, IReadOnlyList<string> extensions, KernelLog log)
    {
        await kernel.WarmUpAsync().ConfigureAwait(false);
        log.Write($"engine warmed up ({JupyterKernelServer.SinceProcessStart()} ms after process start)");
        var problems = new List<string>();
        foreach (var extension in extensions)
        {
            var loaded = await kernel.LoadExtensionAsync(extension, kernelEvent =>
            {
                switch (kernelEvent)
                {
                    case ErrorProduced error:
                        log.Write($"extension {extension}: {error.Name}: {error.Message}");
                        problems.Add($"extension {Path.GetFileName(extension)} did not load: {error.Message}");
                        break;
                    case StandardOutputProduced output:
                        log.Write($"extension {extension}: {output.Text.TrimEnd()}");
                        break;
                    case StandardErrorProduced output:
                        log.Write($"extension {extension}: {output.Text.TrimEnd()}");
                        break;
                }
            }).ConfigureAwait(false);
            if (loaded)
            {
                log.Write($"loaded extension {Path.GetFileName(extension)}");
            }
            else if (problems.Count == 0)
            {
                problems.Add($"extension {Path.GetFileName(extension)} did not load");
            }
        }

        if (problems.Count > 0)
        {
            // The server shows this once, on the first cell's stderr, so the user learns why magics are missing.
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }
    }
}
