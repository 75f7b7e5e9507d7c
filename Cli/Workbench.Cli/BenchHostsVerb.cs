using System.CommandLine;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench bench-hosts</c>: start-up and memory of our kernel and .NET Interactive's side by side, in one run
/// (<c>Kernel/Workbench.Kernel.Tests/python/bench_hosts.py</c> through jupyter_client), written to
/// <c>docs/notebook-hosts-benchmark.md</c>.
/// </summary>
public sealed class BenchHostsVerb : ICliVerb
{
    private const string Script = "Kernel/Workbench.Kernel.Tests/python/bench_hosts.py";
    private const string Report = "docs/notebook-hosts-benchmark.md";

    /// <inheritdoc/>
    public string Name => "bench-hosts";

    /// <inheritdoc/>
    public string Summary => "start-up and memory: our kernel vs .NET Interactive, side by side (docs/notebook-hosts-benchmark.md)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var starts = CliCommand.PositiveInt("--starts", "Fresh kernels started per host (medians).", 3);
        var cells = CliCommand.PositiveInt("--cells", "Trivial cells run before RSS is read.", 200);
        var outOption = new Option<string?>("--out") { Description = "The markdown file to write (default " + Report + ")." };
        var command = new Command(Name,
            "Starts each kernel (ours with the MMU extension, .NET Interactive " + DotNetInteractiveHost.ToolVersion + ") as Jupyter "
            + "does, then runs trivial cells; reports ready, first result, round trip and RSS as a markdown table. "
            + "Exit 1 when ours is not ahead on every figure.")
        {
            starts, cells, outOption,
        };
        command.SetAction(parsed => Measure(parsed.GetValue(starts), parsed.GetValue(cells), parsed.GetValue(outOption)));
        return CliCommand.Invoke(command, args);
    }

    private static int Measure(int starts, int cells, string? outFile)
    {
        var root = NotebooksVerb.FindRepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("bench-hosts: cannot find the repository (a folder with the 'workbench' script and notebooks/).");
            return 2;
        }

        var report = outFile is null ? Path.Combine(root, Report) : Path.GetFullPath(outFile);
        var forwarded = new List<string>
        {
            Path.Combine(root, Script),
            "--starts", starts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cells", cells.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--markdown", report,
        };
        var python = Environment.GetEnvironmentVariable("WORKBENCH_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";
        var result = NotebooksProcess.Run(
            python,
            forwarded,
            Path.Combine(root, Path.GetDirectoryName(Script)!),
            new Dictionary<string, string?> { ["WORKBENCH_CLI"] = Environment.ProcessPath },
            TimeSpan.FromMinutes(20));
        Console.Write(result.StandardOutput);
        if (result.ExitCode != 0)
        {
            Console.Error.Write(NotebooksVerb.Tail(result.StandardError, 20));
        }

        return result.ExitCode == 0 ? 0 : 1;
    }
}
