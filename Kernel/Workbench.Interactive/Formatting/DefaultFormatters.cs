using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;

namespace Workbench.Interactive.Formatting;

/// <summary>The built-in renderings used when no registered or attribute formatter applies.</summary>
internal static class DefaultFormatters
{
    /// <summary>True for values shown as a single piece of text rather than as a table of members.</summary>
    public static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive ||
            type.IsEnum ||
            type.IsPointer ||
            type == typeof(string) ||
            type == typeof(decimal) ||
            type == typeof(DateTime) ||
            type == typeof(DateTimeOffset) ||
            type == typeof(DateOnly) ||
            type == typeof(TimeOnly) ||
            type == typeof(TimeSpan) ||
            type == typeof(Guid) ||
            type == typeof(Uri) ||
            type == typeof(Half) ||
            type == typeof(Int128) ||
            type == typeof(UInt128) ||
            type == typeof(System.Numerics.BigInteger) ||
            type == typeof(System.Text.StringBuilder) ||
            typeof(Type).IsAssignableFrom(type) ||
            typeof(Exception).IsAssignableFrom(type) ||
            typeof(Delegate).IsAssignableFrom(type) ||
            typeof(MemberInfo).IsAssignableFrom(type) ||
            typeof(System.Threading.Tasks.Task).IsAssignableFrom(type) ||
            type == typeof(HtmlString);
    }

    /// <summary>Collections and objects with readable members get an HTML table in the default bundle.</summary>
    public static bool WantsHtmlByDefault(Type type)
    {
        if (IsScalar(type))
        {
            return false;
        }

        if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            return true;
        }

        return GetMembers(type).Length > 0;
    }

    public static void WritePlainText(object? value, TextWriter writer, int depth)
    {
        switch (value)
        {
            case null:
                writer.Write("<null>");
                return;
            case string text:
                writer.Write(text);
                return;
            case HtmlString html:
                writer.Write(html.Value);
                return;
            case IFormattable formattable when IsScalar(value.GetType()):
                writer.Write(formattable.ToString(null, CultureInfo.InvariantCulture));
                return;
            case Type type:
                writer.Write(TypeName(type));
                return;
        }

        Type valueType = value.GetType();
        if (IsScalar(valueType))
        {
            writer.Write(value.ToString());
            return;
        }

        if (value is IDictionary dictionary)
        {
            WriteDictionaryText(dictionary, writer, depth);
            return;
        }

        if (value is IEnumerable sequence && !OverridesToString(valueType))
        {
            WriteSequenceText(sequence, writer, depth);
            return;
        }

        if (OverridesToString(valueType))
        {
            writer.Write(value.ToString());
            return;
        }

        WriteObjectText(value, writer, depth);
    }

    public static void WriteHtml(object? value, TextWriter writer, int depth)
    {
        switch (value)
        {
            case null:
                writer.Write("<div class=\"wb-null\">&lt;null&gt;</div>");
                return;
            case HtmlString html:
                writer.Write(html.Value);
                return;
        }

        Type type = value.GetType();
        if (depth >= Formatter.RecursionLimit || IsScalar(type))
        {
            writer.Write("<div class=\"wb-plaintext\"><pre>");
            writer.Write(Encode(value.ToDisplayString()));
            writer.Write("</pre></div>");
            return;
        }

        if (value is IDictionary dictionary)
        {
            WriteDictionaryHtml(dictionary, writer, depth);
        }
        else if (value is IEnumerable sequence)
        {
            WriteSequenceHtml(sequence, writer, depth);
        }
        else
        {
            WriteObjectHtml(value, writer, depth);
        }
    }

    private static void WriteSequenceText(IEnumerable sequence, TextWriter writer, int depth)
    {
        if (depth >= Formatter.RecursionLimit)
        {
            writer.Write(TypeName(sequence.GetType()));
            return;
        }

        writer.Write("[ ");
        int count = 0;
        IEnumerator enumerator = sequence.GetEnumerator();
        try
        {
            while (enumerator.MoveNext())
            {
                if (count == Formatter.ListExpansionLimit)
                {
                    writer.Write(", ... (more)");
                    break;
                }

                if (count > 0)
                {
                    writer.Write(", ");
                }

                Formatter.FormatNested(enumerator.Current, Formatter.PlainTextMimeType, writer, depth + 1);
                count++;
            }
        }
        finally
        {
            (enumerator as IDisposable)?.Dispose();
        }

        writer.Write(count == 0 ? "]" : " ]");
    }

    private static void WriteDictionaryText(IDictionary dictionary, TextWriter writer, int depth)
    {
        if (depth >= Formatter.RecursionLimit)
        {
            writer.Write(TypeName(dictionary.GetType()));
            return;
        }

        writer.Write("{ ");
        int count = 0;
        foreach (DictionaryEntry entry in dictionary)
        {
            if (count == Formatter.ListExpansionLimit)
            {
                writer.Write(", ... (more)");
                break;
            }

            if (count > 0)
            {
                writer.Write(", ");
            }

            Formatter.FormatNested(entry.Key, Formatter.PlainTextMimeType, writer, depth + 1);
            writer.Write(": ");
            Formatter.FormatNested(entry.Value, Formatter.PlainTextMimeType, writer, depth + 1);
            count++;
        }

        writer.Write(count == 0 ? "}" : " }");
    }

    private static void WriteObjectText(object value, TextWriter writer, int depth)
    {
        Type type = value.GetType();
        writer.Write(TypeName(type));
        if (depth >= Formatter.RecursionLimit)
        {
            return;
        }

        MemberInfo[] members = GetMembers(type);
        if (members.Length == 0)
        {
            return;
        }

        writer.Write(" { ");
        for (int i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                writer.Write(", ");
            }

            writer.Write(members[i].Name);
            writer.Write(" = ");
            Formatter.FormatNested(ReadMember(members[i], value), Formatter.PlainTextMimeType, writer, depth + 1);
        }

        writer.Write(" }");
    }

    private static void WriteSequenceHtml(IEnumerable sequence, TextWriter writer, int depth)
    {
        var items = new List<object?>();
        bool more = false;
        foreach (object? item in sequence)
        {
            if (items.Count == Formatter.ListExpansionLimit)
            {
                more = true;
                break;
            }

            items.Add(item);
        }

        // Objects of one shape get a column per member; anything else gets a single value column.
        Type? rowType = items.FirstOrDefault(item => item is not null)?.GetType();
        MemberInfo[] columns = rowType is not null && !IsScalar(rowType) && !typeof(IEnumerable).IsAssignableFrom(rowType) &&
            items.All(item => item is null || item.GetType() == rowType)
            ? GetMembers(rowType)
            : Array.Empty<MemberInfo>();

        writer.Write("<table><thead><tr><th><i>index</i></th>");
        if (columns.Length == 0)
        {
            writer.Write("<th>value</th>");
        }

        foreach (MemberInfo column in columns)
        {
            writer.Write("<th>");
            writer.Write(Encode(column.Name));
            writer.Write("</th>");
        }

        writer.Write("</tr></thead><tbody>");
        for (int i = 0; i < items.Count; i++)
        {
            writer.Write("<tr><td>");
            writer.Write(i.ToString(CultureInfo.InvariantCulture));
            writer.Write("</td>");
            if (columns.Length == 0 || items[i] is null)
            {
                writer.Write(columns.Length > 1 ? $"<td colspan=\"{columns.Length}\">" : "<td>");
                WriteCellHtml(items[i], writer, depth);
                writer.Write("</td>");
            }
            else
            {
                foreach (MemberInfo column in columns)
                {
                    writer.Write("<td>");
                    WriteCellHtml(ReadMember(column, items[i]!), writer, depth);
                    writer.Write("</td>");
                }
            }

            writer.Write("</tr>");
        }

        if (more)
        {
            writer.Write($"<tr><td colspan=\"{Math.Max(columns.Length, 1) + 1}\"><i>... (more)</i></td></tr>");
        }

        writer.Write("</tbody></table>");
    }

    private static void WriteDictionaryHtml(IDictionary dictionary, TextWriter writer, int depth)
    {
        writer.Write("<table><thead><tr><th><i>key</i></th><th>value</th></tr></thead><tbody>");
        int count = 0;
        foreach (DictionaryEntry entry in dictionary)
        {
            if (count == Formatter.ListExpansionLimit)
            {
                writer.Write("<tr><td colspan=\"2\"><i>... (more)</i></td></tr>");
                break;
            }

            writer.Write("<tr><td>");
            WriteCellHtml(entry.Key, writer, depth);
            writer.Write("</td><td>");
            WriteCellHtml(entry.Value, writer, depth);
            writer.Write("</td></tr>");
            count++;
        }

        writer.Write("</tbody></table>");
    }

    private static void WriteObjectHtml(object value, TextWriter writer, int depth)
    {
        MemberInfo[] members = GetMembers(value.GetType());
        if (members.Length == 0)
        {
            writer.Write("<div class=\"wb-plaintext\"><pre>");
            writer.Write(Encode(value.ToDisplayString()));
            writer.Write("</pre></div>");
            return;
        }

        writer.Write("<table><thead><tr>");
        foreach (MemberInfo member in members)
        {
            writer.Write("<th>");
            writer.Write(Encode(member.Name));
            writer.Write("</th>");
        }

        writer.Write("</tr></thead><tbody><tr>");
        foreach (MemberInfo member in members)
        {
            writer.Write("<td>");
            WriteCellHtml(ReadMember(member, value), writer, depth);
            writer.Write("</td>");
        }

        writer.Write("</tr></tbody></table>");
    }

    /// <summary>Cells hold plain text unless the value is itself a collection or object worth a nested table.</summary>
    private static void WriteCellHtml(object? value, TextWriter writer, int depth)
    {
        if (value is not null && depth + 1 < Formatter.RecursionLimit)
        {
            using var candidate = new StringWriter(CultureInfo.InvariantCulture);
            if (Formatter.TryFormat(value, Formatter.HtmlMimeType, candidate))
            {
                writer.Write(candidate.ToString());
                return;
            }
        }

        if (value is not null && !IsScalar(value.GetType()) && value is IEnumerable && depth + 1 < Formatter.RecursionLimit)
        {
            WriteHtml(value, writer, depth + 1);
            return;
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        Formatter.FormatNested(value, Formatter.PlainTextMimeType, text, depth + 1);
        writer.Write(Encode(text.ToString()));
    }

    private static MemberInfo[] GetMembers(Type type)
    {
        var members = new List<MemberInfo>();
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            if (property.CanRead && property.GetIndexParameters().Length == 0 && property.GetMethod!.IsPublic &&
                property.Name != "EqualityContract")
            {
                members.Add(property);
            }
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public))
        {
            members.Add(field);
        }

        return members.ToArray();
    }

    private static object? ReadMember(MemberInfo member, object instance)
    {
        try
        {
            return member switch
            {
                PropertyInfo property => property.GetValue(instance),
                FieldInfo field => field.GetValue(instance),
                _ => null,
            };
        }
        catch (TargetInvocationException exception)
        {
            return $"<{exception.InnerException?.GetType().Name ?? "error"}: {exception.InnerException?.Message}>";
        }
    }

    private static bool OverridesToString(Type type)
    {
        MethodInfo? toString = type.GetMethod(nameof(ToString), BindingFlags.Instance | BindingFlags.Public, Type.EmptyTypes);
        return toString is not null && toString.DeclaringType != typeof(object) && toString.DeclaringType != typeof(ValueType);
    }

    internal static string TypeName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.IsArray ? TypeName(type.GetElementType()!) + "[]" : type.Name;
        }

        string name = type.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0)
        {
            name = name[..tick];
        }

        if (name.Contains("AnonymousType", StringComparison.Ordinal))
        {
            return "{ anonymous }";
        }

        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">";
    }

    internal static string Encode(string text) => WebUtility.HtmlEncode(text);
}
