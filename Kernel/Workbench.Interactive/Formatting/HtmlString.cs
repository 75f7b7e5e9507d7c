namespace Workbench.Interactive.Formatting;

/// <summary>Text that is already HTML: displayed as <c>text/html</c> without encoding.</summary>
public sealed class HtmlString
{
    /// <summary>Wraps HTML markup.</summary>
    public HtmlString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
    }

    /// <summary>The markup.</summary>
    public string Value { get; }

    /// <inheritdoc/>
    public override string ToString() => Value;
}
