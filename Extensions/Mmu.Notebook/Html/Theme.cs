namespace Workbench.Mmu.Notebook.Html;

/// <summary>
/// The look of every MMU output: a small style sheet scoped to <c>.mmu</c> and the class names it defines.
/// Notebook front ends may be light or dark, so text keeps the front end's colour (<c>inherit</c>) and emphasis is
/// a semi-transparent background or a weight/opacity change, which reads on either.
/// </summary>
public static class Theme
{
    /// <summary>Class of the element that wraps one output; every rule below is scoped to it.</summary>
    public const string Root = "mmu";

    /// <summary>Tables.</summary>
    public const string Table = "mmu-table";

    /// <summary>A highlighted table row (A/D write-backs, a faulting step).</summary>
    public const string HighlightRow = "mmu-hl";

    /// <summary>A cell spanning its row (details under the row above).</summary>
    public const string SpanningCell = "mmu-span";

    /// <summary>A table cell holding a set bit.</summary>
    public const string BitOn = "mmu-on";

    /// <summary>A table cell holding a clear bit.</summary>
    public const string BitOff = "mmu-off";

    /// <summary>A table cell that is a fault.</summary>
    public const string FaultCell = "mmu-fault";

    /// <summary>
    /// The style sheet. The selectors are two classes deep so they win over front-end table styles of one class
    /// (JupyterLab's <c>.jp-RenderedHTMLCommon td</c>), and apply only inside <see cref="Root"/>.
    /// </summary>
    public const string StyleSheet =
        ".mmu{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:inherit;line-height:1.5}" +
        ".mmu .mmu-table{border-collapse:collapse;margin:4px 0;color:inherit;background:transparent;font-size:12px}" +
        ".mmu .mmu-table caption{caption-side:top;text-align:left;font-weight:600;padding:2px 0;color:inherit}" +
        ".mmu .mmu-table th,.mmu .mmu-table td{border:1px solid rgba(127,127,127,.35);padding:2px 6px;text-align:left;vertical-align:top;color:inherit}" +
        ".mmu .mmu-table th{background:rgba(127,127,127,.15)}" +
        ".mmu .mmu-table tr.mmu-hl td{background:rgba(255,193,7,.18)}" +
        ".mmu .mmu-table td.mmu-span{padding:2px 6px 6px 24px;background:rgba(127,127,127,.05)}" +
        ".mmu .mmu-table td.mmu-on{font-weight:600}" +
        ".mmu .mmu-table td.mmu-off{opacity:.45}" +
        ".mmu .mmu-table td.mmu-fault{background:rgba(220,53,69,.22);font-weight:600}" +
        ".mmu .mmu-card{border:1px solid rgba(127,127,127,.35);border-radius:4px;padding:6px 10px;margin:4px 0;background:rgba(127,127,127,.04)}" +
        ".mmu .mmu-title{font-weight:600;margin-bottom:4px}" +
        ".mmu .mmu-faint{opacity:.7}" +
        ".mmu code{font-family:inherit;color:inherit;background:transparent;padding:0}" +
        ".mmu .mmu-badge{display:inline-block;padding:0 6px;border-radius:8px;font-weight:600;border:1px solid rgba(127,127,127,.35);background:rgba(127,127,127,.15)}" +
        ".mmu .mmu-badge.mmu-ok{background:rgba(25,135,84,.22)}" +
        ".mmu .mmu-badge.mmu-bad{background:rgba(220,53,69,.22)}" +
        ".mmu .mmu-badge.mmu-notice{background:rgba(255,193,7,.25)}" +
        ".mmu .mmu-chip{display:inline-block;margin:0 2px;padding:0 4px;border-radius:3px}" +
        ".mmu .mmu-chip.mmu-set{font-weight:600;background:rgba(13,110,253,.22)}" +
        ".mmu .mmu-chip.mmu-clear{opacity:.45;text-decoration:line-through}";

    /// <summary>What a badge means.</summary>
    public enum Tone
    {
        /// <summary>Neutral information.</summary>
        Neutral,

        /// <summary>Success: a translation.</summary>
        Ok,

        /// <summary>A fault.</summary>
        Fault,

        /// <summary>Something to notice (a VM exit, a write-back).</summary>
        Notice,
    }

    /// <summary>
    /// Wraps one output: the <see cref="Root"/> element with the style sheet in front of the content. Each output
    /// carries its own copy because front ends show outputs independently (and reports may drop any of them).
    /// </summary>
    public static HtmlElement Document(params object?[] content) =>
        new HtmlElement("div", new HtmlElement("style", new HtmlRaw(StyleSheet))).Class(Root).Add(content);

    /// <summary>A rounded label: <c>ok</c>, <c>#PF</c>, ...</summary>
    public static HtmlElement Badge(string text, Tone tone) =>
        new HtmlElement("span", text).Class(tone switch
        {
            Tone.Ok => "mmu-badge mmu-ok",
            Tone.Fault => "mmu-badge mmu-bad",
            Tone.Notice => "mmu-badge mmu-notice",
            _ => "mmu-badge",
        });

    /// <summary>A bit name shown set (emphasised) or clear (faint, struck through); <paramref name="title"/> is hover text.</summary>
    public static HtmlElement Chip(string name, bool set, string? title = null) =>
        new HtmlElement("span", name).Class(set ? "mmu-chip mmu-set" : "mmu-chip mmu-clear").Title(title);

    /// <summary>A bordered card with a title.</summary>
    public static HtmlElement Card(string title, params object?[] content) =>
        new HtmlElement("div", new HtmlElement("div", title).Class("mmu-title")).Class("mmu-card").Add(content);

    /// <summary>Fainter text.</summary>
    public static HtmlElement Faint(string text) => new HtmlElement("span", text).Class("mmu-faint");

    /// <summary>Text in a fixed-width font.</summary>
    public static HtmlElement Code(string text) => new HtmlElement("code", text);
}
