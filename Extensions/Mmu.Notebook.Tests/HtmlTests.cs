using Workbench.Mmu.Notebook.Html;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The HTML builder encodes everything that is not markup it wrote itself.</summary>
public class HtmlTests
{
    [Fact]
    public void text_and_attributes_are_encoded()
    {
        var element = new HtmlElement("span", "a < b & \"c\"").Attr("title", "x\" onmouseover=\"alert(1)");
        Assert.Equal("<span title=\"x&quot; onmouseover=&quot;alert(1)\">a &lt; b &amp; &quot;c&quot;</span>", element.ToString());
    }

    [Fact]
    public void void_elements_have_no_end_tag_and_null_children_are_skipped()
    {
        Assert.Equal("<div>a<br>b</div>", new HtmlElement("div", "a", null, new HtmlElement("br"), "b").ToString());
    }

    [Fact]
    public void table_has_header_rows_titles_and_spanning_cells()
    {
        var table = new HtmlTable("level", "gpa") { Caption = "walk" }
            .DescribeColumn("gpa", "guest-physical address")
            .AddRow("4", "0x1000")
            .AddStyledRow(Theme.HighlightRow, "write-back", "4", new HtmlElement("b", "0x1020"))
            .AddSpanningRow(new HtmlText("<details>"));

        Assert.Equal(
            "<table class=\"mmu-table\"><caption>walk</caption><thead><tr><th>level</th><th title=\"guest-physical address\">gpa</th></tr></thead><tbody>" +
            "<tr><td>4</td><td>0x1000</td></tr>" +
            "<tr class=\"mmu-hl\" title=\"write-back\"><td>4</td><td><b>0x1020</b></td></tr>" +
            "<tr><td colspan=\"2\" class=\"mmu-span\">&lt;details&gt;</td></tr></tbody></table>",
            table.ToString());
        Assert.Equal(3, table.RowCount);
    }

    [Fact]
    public void style_sheet_sets_no_absolute_text_colour()
    {
        // Dark and light themes: text colour is inherited; emphasis is a translucent background.
        Assert.DoesNotMatch(@"(?<![-\w])color:\s*(?!inherit)", Theme.StyleSheet);
        Assert.DoesNotMatch(@"background:\s*(#|black|white|rgb\()", Theme.StyleSheet);
    }

    [Fact]
    public void chart_node_embeds_the_figures_own_html()
    {
        var figure = new Charts.Figure(new Charts.Bar { Name = "<pages>", X = new[] { "L4" }, Y = new[] { 1 } });
        string html = new HtmlElement("div", new HtmlChart(figure)).ToString();
        Assert.StartsWith("<div><div class=\"mmu-chart\"><div id=\"wb-plot-", html);
        Assert.Contains("Plotly.newPlot", html);
        Assert.DoesNotContain("<pages>", html);
        Assert.EndsWith("</script>\n</div></div>", html);
    }
}
