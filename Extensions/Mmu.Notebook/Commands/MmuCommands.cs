namespace Workbench.Mmu.Notebook.Commands;

/// <summary>
/// Where a host-neutral command writes: each notebook host (our kernel, .NET Interactive) implements it over its own
/// invocation context, so the commands below are written once and behave the same in both.
/// </summary>
public interface IMmuCommandOutput
{
    /// <summary>Shows a value with the host's formatters (the MMU renderings: HTML and plain text).</summary>
    void Display(object value);

    /// <summary>Writes a line of text to the cell's standard output.</summary>
    void WriteLine(string text);

    /// <summary>Fails the command with one error (<paramref name="name"/> is the error's type, e.g. <c>FileNotFound</c>).</summary>
    void Fail(string name, string message);
}

/// <summary>One parameter of a magic command, in host-neutral terms (both hosts use the same shape).</summary>
/// <param name="Name">POSIX name, e.g. <c>--trace</c>; binds to the camel-cased property of the host's command type.</param>
/// <param name="Description">Help text.</param>
/// <param name="Flag">A switch without a value.</param>
/// <param name="AllowImplicitName">The value may be given without the name (at most one per command).</param>
/// <param name="Required">The command fails without it.</param>
/// <param name="TypeHint">What the value is (<c>text</c>, <c>file</c>), for front ends.</param>
/// <param name="Completions">Values offered by Tab completion, if any.</param>
public sealed record MmuCommandParameter(
    string Name,
    string Description,
    bool Flag = false,
    bool AllowImplicitName = false,
    bool Required = false,
    string TypeHint = "text",
    Func<IEnumerable<string>>? Completions = null);

/// <summary>A magic command: name, help and parameters. Hosts turn it into their own directive type.</summary>
public sealed record MmuCommandSpec(string Name, string Description, IReadOnlyList<MmuCommandParameter> Parameters)
{
    /// <summary>
    /// The help text, for hosts that have no help of their own for extension directives (.NET Interactive answers
    /// <c>-h</c> with "DNI103: Unrecognized parameter name"; our kernel writes its own from the directive).
    /// </summary>
    public string HelpText()
    {
        var text = new System.Text.StringBuilder();
        text.Append("usage: ").Append(Name);
        foreach (MmuCommandParameter parameter in Parameters)
        {
            string value = parameter.Flag ? string.Empty : " <" + parameter.TypeHint + ">";
            string usage = parameter.AllowImplicitName ? $"[{parameter.Name}]{value}" : parameter.Name + value;
            text.Append(' ').Append(parameter.Required ? usage : $"[{usage}]");
        }

        text.Append('\n').Append("  ").Append(Description).Append('\n');
        foreach (MmuCommandParameter parameter in Parameters)
        {
            text.Append("  ").Append(parameter.Name.PadRight(10)).Append(' ').Append(parameter.Description).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>The <c>#!mmu-*</c> magic commands, written once for every host.</summary>
public static class MmuCommands
{
    /// <summary><c>#!mmu-run</c>.</summary>
    public const string RunName = "#!mmu-run";

    /// <summary><c>#!mmu-load</c>.</summary>
    public const string LoadName = "#!mmu-load";

    /// <summary>The names of the commands, for listings.</summary>
    public static IReadOnlyList<string> Names { get; } = [LoadName, RunName];

    /// <summary><c>#!mmu-run FILE [--trace] [--name NAME]</c>.</summary>
    public static MmuCommandSpec Run { get; } = new(
        RunName,
        "Runs an experiment file on the model and shows each step's outcome (mmu-workbench.experiment/1).",
        [
            new MmuCommandParameter(
                "--file",
                "Experiment file: .json (one experiment) or .jsonl (one per line); relative to the notebook's folder or to datasets/experiments",
                AllowImplicitName: true,
                Required: true,
                TypeHint: "file",
                Completions: ExperimentFiles.Candidates),
            new MmuCommandParameter("--trace", "Also show every page-table read and A/D write-back of each access", Flag: true),
            new MmuCommandParameter("--name", "Run only the experiment(s) with this \"name\" (case-insensitive)"),
        ]);

    /// <summary><c>#!mmu-load</c> (no parameters).</summary>
    public static MmuCommandSpec Load { get; } = new(
        LoadName,
        "Loads (again) the MMU Workbench: model usings, rich output, #!mmu-* commands. Harmless when already loaded.",
        []);

    /// <summary>The <c>#!mmu-run</c> handler: one display per experiment, then one error if any could not run.</summary>
    /// <param name="file">The experiment file (see <see cref="ExperimentFiles.Resolve"/>).</param>
    /// <param name="trace">Show every page-table access.</param>
    /// <param name="name">Run only the experiments with this name; null runs all.</param>
    /// <param name="output">The host's output.</param>
    public static void RunExperiments(string? file, bool trace, string? name, IMmuCommandOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        IReadOnlyList<ExperimentRun> runs;
        try
        {
            runs = ExperimentFiles.Run(file ?? string.Empty, trace, name);
        }
        catch (FileNotFoundException missing)
        {
            output.Fail("FileNotFound", $"{RunName}: {missing.Message} Completion (Tab after {RunName}) lists the example experiments.");
            return;
        }
        catch (Exception problem) when (problem is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            output.Fail("FileError", $"{RunName}: cannot read '{file}': {problem.Message}");
            return;
        }
        catch (ArgumentException badName)
        {
            output.Fail("DirectiveError", $"{RunName}: {badName.Message}");
            return;
        }

        foreach (ExperimentRun run in runs)
        {
            output.Display(run);
        }

        ExperimentRun[] invalid = runs.Where(r => !r.Succeeded).ToArray();
        if (invalid.Length > 0)
        {
            string first = $"{invalid[0].Source}: {invalid[0].Result.Error}";
            string message = invalid.Length == 1
                ? $"{RunName}: invalid experiment {first}"
                : $"{RunName}: {invalid.Length} of {runs.Count} experiments are invalid; the first is {first}";
            output.Fail("InvalidExperiment", message);
        }
    }
}
