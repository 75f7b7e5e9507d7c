using Workbench.Interactive.Formatting;

namespace Workbench.Interactive;

/// <summary>An output shown with <c>display(...)</c> that can be replaced in place with <see cref="Update"/>.</summary>
public sealed class DisplayedValue
{
    private readonly Kernel _kernel;

    internal DisplayedValue(Kernel kernel, string displayId, string[] mimeTypes)
    {
        _kernel = kernel;
        DisplayId = displayId;
        MimeTypes = mimeTypes;
    }

    /// <summary>The id front ends use to find the output (Jupyter's <c>transient.display_id</c>).</summary>
    public string DisplayId { get; }

    /// <summary>The MIME types requested when the value was first displayed; updates use the same ones.</summary>
    public IReadOnlyList<string> MimeTypes { get; }

    /// <summary>The latest formatted rendering.</summary>
    public IReadOnlyDictionary<string, string> FormattedValues { get; internal set; } =
        new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Formats <paramref name="value"/> and replaces the displayed output with it.</summary>
    /// <remarks>
    /// The update is published through the submission that is running now (it may be a later cell than the one
    /// that displayed the value: Jupyter front ends update a display id wherever it is shown).
    /// </remarks>
    public void Update(object? value)
    {
        IReadOnlyDictionary<string, string> formatted = Formatter.ToFormattedValues(value, MimeTypes);
        FormattedValues = formatted;
        KernelInvocationContext? context = KernelInvocationContext.Current;
        if (context is null || context.IsCompleted || context.Kernel != _kernel)
        {
            context = _kernel.ActiveContext;
        }

        context?.Publish(new DisplayedValueUpdated(formatted, DisplayId));
    }
}
