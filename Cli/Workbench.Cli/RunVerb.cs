using Workbench.Mmu.Experiments;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench run FILE</c>: runs experiment files (<c>docs/experiment-format.md</c>). A shell over
/// <see cref="ExperimentCommand"/>, which holds the behaviour so that tests run it in-process.
/// </summary>
public sealed class RunVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "run";

    /// <inheritdoc/>
    public string Summary => "run an experiment file (--json: JSON result line; --jsonl: one experiment per line; --trace)";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
        try
        {
            return ExperimentCommand.Run(args, Console.In, stdout, Console.Error);
        }
        finally
        {
            stdout.Flush();
        }
    }
}
