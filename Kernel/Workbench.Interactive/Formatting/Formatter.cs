using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Newtonsoft.Json;

namespace Workbench.Interactive.Formatting;

/// <summary>
/// Turns values into MIME bundles. Mirrors .NET Interactive's <c>Formatter</c>: registered formatters win over
/// formatters a type ships through a duck-typed <c>[TypeFormatterSource]</c> attribute, which win over the
/// defaults (plain text, an HTML table for collections and objects, JSON).
/// </summary>
/// <remarks>
/// <para>Choosing a formatter for a value of runtime type <c>T</c> and a MIME type, best first:</para>
/// <list type="number">
/// <item>a registration for <c>T</c> itself (or its open generic definition), then for its base classes, nearest
/// first; among equals the latest registration wins;</item>
/// <item>the formatters of a <c>TypeFormatterSourceAttribute</c> on <c>T</c> or its nearest base class that has one;</item>
/// <item>a registration for an interface of <c>T</c> or for <see cref="object"/>;</item>
/// <item>the built-in default.</item>
/// </list>
/// </remarks>
public static class Formatter
{
    /// <summary><c>text/plain</c>.</summary>
    public const string PlainTextMimeType = "text/plain";

    /// <summary><c>text/html</c>.</summary>
    public const string HtmlMimeType = "text/html";

    /// <summary><c>application/json</c>.</summary>
    public const string JsonMimeType = "application/json";

    private const string AttributeTypeName = "TypeFormatterSourceAttribute";

    private static readonly object s_gate = new();
    private static readonly JsonSerializerSettings s_jsonSettings = new()
    {
        ReferenceLoopHandling = ReferenceLoopHandling.Ignore,
        MaxDepth = 32,
    };
    private static readonly ConcurrentDictionary<Type, SourceFormatters> s_attributeFormatters = new();
    private static Registration[] s_registrations = Array.Empty<Registration>();
    private static Dictionary<Type, string[]> s_preferredMimeTypes = new();
    private static int s_registrationCount;

    /// <summary>How many items of a sequence are shown before "… (more)". Default 20.</summary>
    public static int ListExpansionLimit { get; set; } = 20;

    /// <summary>How deep nested objects and sequences are expanded. Default 6.</summary>
    public static int RecursionLimit { get; set; } = 6;

