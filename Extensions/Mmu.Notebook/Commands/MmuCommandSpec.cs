namespace Workbench.Mmu.Notebook.Commands;

/// <summary>
/// Where a host-neutral command writes: each notebook host (our kernel, .NET Interactive) implements it over its own
/// invocation context, so the commands below are written once and behave the same in both.
/// </summary>
public interface IMmuCommandOutput
{
    /// <summary>Shows a value with the host's formatters (the MMU renderings: HTML and plain text).</summary>
    void Display(object value);

    /// <summary>Shows a value that can be replaced in place later (a progress bar); returns the replacer.</summary>
    Action<object> DisplayUpdatable(object value);

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

/// <summary>
/// A magic command: name, help, parameters and its handler. Hosts turn it into their own directive type, bind the
/// values the user gave into <see cref="MmuArguments"/> and call <see cref="MmuCommands.Invoke"/>.
/// </summary>
public sealed record MmuCommandSpec(string Name, string Description, IReadOnlyList<MmuCommandParameter> Parameters)
{
    /// <summary>What the command does with its arguments (its one error is an <see cref="MmuCommandException"/>).</summary>
    public Action<MmuArguments, IMmuCommandOutput>? Handler { get; init; }

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

