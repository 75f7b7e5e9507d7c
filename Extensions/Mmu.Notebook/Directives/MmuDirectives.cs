using Workbench.Interactive;
using Workbench.Interactive.Commands;
using Workbench.Interactive.Directives;

namespace Workbench.Mmu.Notebook.Directives;

/// <summary>Binds <c>#!mmu-run FILE [--trace] [--name NAME]</c>.</summary>
public sealed class MmuRunCommand : KernelDirectiveCommand
{
    /// <summary>The experiment file (<c>.json</c>, or <c>.jsonl</c> with one experiment per line).</summary>
    public string? File { get; set; }

    /// <summary>Show every page-table read and A/D write of each access.</summary>
    public bool Trace { get; set; }

    /// <summary>Run only the experiments with this name.</summary>
    public string? Name { get; set; }
}

/// <summary>Binds <c>#!mmu-load</c> (no parameters).</summary>
public sealed class MmuLoadCommand : KernelDirectiveCommand
{
}

/// <summary>The <c>#!mmu-*</c> magic commands.</summary>
public static class MmuDirectives
{
    /// <summary><c>#!mmu-run</c>.</summary>
    public const string RunName = "#!mmu-run";

    /// <summary><c>#!mmu-load</c>.</summary>
    public const string LoadName = "#!mmu-load";

    /// <summary>The names of the directives, for listings.</summary>
    public static IReadOnlyList<string> Names { get; } = [LoadName, RunName];

    /// <summary>Registers (or re-registers) every directive with <paramref name="kernel"/>.</summary>
    public static void Register(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var file = new KernelDirectiveParameter("--file", "Experiment file: .json (one experiment) or .jsonl (one per line); relative to the notebook's folder or to datasets/experiments")
        {
            AllowImplicitName = true,
            Required = true,
            TypeHint = "file",
        };
        file.AddCompletions(ExperimentFiles.Candidates);
        var run = new KernelActionDirective(RunName, "Runs an experiment file on the model and shows each step's outcome (mmu-workbench.experiment/1).")
        {
            Parameters =
            [
                file,
                new KernelDirectiveParameter("--trace", "Also show every page-table read and A/D write-back of each access") { Flag = true },
                new KernelDirectiveParameter("--name", "Run only the experiment(s) with this \"name\" (case-insensitive)") { TypeHint = "text" },
            ],
        };
        kernel.AddDirective<MmuRunCommand>(run, RunAsync);

        var load = new KernelActionDirective(LoadName, "Loads (again) the MMU Workbench: model usings, rich output, #!mmu-* commands. Harmless when already loaded.");
        kernel.AddDirective<MmuLoadCommand>(load, (_, context) => MmuKernelExtension.LoadAsync(context.Kernel));
    }

    /// <summary>The <c>#!mmu-run</c> handler: one display per experiment, then one error if any could not run.</summary>
    internal static Task RunAsync(MmuRunCommand command, KernelInvocationContext context)
    {
        IReadOnlyList<ExperimentRun> runs;
        try
        {
            runs = ExperimentFiles.Run(command.File ?? string.Empty, command.Trace, command.Name);
        }
        catch (FileNotFoundException missing)
        {
            Fail(context, "FileNotFound", $"{RunName}: {missing.Message} Completion (Tab after {RunName}) lists the example experiments.");
            return Task.CompletedTask;
        }
        catch (Exception problem) when (problem is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Fail(context, "FileError", $"{RunName}: cannot read '{command.File}': {problem.Message}");
            return Task.CompletedTask;
        }
        catch (ArgumentException badName)
        {
            Fail(context, "DirectiveError", $"{RunName}: {badName.Message}");
            return Task.CompletedTask;
        }

        foreach (ExperimentRun run in runs)
        {
            context.Display(run);
        }

        ExperimentRun[] invalid = runs.Where(r => !r.Succeeded).ToArray();
        if (invalid.Length > 0)
        {
            string first = $"{invalid[0].Source}: {invalid[0].Result.Error}";
            string message = invalid.Length == 1
                ? $"{RunName}: invalid experiment {first}"
                : $"{RunName}: {invalid.Length} of {runs.Count} experiments are invalid; the first is {first}";
            Fail(context, "InvalidExperiment", message);
        }

        return Task.CompletedTask;
    }

    private static void Fail(KernelInvocationContext context, string name, string message) =>
        context.Publish(new ErrorProduced(name, message, new[] { $"{name}: {message}" }));
}
