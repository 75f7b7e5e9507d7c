using Workbench.Interactive;
using Workbench.Mmu.Notebook.Directives;
using Workbench.Mmu.Notebook.Formatting;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// The MMU Workbench kernel extension: makes the model usable in cells (assembly reference and usings), registers
/// the HTML/plain-text formatters and the <c>#!mmu-*</c> magic commands. The <c>mmu-workbench</c> kernelspec loads
/// it at start-up; elsewhere load it with <c>#!mmu-load</c> (once loaded) or, from a bare kernel, with one line
/// (the kernel loads the extensions of an assembly a cell references):
/// <code>
/// #r "/path/to/Workbench.Mmu.Notebook.dll"
/// </code>
/// Loading is idempotent: loading again changes nothing.
/// </summary>
public sealed class MmuKernelExtension : IKernelExtension
{
    /// <summary>Namespaces every cell imports once the extension is loaded.</summary>
    public static IReadOnlyList<string> Usings { get; } =
    [
        "Workbench.Mmu",
        "Workbench.Mmu.Arch",
        "Workbench.Mmu.Walk",
        "Workbench.Mmu.Paging",
        "Workbench.Mmu.Permissions",
        "Workbench.Mmu.Experiments",
        "Workbench.Mmu.Notebook",
    ];

    /// <summary>The one-line summary <c>#!mmu-load</c> and <see cref="LoadAsync"/> print.</summary>
    public static string Summary =>
        "MMU Workbench loaded: magic commands " + string.Join(", ", MmuDirectives.Names) +
        " (add -h for help); rich output for " + string.Join(", ", MmuFormatters.FormattedTypes.Select(FriendlyName).Distinct()) +
        "; charts WalkCharts.Levels, PermissionCharts.Matrix; usings " + string.Join(", ", Usings) + ".";

    /// <inheritdoc/>
    public Task OnLoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);

        // Both calls are idempotent in the kernel (a reference or using that is already there is not added again).
        kernel.AddAssemblyReference(typeof(Vm).Assembly);
        kernel.AddAssemblyReference(typeof(MmuKernelExtension).Assembly);
        kernel.AddUsings(Usings.ToArray());
        MmuFormatters.EnsureRegistered();

        // Registering a directive name again replaces it, so a second load leaves one of each.
        MmuDirectives.Register(kernel);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Loads the extension into <paramref name="kernel"/> from a cell (the script-based route for kernels that did
    /// not preload it) and prints <see cref="Summary"/> into the running cell, if any.
    /// </summary>
    public static async Task LoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        await new MmuKernelExtension().OnLoadAsync(kernel).ConfigureAwait(false);
        KernelInvocationContext.Current?.Publish(new StandardOutputProduced(Summary + "\n"));
    }

    private static string FriendlyName(Type type) =>
        type.IsGenericType ? type.GetGenericArguments()[0].Name + "[]" : type.Name;
}
