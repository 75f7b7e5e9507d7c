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

    private const string Usage =
        "usage: ./workbench bench-hosts [--starts N] [--cells N] [--out FILE]\n"
        + "  Starts each kernel (ours with the MMU extension, .NET Interactive " + DotNetInteractiveHost.ToolVersion + ") N times (default 3)\n"
        + "  as Jupyter does, then runs trivial cells (default 200); reports ready, first result, round trip and RSS\n"
        + "  as a markdown table in FILE (default " + Report + "). Exit 1 when ours is not ahead on every figure.";

    /// <inheritdoc/>
    public string Name => "bench-hosts";

    /// <inheritdoc/>
    public string Summary => "start-up and memory: our kernel vs .NET Interactive, side by side (docs/notebook-hosts-benchmark.md)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var root = NotebooksVerb.FindRepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("bench-hosts: cannot find the repository (a folder with the 'workbench' script and notebooks/).");
            return 2;
        }

        var forwarded = new List<string> { Path.Combine(root, Script) };
        var report = Path.Combine(root, Report);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                case "--starts" or "--cells" when i + 1 < args.Length && int.TryParse(args[i + 1], out var count) && count > 0:
                    forwarded.Add(args[i]);
                    forwarded.Add(args[++i]);
                    break;
                case "--out" when i + 1 < args.Length:
                    report = Path.GetFullPath(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine($"bench-hosts: unexpected argument '{args[i]}' (--starts and --cells want a positive number).");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        forwarded.Add("--markdown");
        forwarded.Add(report);
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
