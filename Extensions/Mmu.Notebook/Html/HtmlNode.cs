using System.Globalization;
using System.Net;

namespace Workbench.Mmu.Notebook.Html;

/// <summary>
/// A piece of HTML that writes itself. Text is always encoded on the way out, so formatters build trees of
/// nodes instead of concatenating strings and never have to think about escaping guest-provided names.
/// </summary>
public abstract class HtmlNode
{
    /// <summary>Writes the markup.</summary>
    public abstract void WriteTo(TextWriter writer);

    /// <summary>The markup as a string.</summary>
    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteTo(writer);
        return writer.ToString();
    }
}

/// <summary>Plain text, HTML-encoded when written.</summary>
public sealed class HtmlText : HtmlNode
{
    /// <summary>Creates a text node.</summary>
    public HtmlText(string? text)
    {
        Text = text ?? string.Empty;
    }

    /// <summary>The unencoded text.</summary>
    public string Text { get; }

    /// <inheritdoc/>
    public override void WriteTo(TextWriter writer) => writer.Write(WebUtility.HtmlEncode(Text));
}

/// <summary>An element with attributes (values encoded) and children.</summary>
public sealed class HtmlElement : HtmlNode
{
    // Void elements have no closing tag (HTML Living Standard 13.1.2).
    private static readonly HashSet<string> s_voidElements = new(StringComparer.Ordinal) { "br", "hr", "img", "col", "meta", "wbr" };

    private readonly List<KeyValuePair<string, string>> _attributes = new();
    private readonly List<HtmlNode> _children = new();

    /// <summary>Creates an element.</summary>
    /// <param name="tag">Lower-case tag name.</param>
    /// <param name="children">Nodes or strings (strings become text); nulls are skipped.</param>
    public HtmlElement(string tag, params object?[] children)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        Tag = tag;
        Add(children);
    }

    /// <summary>The tag name.</summary>
    public string Tag { get; }

    /// <summary>The children in order.</summary>
    public IReadOnlyList<HtmlNode> Children => _children;

    /// <summary>Sets an attribute (replacing an earlier value); returns this element.</summary>
    public HtmlElement Attr(string name, string? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _attributes.RemoveAll(a => a.Key == name);
        if (value is not null)
        {
            _attributes.Add(new KeyValuePair<string, string>(name, value));
        }

        return this;
    }

    /// <summary>Sets the <c>class</c> attribute; returns this element.</summary>
    public HtmlElement Class(string? names) => Attr("class", names);

    /// <summary>Sets the <c>title</c> attribute (hover text); returns this element.</summary>
    public HtmlElement Title(string? text) => Attr("title", text);

    /// <summary>Appends children: nodes, strings (as text) or sequences of them; nulls are skipped.</summary>
    public HtmlElement Add(params object?[] children)
    {
        foreach (object? child in children)
        {
            Append(child);
        }

        return this;
    }

    /// <inheritdoc/>
    public override void WriteTo(TextWriter writer)
    {
        writer.Write('<');
        writer.Write(Tag);
        foreach (KeyValuePair<string, string> attribute in _attributes)
        {
            writer.Write(' ');
            writer.Write(attribute.Key);
            writer.Write("=\"");
            writer.Write(WebUtility.HtmlEncode(attribute.Value));
            writer.Write('"');
        }

        writer.Write('>');
        if (s_voidElements.Contains(Tag))
        {
            return;
        }

        foreach (HtmlNode child in _children)
        {
            child.WriteTo(writer);
        }

        writer.Write("</");
        writer.Write(Tag);
        writer.Write('>');
    }

    private void Append(object? child)
    {
        switch (child)
        {
            case null:
                break;
            case HtmlNode node:
                _children.Add(node);
                break;
            case string text:
                _children.Add(new HtmlText(text));
                break;
            case System.Collections.IEnumerable sequence:
                foreach (object? item in sequence)
                {
                    Append(item);
                }

                break;
            default:
                _children.Add(new HtmlText(Convert.ToString(child, CultureInfo.InvariantCulture)));
                break;
        }
    }
}

/// <summary>Markup written as is: only for fixed fragments of this assembly, never for user or guest data.</summary>
public sealed class HtmlRaw : HtmlNode
{
    /// <summary>Wraps trusted markup.</summary>
    public HtmlRaw(string markup)
    {
        Markup = markup ?? string.Empty;
    }

    /// <summary>The markup.</summary>
    public string Markup { get; }

    /// <inheritdoc/>
    public override void WriteTo(TextWriter writer) => writer.Write(Markup);
}
