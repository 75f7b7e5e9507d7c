namespace Workbench.Interactive.Commands;

/// <summary>
/// Base class of the objects magic commands bind to: a subclass declares one settable property per directive
/// parameter (<c>--page-size</c> binds to <c>PageSize</c>). Mirrors .NET Interactive's type of the same name.
/// </summary>
public abstract class KernelDirectiveCommand
{
    /// <summary>The directive as invoked, e.g. <c>#!clock</c> or <c>#!mmu walk</c> for a subcommand.</summary>
    public string? InvokedDirective { get; set; }

    /// <summary>Checks that span several parameters; each returned message fails the command.</summary>
    public virtual IEnumerable<string> GetValidationErrors() => Array.Empty<string>();
}
