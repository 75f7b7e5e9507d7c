using System.CommandLine;
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
    /// <inheritdoc />
    public string Name => "kernel";

    /// <inheritdoc />
    public string Summary => "Jupyter kernel: 'kernel install' writes the kernelspec, 'kernel start' serves it";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var connectionOption = new Option<string?>("--connection-file", "-f") { Description = "The connection file Jupyter wrote (ports, key)." };
        var connectionArgument = new Argument<string?>("connection-file") { Description = "The connection file, given without its option name.", Arity = ArgumentArity.ZeroOrOne };
        var extensionOption = new Option<string[]>("--extension") { Description = "An extension assembly or folder to load at start-up; repeatable." };
        var start = new Command("start", "Serve Jupyter messaging protocol 5.3 on the sockets named in the connection file (what Jupyter runs).")
        {
            connectionOption, connectionArgument, extensionOption,
        };
        start.Validators.Add(result =>
        {
            // Presence, not values: a value may itself be in error (e.g. -f without a file), reported on its own.
            if (result.GetResult(connectionOption) is null && result.GetResult(connectionArgument) is null)
            {
                result.AddError("--connection-file is required.");
            }
        });
        start.SetAction(parsed => Start(
            parsed.GetValue(connectionOption) ?? parsed.GetValue(connectionArgument)!,
            (parsed.GetValue(extensionOption) ?? Array.Empty<string>()).Select(Path.GetFullPath).ToList()));

        var command = new Command(Name, "The Jupyter kernel: 'install' writes a kernelspec, 'start' serves it.")
        {
            start,
            KernelInstall.CreateCommand(),
        };
        return CliCommand.Invoke(command, args);
    }

    private static int Start(string connectionFile, IReadOnlyList<string> extensions)
    {
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
