using System.Collections.Immutable;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Html;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Formatting;

/// <summary>
/// Receives the MMU renderings: each notebook host implements it with its own formatter table, so the renderings
/// are written once (here) and registered by a thin adapter per host.
/// </summary>
public interface IMmuFormatterRegistry
{
    /// <summary>Registers the <c>text/html</c> and <c>text/plain</c> renderings of <typeparamref name="T"/>; HTML is preferred.</summary>
    void Add<T>(Func<T, string> html, Func<T, string> plainText);
}

/// <summary>The MMU renderings (<c>text/html</c> for light and dark themes, and <c>text/plain</c>) of the model's values.</summary>
public static class MmuFormatters
{
    /// <summary>The MIME type of the HTML renderings.</summary>
    public const string HtmlMimeType = "text/html";

    /// <summary>The MIME type of the plain-text renderings.</summary>
    public const string PlainTextMimeType = "text/plain";

    /// <summary>The types that get an HTML and a plain-text rendering.</summary>
    public static IReadOnlyList<Type> FormattedTypes { get; } =
    [
        typeof(WalkResult), typeof(WalkTrace), typeof(ImmutableArray<TraceEntry>), typeof(CpuRegisters), typeof(Vcpu), typeof(Vm),
        typeof(PageFormat), typeof(ExperimentRun), typeof(ExperimentResult),
        typeof(GuestCard), typeof(AccessReport), typeof(WalkReport), typeof(FaultReport), typeof(DumpReport), typeof(SweepOutcomes),
        .. SessionRendering.FormattedTypes,
        .. VariantRendering.FormattedTypes,
    ];

    /// <summary>Hands every rendering of <see cref="FormattedTypes"/> to <paramref name="registry"/>.</summary>
    public static void RegisterAll(IMmuFormatterRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<WalkResult>(r => Html(MmuHtml.WalkResult(r)), MmuText.WalkResult);
        registry.Add<WalkTrace>(t => Html(MmuHtml.WalkTrace(t.Entries)), t => MmuText.WalkTrace(t.Entries));
        registry.Add<ImmutableArray<TraceEntry>>(t => Html(MmuHtml.WalkTrace(t.IsDefault ? [] : t)), t => MmuText.WalkTrace(t.IsDefault ? [] : t));
        registry.Add<CpuRegisters>(r => Html(MmuHtml.Registers(r)), MmuText.Registers);
        registry.Add<Vcpu>(v => Html(MmuHtml.Vcpu(v)), MmuText.Vcpu);
        registry.Add<Vm>(v => Html(MmuHtml.Vcpu(v.Vcpu)), v => MmuText.Vcpu(v.Vcpu));
        registry.Add<PageFormat>(f => Html(MmuHtml.PageFormat(f)), MmuText.PageFormat);
        registry.Add<ExperimentRun>(r => Html(MmuHtml.ExperimentRun(r)), MmuText.ExperimentRun);
        registry.Add<ExperimentResult>(r => Html(MmuHtml.ExperimentResult(r)), MmuText.ExperimentResult);
        registry.Add<GuestCard>(c => Html(MmuHtml.GuestCard(c)), MmuText.GuestCard);
        registry.Add<AccessReport>(r => Html(MmuHtml.AccessReport(r)), MmuText.AccessReport);
        registry.Add<WalkReport>(r => Html(MmuHtml.WalkReport(r)), MmuText.WalkReport);
        registry.Add<FaultReport>(r => Html(MmuHtml.FaultReport(r)), MmuText.FaultReport);
        registry.Add<DumpReport>(r => Html(MmuHtml.DumpReport(r)), MmuText.DumpReport);
        registry.Add<SweepOutcomes>(o => Html(MmuHtml.SweepOutcomes(o)), MmuText.SweepOutcomes);
        SessionRendering.RegisterAll(registry);
        VariantRendering.RegisterAll(registry);
    }

    /// <summary>One output: the rendering wrapped with the style sheet (<see cref="Theme.Document"/>).</summary>
    public static string Html(HtmlNode content) => Theme.Document(content).ToString();
}
