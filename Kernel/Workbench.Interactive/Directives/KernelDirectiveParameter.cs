namespace Workbench.Interactive.Directives;

/// <summary>
/// A parameter of a magic command, e.g. <c>--page-size</c>. Mirrors .NET Interactive's type of the same name.
/// </summary>
public class KernelDirectiveParameter
{
    private readonly List<Func<IEnumerable<string>>> _completionSources = new();

    /// <summary>Creates a parameter; a name without leading dashes gets <c>--</c> prepended.</summary>
    /// <param name="name">The name as typed, e.g. <c>--page-size</c>.</param>
    /// <param name="description">One line shown by <c>-h</c> and in completions.</param>
    public KernelDirectiveParameter(string name, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name.StartsWith('-') ? name : "--" + name;
        Description = description;
    }

    /// <summary>The name with its leading dashes, e.g. <c>--page-size</c>.</summary>
    public string Name { get; }

    /// <summary>One line shown by <c>-h</c>.</summary>
    public string? Description { get; set; }

    /// <summary>The value may be given without the name (at most one such parameter per directive).</summary>
    public bool AllowImplicitName { get; init; }

    /// <summary>The command fails with a clear error when the parameter is missing.</summary>
    public bool Required { get; init; }

    /// <summary>A switch without a value: present means true.</summary>
    public bool Flag { get; init; }

    /// <summary>How often the parameter may be given; more than one binds to an array or list property.</summary>
    public int MaxOccurrences { get; init; } = 1;

    /// <summary>What kind of value is expected (shown by <c>-h</c>), e.g. <c>text</c>, <c>number</c>, <c>file</c>.</summary>
    public string TypeHint { get; init; } = "text";

    /// <summary>Adds a source of value completions offered after the parameter name.</summary>
    public void AddCompletions(Func<IEnumerable<string>> getCompletions)
    {
        ArgumentNullException.ThrowIfNull(getCompletions);
        _completionSources.Add(getCompletions);
    }

    /// <summary>The completions of every source; a failing source contributes nothing.</summary>
    internal IEnumerable<string> GetCompletions()
    {
        var values = new List<string>();
        foreach (Func<IEnumerable<string>> source in _completionSources)
        {
            try
            {
                values.AddRange(source() ?? Array.Empty<string>());
            }
            catch (Exception)
            {
                // Completion must never fail the request; a broken source just offers nothing.
            }
        }

        return values.Distinct(StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