    /// <summary>Registers a formatter for values of type <typeparamref name="T"/> (and derived types).</summary>
    public static void Register<T>(Action<T, TextWriter> formatter, string mimeType = PlainTextMimeType)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Add(typeof(T), mimeType, (value, writer) =>
        {
            formatter((T)value, writer);
            return true;
        });
    }

    /// <summary>Registers a formatter for values of type <typeparamref name="T"/> (and derived types).</summary>
    public static void Register<T>(Func<T, string> formatter, string mimeType = PlainTextMimeType)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Add(typeof(T), mimeType, (value, writer) =>
        {
            writer.Write(formatter((T)value));
            return true;
        });
    }

    /// <summary>Registers a formatter for <paramref name="type"/>, which may be an open generic type such as <c>List&lt;&gt;</c>.</summary>
    public static void Register(Type type, Action<object, TextWriter> formatter, string mimeType = PlainTextMimeType)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(formatter);
        Add(type, mimeType, (value, writer) =>
        {
            formatter(value, writer);
            return true;
        });
    }

    /// <summary>Sets the MIME types produced for <paramref name="type"/> (and derived types) when none are requested.</summary>
    public static void SetPreferredMimeTypesFor(Type type, params string[] mimeTypes)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(mimeTypes);
        lock (s_gate)
        {
            var copy = new Dictionary<Type, string[]>(s_preferredMimeTypes) { [type] = mimeTypes.ToArray() };
            s_preferredMimeTypes = copy;
        }
    }

    /// <summary>The MIME types produced for <paramref name="type"/> when none are requested (may be empty: then every known one).</summary>
    public static IReadOnlyList<string> GetPreferredMimeTypesFor(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        Dictionary<Type, string[]> preferred = s_preferredMimeTypes;
        for (Type? current = type; current is not null; current = current.BaseType)
        {
            if (preferred.TryGetValue(current, out string[]? mimeTypes) ||
                (current.IsGenericType && preferred.TryGetValue(current.GetGenericTypeDefinition(), out mimeTypes)))
            {
                return mimeTypes;
            }
        }

        return GetSourceFormatters(type).PreferredMimeTypes ?? (IReadOnlyList<string>)Array.Empty<string>();
    }

    /// <summary>Removes every registration and preferred MIME type; attribute formatters stay.</summary>
    public static void ResetToDefault()
    {
        lock (s_gate)
        {
            s_registrations = Array.Empty<Registration>();
            s_preferredMimeTypes = new Dictionary<Type, string[]>();
        }

        ListExpansionLimit = 20;
        RecursionLimit = 6;
    }

    /// <summary>Formats <paramref name="value"/> as <paramref name="mimeType"/>.</summary>
    public static string ToDisplayString(this object? value, string mimeType = PlainTextMimeType)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        if (!TryFormat(value, mimeType, writer))
        {
            writer.GetStringBuilder().Clear();
            FormatDefault(value, mimeType, writer, 0);
        }

        return writer.ToString();
    }

    /// <summary>
    /// Formats <paramref name="value"/> as a MIME bundle. With no <paramref name="mimeTypes"/>, the type's
    /// preferred MIME types are used, or else every MIME type it has a formatter for; <c>text/plain</c> is
    /// always included.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ToFormattedValues(object? value, IReadOnlyList<string>? mimeTypes = null)
    {
        var bundle = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string mimeType in SelectMimeTypes(value, mimeTypes))
        {
            if (bundle.ContainsKey(mimeType))
            {
                continue;
            }

            try
            {
                bundle[mimeType] = ToDisplayString(value, mimeType);
            }
            catch (Exception) when (mimeType != PlainTextMimeType)
            {
                // A broken HTML or JSON formatter should not hide the value; text/plain still shows it.
            }
            catch (Exception exception)
            {
                bundle[mimeType] = $"<{exception.GetType().Name} while formatting {value!.GetType().Name}: {exception.Message}>";
            }
        }

        return bundle;
    }

    /// <summary>
    /// Writes <paramref name="value"/> as <paramref name="mimeType"/> with a registered or attribute formatter;
    /// false when there is none (or it declined), in which case nothing useful was written.
    /// </summary>
    public static bool TryFormat(object? value, string mimeType, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            return false;
        }

        foreach (Func<object, TextWriter, bool> formatter in FindFormatters(value.GetType(), mimeType))
        {
            if (formatter(value, writer))
            {
                return true;
            }
        }

        return false;
    }

    internal static IEnumerable<string> SelectMimeTypes(object? value, IReadOnlyList<string>? requested)
    {
        if (requested is { Count: > 0 })
        {
            return requested.Prepend(PlainTextMimeType).Distinct(StringComparer.Ordinal).ToArray();
        }

        if (value is null)
        {
            return new[] { PlainTextMimeType };
        }

        Type type = value.GetType();
        IReadOnlyList<string> preferred = GetPreferredMimeTypesFor(type);
        if (preferred.Count > 0)
        {
            return preferred.Prepend(PlainTextMimeType).Distinct(StringComparer.Ordinal).ToArray();
        }

        var mimeTypes = new List<string> { PlainTextMimeType };
        if (value is HtmlString || DefaultFormatters.WantsHtmlByDefault(type))
        {
            mimeTypes.Add(HtmlMimeType);
        }

        foreach (Registration registration in s_registrations)
        {
            if (registration.Specificity(type) is not null && !mimeTypes.Contains(registration.MimeType))
            {
                mimeTypes.Add(registration.MimeType);
            }
        }

        foreach (string mimeType in GetSourceFormatters(type).MimeTypes)
        {
            if (!mimeTypes.Contains(mimeType))
            {
                mimeTypes.Add(mimeType);
            }
        }

        return mimeTypes;
    }

    internal static void FormatDefault(object? value, string mimeType, TextWriter writer, int depth)
    {
        switch (mimeType)
        {
            case HtmlMimeType:
                DefaultFormatters.WriteHtml(value, writer, depth);
                break;
            case JsonMimeType:
                writer.Write(JsonConvert.SerializeObject(value, s_jsonSettings));
                break;
            default:
                DefaultFormatters.WritePlainText(value, writer, depth);
                break;
        }
    }

    /// <summary>Formats a nested value: registered and attribute formatters first, then the default at this depth.</summary>
    internal static void FormatNested(object? value, string mimeType, TextWriter writer, int depth)
    {
        if (value is not null)
        {
            using var candidate = new StringWriter(CultureInfo.InvariantCulture);
            if (TryFormat(value, mimeType, candidate))
            {
                writer.Write(candidate.ToString());
                return;
            }
        }

        FormatDefault(value, mimeType, writer, depth);
    }

    private static void Add(Type type, string mimeType, Func<object, TextWriter, bool> format)
    {
        ArgumentException.ThrowIfNullOrEmpty(mimeType);
        lock (s_gate)
        {
            var registration = new Registration(type, mimeType, format, ++s_registrationCount);
            s_registrations = s_registrations.Append(registration).ToArray();
        }
    }

    private static IEnumerable<Func<object, TextWriter, bool>> FindFormatters(Type type, string mimeType)
    {
        var candidates = new List<(int Rank, int Order, Func<object, TextWriter, bool> Format)>();
        foreach (Registration registration in s_registrations)
        {
            if (registration.MimeType != mimeType)
            {
                continue;
            }

            int? specificity = registration.Specificity(type);
            if (specificity is int rank)
            {
                candidates.Add((rank, registration.Order, registration.Format));
            }
        }

        SourceFormatters source = GetSourceFormatters(type);
        if (source.Formatters.TryGetValue(mimeType, out List<Func<object, TextWriter, bool>>? attributeFormatters))
        {
            foreach (Func<object, TextWriter, bool> format in attributeFormatters)
            {
                candidates.Add((Registration.AttributeRank + source.Depth, 0, format));
            }
        }

        return candidates
            .OrderBy(candidate => candidate.Rank)
            .ThenByDescending(candidate => candidate.Order)
            .Select(candidate => candidate.Format);
    }

    private static SourceFormatters GetSourceFormatters(Type type) =>
        s_attributeFormatters.GetOrAdd(type, SourceFormatters.Create);

    private sealed record Registration(Type Type, string MimeType, Func<object, TextWriter, bool> Format, int Order)
    {
        /// <summary>Rank of attribute formatters: after registrations on the type and its base classes.</summary>
        public const int AttributeRank = 1000;

        /// <summary>Lower is more specific; null when the registration does not apply to <paramref name="valueType"/>.</summary>
        public int? Specificity(Type valueType)
        {
            int depth = 0;
            for (Type? current = valueType; current is not null; current = current.BaseType, depth++)
            {
                if (current == typeof(object))
                {
                    break;
                }

                if (current == Type)
                {
                    return depth * 2;
                }

                if (Type.IsGenericTypeDefinition && current.IsGenericType && current.GetGenericTypeDefinition() == Type)
                {
                    return (depth * 2) + 1;
                }
            }

            if (Type.IsInterface)
            {
                foreach (Type implemented in valueType.GetInterfaces())
                {
                    if (implemented == Type ||
                        (Type.IsGenericTypeDefinition && implemented.IsGenericType && implemented.GetGenericTypeDefinition() == Type))
                    {
                        return 2000;
                    }
                }
            }

            return Type == typeof(object) ? 3000 : null;
        }
    }

    /// <summary>
    /// The formatters a type declares through any attribute named <c>TypeFormatterSourceAttribute</c>, found by
    /// name so that libraries can ship formatters without referencing this assembly.
    /// </summary>
    private sealed class SourceFormatters
    {
        private static readonly SourceFormatters s_none = new(new Dictionary<string, List<Func<object, TextWriter, bool>>>(), null, 0);

        private SourceFormatters(Dictionary<string, List<Func<object, TextWriter, bool>>> formatters, string[]? preferredMimeTypes, int depth)
        {
            Formatters = formatters;
            PreferredMimeTypes = preferredMimeTypes;
            Depth = depth;
        }

        public Dictionary<string, List<Func<object, TextWriter, bool>>> Formatters { get; }

        public IEnumerable<string> MimeTypes => Formatters.Keys;

        public string[]? PreferredMimeTypes { get; }

        public int Depth { get; }

        public static SourceFormatters Create(Type type)
        {
            // Plotly.NET's charts (e.g. #r "nuget: Plotly.NET.CSharp") carry no formatter source of their own for this
            // kernel (their Plotly.NET.Interactive extension targets .NET Interactive and draws through a CDN), so
            // Workbench.Charts supplies one that draws them offline like our figures.
            if (Workbench.Charts.PlotlyNetChart.IsChart(type))
            {
                return FromSourceType(typeof(Workbench.Charts.PlotlyNetChartFormatterSource), new[] { HtmlMimeType, Workbench.Charts.PlotlyMimeTypes.Plotly }, 0);
            }

            int depth = 0;
            for (Type? current = type; current is not null && current != typeof(object); current = current.BaseType, depth++)
            {
                object? attribute = FindAttribute(current);
                if (attribute is null)
                {
                    continue;
                }

                try
                {
                    return FromAttribute(attribute, depth);
                }
                catch (Exception exception) when (exception is TargetInvocationException or MissingMethodException or InvalidCastException or MemberAccessException)
                {
                    // A broken formatter source must not make the value undisplayable; defaults apply.
                    return s_none;
                }
            }

            return s_none;
        }

        private static object? FindAttribute(Type type)
        {
            foreach (object attribute in type.GetCustomAttributes(inherit: false))
            {
                if (attribute.GetType().Name == AttributeTypeName)
                {
                    return attribute;
                }
            }

            return null;
        }

        private static SourceFormatters FromAttribute(object attribute, int depth)
        {
            Type attributeType = attribute.GetType();
            var sourceType = attributeType.GetProperty("FormatterSourceType")?.GetValue(attribute) as Type;
            var preferred = attributeType.GetProperty("PreferredMimeTypes")?.GetValue(attribute) as string[];
            return FromSourceType(sourceType, preferred, depth);
        }

        private static SourceFormatters FromSourceType(Type? sourceType, string[]? preferred, int depth)
        {
            var formatters = new Dictionary<string, List<Func<object, TextWriter, bool>>>(StringComparer.Ordinal);
            if (sourceType is null)
            {
                return new SourceFormatters(formatters, preferred, depth);
            }

            object source = Activator.CreateInstance(sourceType, nonPublic: true)!;
            MethodInfo? create = sourceType.GetMethod(
                "CreateTypeFormatters",
                BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
                Type.EmptyTypes);
            if (create?.Invoke(source, null) is IEnumerable created)
            {
                foreach (object? formatter in created)
                {
                    if (formatter is null)
                    {
                        continue;
                    }

                    Type formatterType = formatter.GetType();
                    var mimeType = formatterType.GetProperty("MimeType")?.GetValue(formatter) as string;
                    MethodInfo? format = formatterType.GetMethod(
                        "Format",
                        BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
                        new[] { typeof(object), typeof(TextWriter) });
                    if (string.IsNullOrEmpty(mimeType) || format is null || format.ReturnType != typeof(bool))
                    {
                        continue;
                    }

                    var handledType = formatterType.GetProperty("Type")?.GetValue(formatter) as Type;
                    if (!formatters.TryGetValue(mimeType, out List<Func<object, TextWriter, bool>>? list))
                    {
                        list = new List<Func<object, TextWriter, bool>>();
                        formatters[mimeType] = list;
                    }

                    list.Add((value, writer) =>
                    {
                        if (handledType is not null && !handledType.IsInstanceOfType(value))
                        {
                            return false;
                        }

                        try
                        {
                            return (bool)format.Invoke(formatter, new[] { value, writer })!;
                        }
                        catch (TargetInvocationException exception) when (exception.InnerException is not null)
                        {
                            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerException);
                            throw;
                        }
                    });
                }
            }

            return new SourceFormatters(formatters, preferred, depth);
        }
    }
}
