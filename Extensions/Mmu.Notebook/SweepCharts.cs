using System.Globalization;
using Workbench.Charts;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Notebook.Decoding;

namespace Workbench.Mmu.Notebook;

/// <summary>Charts of an access.c sweep's outcomes (<c>#!mmu-sweep</c>).</summary>
public static class SweepCharts
{
    /// <summary>One bar per page-fault error code the faulting cases got, with its bits named (SDM Vol. 3A 4.7).</summary>
    public static Figure ErrorCodes(SweepOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var codes = outcomes.ErrorCodes.Keys.ToList();
        var bar = new Bar
        {
            Name = "faulting cases",
            X = codes.Select(ErrorCodeLabel).ToArray(),
            Y = codes.Select(c => outcomes.ErrorCodes[c]).ToArray(),
            Text = codes.Select(c => outcomes.ErrorCodes[c].ToString("N0", CultureInfo.InvariantCulture)).ToArray(),
            TextPosition = "outside",
            HoverTemplate = "%{x}: %{y:,} cases<br>%{customdata}<extra></extra>",
            Marker = { Color = "rgba(220,53,69,0.75)" },
        };
        bar.Extra["customdata"] = codes.Select(c => Bits.ExplainErrorCode((PfErr)c)).ToArray();
        return new Figure(bar)
        {
            Layout =
            {
                Title = string.Create(CultureInfo.InvariantCulture,
                    $"#PF error codes: {outcomes.Faults:N0} faulting of {outcomes.Sweep.CasesRun:N0} cases ({outcomes.Succeeded:N0} completed)"),
                Height = 380,
                XAxis = { Title = "error code", Type = "category", AutoMargin = true },
                YAxis = { Title = "cases", TickFormat = ",d" },
                Margin = { Top = 50 },
            },
        };
    }

    /// <summary>
    /// For every access.c flag that varied, the share of the cases with it set that faulted (horizontal bars, in
    /// access.c's bit order), beside the fault rate of the whole run: a flag far above that line causes faults
    /// (<c>pde.13</c>, a reserved bit of a 2M PDE), one far below prevents them (<c>pde.p</c>).
    /// </summary>
    public static Figure FaultRateByFlag(SweepOutcomes outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var flags = outcomes.Flags.Where(f => f.Cases > 0).ToList();
        double overall = outcomes.Sweep.CasesRun == 0 ? 0 : (double)outcomes.Faults / outcomes.Sweep.CasesRun;
        var bar = new Bar
        {
            Name = "fault rate with the flag set",
            Orientation = "h",
            X = flags.Select(f => f.FaultRate).ToArray(),
            Y = flags.Select(f => f.Flag).ToArray(),
            Text = flags.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Faults:N0} / {f.Cases:N0}")).ToArray(),
            TextPosition = "auto",
            HoverTemplate = "%{y}: %{x:.1%} of the cases with it set faulted (%{text})<extra></extra>",
            Marker = { Color = "rgba(13,110,253,0.7)" },
        };
        var baseline = new Scatter
        {
            Name = string.Create(CultureInfo.InvariantCulture, $"whole run: {overall:P1}"),
            Mode = "lines",
            X = new[] { overall, overall },
            Y = flags.Count == 0 ? Array.Empty<string>() : new[] { flags[0].Flag, flags[^1].Flag },
            HoverTemplate = "whole run: %{x:.1%}<extra></extra>",
        };
        return new Figure(bar, baseline)
        {
            Layout =
            {
                Title = "Fault rate by access.c flag",
                Height = 160 + (18 * flags.Count),
                XAxis = { Title = "faulting cases / cases with the flag", TickFormat = ".0%", Range = new object[] { 0, 1 } },
                YAxis = { Type = "category", AutoRange = "reversed", AutoMargin = true },
                Margin = { Top = 50 },
            },
        };
    }

    /// <summary><c>0x7 P W U</c>: the code and its set bits.</summary>
    internal static string ErrorCodeLabel(uint code) => $"{Bits.Hex(code)} {Bits.ErrorCodeNames((PfErr)code)}";
}
