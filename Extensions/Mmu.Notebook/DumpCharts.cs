using System.Globalization;
using Workbench.Charts;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Shadow;

namespace Workbench.Mmu.Notebook;

/// <summary>Charts of the MMU state (<c>#!mmu-dump</c>).</summary>
public static class DumpCharts
{
    /// <summary>
    /// Shadow pages as a sunburst: MMU object → page level → kind (direct, shadowing a guest table, or an unsync
    /// shadow of a last-level guest table), each sector sized by its number of pages. A TDP MMU is all direct pages;
    /// shadow paging shows one page per guest table it shadows.
    /// </summary>
    public static Figure ShadowPages(DumpReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ids = new List<string>();
        var labels = new List<string>();
        var parents = new List<string>();
        var values = new List<int>();
        void Sector(string id, string label, string parent, int value)
        {
            ids.Add(id);
            labels.Add(label);
            parents.Add(parent);
            values.Add(value);
        }

        foreach (MmuDump mmu in report.Mmus)
        {
            Sector(mmu.Mmu, DisplayNames.Mmu(mmu.Mmu), string.Empty, mmu.ShadowPages.Length);
            foreach (IGrouping<int, ShadowPageDump> level in mmu.ShadowPages.GroupBy(p => p.Level).OrderByDescending(g => g.Key))
            {
                string levelId = string.Create(CultureInfo.InvariantCulture, $"{mmu.Mmu}/L{level.Key}");
                Sector(levelId, string.Create(CultureInfo.InvariantCulture, $"L{level.Key}"), mmu.Mmu, level.Count());
                foreach (IGrouping<string, ShadowPageDump> kind in level.GroupBy(KindOf).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    Sector($"{levelId}/{kind.Key}", kind.Key, levelId, kind.Count());
                }
            }
        }

        var sunburst = new Sunburst
        {
            Name = "shadow pages",
            Ids = ids,
            Labels = labels,
            Parents = parents,
            Values = values,
            BranchValues = "total",
            TextInfo = "label+value",
            HoverTemplate = "%{id}: %{value} page(s)<extra></extra>",
        };
        int pages = report.Mmus.Sum(m => m.ShadowPages.Length);
        return new Figure(sunburst)
        {
            Layout =
            {
                Title = string.Create(CultureInfo.InvariantCulture, $"Shadow pages of {report.Guest}: {pages} in {report.Mmus.Length} MMU object(s)"),
                Height = 420,
                Margin = { Top = 50, Bottom = 10, Left = 10, Right = 10 },
            },
        };
    }

    /// <summary>The kind of a shadow page as the sunburst's outer ring names it.</summary>
    internal static string KindOf(ShadowPageDump page) => page.Direct ? "direct" : page.Unsync ? "shadow, unsync" : "shadow";
}
