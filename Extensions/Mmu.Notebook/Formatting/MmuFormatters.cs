using System.Collections.Immutable;
using Workbench.Interactive.Formatting;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Html;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>Registers the MMU renderings with the kernel's <see cref="Formatter"/>.</summary>
public static class MmuFormatters
{
    private static readonly object s_gate = new();

    /// <summary>The types that get an HTML and a plain-text rendering.</summary>
    public static IReadOnlyList<Type> FormattedTypes { get; } =
    [
        typeof(WalkResult), typeof(WalkTrace), typeof(ImmutableArray<TraceEntry>), typeof(CpuRegisters), typeof(Vcpu), typeof(Vm),
        typeof(PageFormat), typeof(ExperimentRun), typeof(ExperimentResult),
    ];

    /// <summary>
    /// Registers the formatters unless they are registered already. The formatter table is process-wide, so a
    /// second load (another kernel, <c>#!mmu-load</c> again) must not stack duplicates; after
    /// <see cref="Formatter.ResetToDefault"/> the preferred MIME types are gone and this registers again.
    /// </summary>
    public static void EnsureRegistered()
    {
        lock (s_gate)
        {
            if (FormattedTypes.All(t => Formatter.GetPreferredMimeTypesFor(t).Contains(Formatter.HtmlMimeType)))
            {
                return;
            }

            Add<WalkResult>(r => Html(MmuHtml.WalkResult(r)), MmuText.WalkResult);
            Add<WalkTrace>(t => Html(MmuHtml.WalkTrace(t.Entries)), t => MmuText.WalkTrace(t.Entries));
            Add<ImmutableArray<TraceEntry>>(t => Html(MmuHtml.WalkTrace(t.IsDefault ? [] : t)), t => MmuText.WalkTrace(t.IsDefault ? [] : t));
            Add<CpuRegisters>(r => Html(MmuHtml.Registers(r)), MmuText.Registers);
            Add<Vcpu>(v => Html(MmuHtml.Vcpu(v)), MmuText.Vcpu);
            Add<Vm>(v => Html(MmuHtml.Vcpu(v.Vcpu)), v => MmuText.Vcpu(v.Vcpu));
            Add<PageFormat>(f => Html(MmuHtml.PageFormat(f)), MmuText.PageFormat);
            Add<ExperimentRun>(r => Html(MmuHtml.ExperimentRun(r)), MmuText.ExperimentRun);
            Add<ExperimentResult>(r => Html(MmuHtml.ExperimentResult(r)), MmuText.ExperimentResult);
        }
    }

    /// <summary>One output: the rendering wrapped with the style sheet (<see cref="Theme.Document"/>).</summary>
    public static string Html(HtmlNode content) => Theme.Document(content).ToString();

    private static void Add<T>(Func<T, string> html, Func<T, string> text)
    {
        Formatter.Register(html, Formatter.HtmlMimeType);
        Formatter.Register(text, Formatter.PlainTextMimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(T), Formatter.HtmlMimeType);
    }
}
