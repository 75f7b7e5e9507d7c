namespace Workbench.Mmu.Notebook.Html;

/// <summary>
/// Builds a <c>&lt;table&gt;</c> styled by <see cref="Theme"/>: a header row, then rows of cells that are strings (encoded) or nodes.
/// </summary>
/// <example>
/// <code>
/// var table = new HtmlTable("level", "gpa").AddRow("4", "0x1000");
/// string html = table.ToElement().ToString();
/// </code>
/// </example>
public sealed class HtmlTable
{
    private readonly List<string> _columns;
    private readonly Dictionary<string, string> _columnTitles = new(StringComparer.Ordinal);
    private readonly List<(object?[] Cells, string? Class, string? Title)> _rows = new();

    /// <summary>Creates a table with the given column headers.</summary>
    public HtmlTable(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns.ToList();
    }

    /// <summary>Optional caption above the table.</summary>
    public string? Caption { get; set; }

    /// <summary>Column headers.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>Number of rows added.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Sets the hover text of a column header (what the column means); returns this table.</summary>
    public HtmlTable DescribeColumn(string column, string description)
    {
        _columnTitles[column] = description;
        return this;
    }

    /// <summary>Appends a row; a cell is a string, a node, or null (empty).</summary>
    public HtmlTable AddRow(params object?[] cells) => AddStyledRow(null, null, cells);

    /// <summary>Appends a row with a class (e.g. <see cref="Theme.HighlightRow"/>) and hover text.</summary>
    public HtmlTable AddStyledRow(string? cssClass, string? title, params object?[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        _rows.Add((cells, cssClass, title));
        return this;
    }

    /// <summary>Appends one cell spanning every column (details under the row before it).</summary>
    public HtmlTable AddSpanningRow(HtmlNode content)
    {
        _rows.Add((new object?[] { new SpanningCell(content) }, null, null));
        return this;
    }

    /// <summary>The table element.</summary>
    public HtmlElement ToElement()
    {
        var table = new HtmlElement("table").Class(Theme.Table);
        if (Caption is not null)
        {
            table.Add(new HtmlElement("caption", Caption));
        }

        var header = new HtmlElement("tr");
        foreach (string column in _columns)
        {
            header.Add(new HtmlElement("th", column).Title(_columnTitles.GetValueOrDefault(column)));
        }

        table.Add(new HtmlElement("thead", header));
        var body = new HtmlElement("tbody");
        foreach ((object?[] cells, string? cssClass, string? title) in _rows)
        {
            var row = new HtmlElement("tr").Class(cssClass).Title(title);
            foreach (object? cell in cells)
            {
                row.Add(cell switch
                {
                    SpanningCell spanning => new HtmlElement("td", spanning.Content)
                        .Attr("colspan", _columns.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
                        .Class(Theme.SpanningCell),
                    HtmlElement { Tag: "td" } td => td,
                    _ => new HtmlElement("td", cell),
                });
            }

            body.Add(row);
        }

        return table.Add(body);
    }

    /// <inheritdoc/>
    public override string ToString() => ToElement().ToString();

    private sealed record SpanningCell(HtmlNode Content);
}
