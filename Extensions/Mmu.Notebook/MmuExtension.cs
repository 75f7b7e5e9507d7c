using Workbench.Mmu.Notebook.Commands;
using Workbench.Mmu.Notebook.Formatting;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// What loading the MMU Workbench into any notebook host means, independent of the host: the namespaces cells
/// import, the summary printed on load, and the assemblies cells reference. The host adapters
/// (<c>Workbench.Mmu.Notebook.Workbench</c> for our kernel, <c>Workbench.Mmu.Notebook.DotNetInteractive</c> for
/// .NET Interactive) apply it with their own API.
/// </summary>
public static class MmuExtension
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
        "Workbench.Mmu.Contexts",
        "Workbench.Mmu.Nested",
        "Workbench.Mmu.Shadow",
        "Workbench.Mmu.Analysis",
        "Workbench.Mmu.Notebook",
        "Workbench.Charts",
    ];

    /// <summary>The assemblies cells need to use the model, its renderings and the charts.</summary>
    public static IReadOnlyList<System.Reflection.Assembly> Assemblies { get; } =
    [
        typeof(Vm).Assembly,
        typeof(MmuExtension).Assembly,
        typeof(Workbench.Charts.Figure).Assembly,
    ];

    /// <summary>The one-line summary a load prints.</summary>
    public static string Summary =>
        "MMU Workbench loaded: magic commands " + string.Join(", ", MmuCommands.Names) +
        " (add -h for help); rich output for " + string.Join(", ", MmuFormatters.FormattedTypes.Select(FriendlyName).Distinct()) +
        "; charts WalkCharts.Levels, PermissionCharts.Matrix; usings " + string.Join(", ", Usings) + ".";

    private static string FriendlyName(Type type) =>
        type.IsGenericType ? type.GetGenericArguments()[0].Name + "[]" : type.Name;
}
