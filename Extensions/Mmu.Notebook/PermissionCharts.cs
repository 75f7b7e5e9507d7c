using Workbench.Charts;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Notebook.Decoding;
using Workbench.Mmu.Notebook.Formatting;
using Workbench.Mmu.Permissions;

namespace Workbench.Mmu.Notebook;

/// <summary>Charts of the permission checks KVM precomputes.</summary>
public static class PermissionCharts
{
    /// <summary>
    /// The permission table (KVM <c>permissions[16]</c>) as a heatmap: one row per access kind (the pfec index:
    /// W, U, "not SMAP" and F bits), one column per effective access-rights value U:W:X of the page; a dark cell is a
    /// #PF. Comparing two formats (CR0.WP on and off, SMEP on and off) shows exactly which accesses change.
    /// </summary>
    /// <param name="format">E.g. <c>vm.Vcpu.WalkFormat</c> or <c>PageFormat.ForGuest(role, 46, true, false)</c>.</param>
    /// <param name="title">Chart title; default "Permission table".</param>
    public static Figure Matrix(PageFormat format, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        ReadOnlySpan<byte> permissions = format.Permissions;
        var rows = new List<string>();
        var z = new List<int[]>();
        var text = new List<string[]>();
        for (int index = 0; index < permissions.Length; index++)
        {
            rows.Add($"{index,2}: {MmuHtml.PermissionIndexName(index)}");
            var row = new int[8];
            var labels = new string[8];
            for (int access = 0; access < 8; access++)
            {
                bool fault = ((permissions[index] >> access) & 1) != 0;
                row[access] = fault ? 1 : 0;
                labels[access] = fault ? "#PF" : "ok";
            }

            z.Add(row);
            text.Add(labels);
        }

        string[] columns = Enumerable.Range(0, 8).Select(v => Bits.AccessLetters((Acc)v)).ToArray();
        var heatmap = new Heatmap
        {
            Name = "permission fault",
            Z = z,
            X = columns,
            Y = rows,
            Text = text,
            TextTemplate = "%{text}",
            ZMin = 0,
            ZMax = 1,
            ShowScale = false,
            XGap = 2,
            YGap = 2,
            ColorScale = new object[] { new object[] { 0, "rgba(25,135,84,0.35)" }, new object[] { 1, "rgba(220,53,69,0.85)" } },
            HoverTemplate = "%{y}<br>page rights %{x}: %{text}<extra></extra>",
        };
        return new Figure(heatmap)
        {
            Layout =
            {
                Title = title ?? "Permission table",
                Height = 520,
                XAxis = { Title = "page rights (U W X)", Type = "category" },
                YAxis = { Title = "access (pfec index)", Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50, Left = 260 },
            },
        };
    }
}
