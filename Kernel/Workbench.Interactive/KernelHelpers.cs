using Workbench.Interactive.Formatting;

namespace Workbench.Interactive;

/// <summary>
/// Functions cells call without qualification: every submission is compiled with
/// <c>using static Workbench.Interactive.KernelHelpers;</c> (as .NET Interactive imports its <c>Kernel</c> helpers).
/// </summary>
public static class KernelHelpers
{
    /// <summary>Shows <paramref name="value"/> in the cell's output; the result can be updated later.</summary>
    /// <param name="value">The value to show.</param>
    /// <param name="mimeTypes">MIME types to produce; none means the type's preferred ones.</param>
    /// <exception cref="InvalidOperationException">Called outside a submission.</exception>
#pragma warning disable IDE1006 // The lower-case name is the notebook convention shared with .NET Interactive.
    public static DisplayedValue display(object? value, params string[] mimeTypes) =>
#pragma warning restore IDE1006
        RequireContext().Display(value, mimeTypes);

    /// <summary>Asks the front end to clear the cell's output.</summary>
    /// <param name="wait">When true the output is cleared only when new output arrives, which avoids flicker in animations.</param>
    public static void ClearOutput(bool wait = false) => RequireContext().Publish(new ClearOutputRequested(wait));

    /// <summary>Marks <paramref name="markup"/> as HTML so that displaying it renders it.</summary>
    public static HtmlString HTML(string markup) => new(markup);

    private static KernelInvocationContext RequireContext() =>
        KernelInvocationContext.Current ??
        throw new InvalidOperationException("There is no running submission to display into (KernelInvocationContext.Current is null).");
}
