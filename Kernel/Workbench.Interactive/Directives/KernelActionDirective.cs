namespace Workbench.Interactive.Directives;

/// <summary>
/// A magic command such as <c>#!time</c>, with its parameters and (one level of) subcommands.
/// Mirrors .NET Interactive's type of the same name; register it with
/// <see cref="Kernel.AddDirective{TCommand}(KernelActionDirective, Func{TCommand, KernelInvocationContext, Task})"/>.
/// </summary>
public class KernelActionDirective
{
    /// <summary>Creates a directive; a top-level name without <c>#!</c> gets it prepended when registered.</summary>
    /// <param name="name">E.g. <c>#!clock</c>; for a subcommand a plain word such as <c>walk</c>.</param>
    /// <param name="description">One line shown by <c>#!lsmagic</c> and <c>-h</c>.</param>
    public KernelActionDirective(string name, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"A directive name cannot contain white space: '{name}'.", nameof(name));
        }

        Name = name;
        Description = description;
    }

    /// <summary>The name as typed, e.g. <c>#!clock</c> (or <c>walk</c> for a subcommand).</summary>
    public string Name { get; private set; }

    /// <summary>One line shown by <c>#!lsmagic</c> and <c>-h</c>.</summary>
    public string? Description { get; set; }

    /// <summary>Hidden directives work but are not listed or completed.</summary>
    public bool Hidden { get; set; }

    /// <summary>The parameters; initialize with a collection expression, e.g. <c>Parameters = [hour, minute]</c>.</summary>
    public ICollection<KernelDirectiveParameter> Parameters { get; init; } = new List<KernelDirectiveParameter>();

    /// <summary>Subcommands (<c>#!name sub --x 1</c>); their parameters bind to the same command type unless they are registered themselves.</summary>
    public ICollection<KernelActionDirective> Subcommands { get; init; } = new List<KernelActionDirective>();

    /// <summary>The directive this one is a subcommand of, once registered.</summary>
    public KernelActionDirective? Parent { get; internal set; }

    /// <summary>The <see cref="Commands.KernelDirectiveCommand"/> type the directive binds to, once registered.</summary>
    public Type? KernelCommandType { get; internal set; }

    /// <summary>The name with <c>#!</c> for top-level directives.</summary>
    internal void NormalizeTopLevelName()
    {
        if (!Name.StartsWith("#!", StringComparison.Ordinal))
        {
            Name = "#!" + Name;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
