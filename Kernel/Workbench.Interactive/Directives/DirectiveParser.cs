using System.Globalization;
using System.Reflection;
using System.Text;
using Workbench.Interactive.Commands;

namespace Workbench.Interactive.Directives;

/// <summary>A word of a directive line; quotes are removed from <see cref="Text"/>.</summary>
/// <param name="Text">The word without quotes or escapes.</param>
/// <param name="Start">Index of its first character in the line.</param>
/// <param name="End">Index just past its last character in the line.</param>
/// <param name="Quoted">True when any part was quoted (then it is never taken for a parameter name).</param>
internal readonly record struct DirectiveToken(string Text, int Start, int End, bool Quoted);

/// <summary>A parsed directive line, before binding.</summary>
internal sealed class DirectiveInvocation
{
    public DirectiveInvocation(KernelActionDirective directive) => Directive = directive;

    public KernelActionDirective Directive { get; }

    public KernelActionDirective? Subcommand { get; set; }

    public bool HelpRequested { get; set; }

    public Dictionary<KernelDirectiveParameter, List<string>> Values { get; } = new();

    public List<string> Errors { get; } = new();

    public string InvokedDirective => Subcommand is null ? Directive.Name : Directive.Name + " " + Subcommand.Name;
}

/// <summary>
/// Parses and binds magic-command lines: <c>#!name [subcommand] [value] [--name value] [--name=value] [--flag]</c>.
/// Words may be quoted with <c>"</c> or <c>'</c> (backslash escapes the quote inside double quotes).
/// </summary>
internal static class DirectiveParser
{
    /// <summary>Splits a line into words the way a shell would (without variable expansion).</summary>
    public static List<DirectiveToken> Tokenize(string line, out string? error)
    {
        var tokens = new List<DirectiveToken>();
        error = null;
        int i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i]))
            {
                i++;
                continue;
            }

            int start = i;
            var text = new StringBuilder();
            bool quoted = false;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
            {
                char c = line[i];
                if (c is '"' or '\'')
                {
                    quoted = true;
                    int quoteStart = i;
                    i++;
                    while (i < line.Length && line[i] != c)
                    {
                        if (c == '"' && line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
                        {
                            i++;
                        }

                        text.Append(line[i]);
                        i++;
                    }

                    if (i >= line.Length)
                    {
                        error = $"Unterminated quoted string starting at column {quoteStart + 1}.";
                        tokens.Add(new DirectiveToken(text.ToString(), start, line.Length, quoted));
                        return tokens;
                    }

                    i++;
                }
                else
                {
                    text.Append(c);
                    i++;
                }
            }

            tokens.Add(new DirectiveToken(text.ToString(), start, i, quoted));
        }

        return tokens;
    }

    /// <summary>Parses the words after the directive name; problems are collected in <see cref="DirectiveInvocation.Errors"/>.</summary>
    public static DirectiveInvocation Parse(KernelActionDirective directive, IReadOnlyList<DirectiveToken> arguments)
    {
        var invocation = new DirectiveInvocation(directive);
        bool sawPositional = false;
        for (int i = 0; i < arguments.Count; i++)
        {
            DirectiveToken token = arguments[i];
            if (!token.Quoted && token.Text is "-h" or "--help" or "-?")
            {
                invocation.HelpRequested = true;
                continue;
            }

            if (!token.Quoted && IsParameterName(token.Text))
            {
                string name = token.Text;
                string? inlineValue = null;
                int equals = name.IndexOf('=');
                if (equals > 0)
                {
                    inlineValue = name[(equals + 1)..];
                    name = name[..equals];
                }

                KernelDirectiveParameter? parameter = FindParameter(invocation, name);
                if (parameter is null)
                {
                    invocation.Errors.Add($"Unrecognized parameter '{name}' for {invocation.InvokedDirective}. {DescribeParameters(invocation)}");
                    continue;
                }

                string value;
                if (parameter.Flag)
                {
                    value = inlineValue ?? "true";
                }
                else if (inlineValue is not null)
                {
                    value = inlineValue;
                }
                else if (i + 1 < arguments.Count && !(IsParameterName(arguments[i + 1].Text) && !arguments[i + 1].Quoted && FindParameter(invocation, arguments[i + 1].Text) is not null))
                {
                    value = arguments[++i].Text;
                }
                else
                {
                    invocation.Errors.Add($"Parameter '{parameter.Name}' of {invocation.InvokedDirective} needs a value.");
                    continue;
                }

                Add(invocation, parameter, value);
                continue;
            }

            if (!sawPositional && invocation.Subcommand is null && directive.Subcommands.Count > 0)
            {
                KernelActionDirective? subcommand = directive.Subcommands.FirstOrDefault(
                    candidate => string.Equals(candidate.Name, token.Text, StringComparison.OrdinalIgnoreCase));
                if (subcommand is not null)
                {
                    invocation.Subcommand = subcommand;
                    continue;
                }
            }

            sawPositional = true;
            KernelDirectiveParameter? implicitParameter = FindImplicitParameter(invocation);
            if (implicitParameter is null)
            {
                string subcommands = directive.Subcommands.Count > 0 && invocation.Subcommand is null
                    ? $" Subcommands: {string.Join(", ", directive.Subcommands.Where(s => !s.Hidden).Select(s => s.Name))}."
                    : string.Empty;
                invocation.Errors.Add($"Unexpected argument '{token.Text}' for {invocation.InvokedDirective}.{subcommands} {DescribeParameters(invocation)}".TrimEnd());
                continue;
            }

            Add(invocation, implicitParameter, token.Text);
        }

        if (invocation.HelpRequested)
        {
            invocation.Errors.Clear();
            return invocation;
        }

        foreach ((KernelDirectiveParameter parameter, List<string> values) in invocation.Values)
        {
            if (values.Count > Math.Max(1, parameter.MaxOccurrences))
            {
                invocation.Errors.Add($"Parameter '{parameter.Name}' of {invocation.InvokedDirective} may be given at most {Math.Max(1, parameter.MaxOccurrences)} time(s), but was given {values.Count} times.");
            }
        }

        foreach (KernelDirectiveParameter parameter in ActiveParameters(invocation))
        {
            if (parameter.Required && !invocation.Values.ContainsKey(parameter))
            {
                invocation.Errors.Add($"Missing required parameter '{parameter.Name}' for {invocation.InvokedDirective}.");
            }
        }

        return invocation;
    }

    /// <summary>Creates <paramref name="commandType"/> and sets its properties from the parsed values.</summary>
    public static KernelDirectiveCommand? Bind(Type commandType, DirectiveInvocation invocation, List<string> errors)
    {
        var command = (KernelDirectiveCommand)Activator.CreateInstance(commandType)!;
        command.InvokedDirective = invocation.InvokedDirective;
        foreach ((KernelDirectiveParameter parameter, List<string> values) in invocation.Values)
        {
            PropertyInfo? property = FindProperty(commandType, parameter.Name);
            if (property is null && FindExtensionData(commandType) is { } extension)
            {
                var bag = (IDictionary<string, string>?)extension.GetValue(command);
                if (bag is null)
                {
                    bag = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    extension.SetValue(command, bag);
                }

                bag[ToCamelCase(parameter.Name)] = string.Join("\n", values);
                continue;
            }

            if (property is null)
            {
                errors.Add($"Parameter '{parameter.Name}' of {invocation.InvokedDirective} cannot be used: {commandType.Name} has no settable property '{ToCamelCase(parameter.Name)}'.");
                continue;
            }

            if (TryConvertAll(values, property.PropertyType, out object? converted, out string? problem))
            {
                property.SetValue(command, converted);
            }
            else
            {
                errors.Add($"Invalid value for parameter '{parameter.Name}' of {invocation.InvokedDirective}: {problem}");
            }
        }

        return errors.Count == 0 ? command : null;
    }

    /// <summary>The property marked <see cref="DirectiveExtensionDataAttribute"/>, which takes parameters without a property, or null.</summary>
    public static PropertyInfo? FindExtensionData(Type commandType) =>
        commandType.GetProperties(BindingFlags.Instance | BindingFlags.Public)
            .FirstOrDefault(p => p.IsDefined(typeof(DirectiveExtensionDataAttribute), inherit: true)
                && typeof(IDictionary<string, string>).IsAssignableFrom(p.PropertyType)
                && (p.CanWrite || p.GetMethod is not null));

    /// <summary>The settable property a parameter binds to: kebab-case to camelCase, compared case-insensitively.</summary>
    public static PropertyInfo? FindProperty(Type commandType, string parameterName)
    {
        string wanted = ToPropertyKey(parameterName);
        foreach (PropertyInfo property in commandType.GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            if (property.CanWrite && property.SetMethod!.IsPublic && string.Equals(property.Name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                return property;
            }
        }

        return null;
    }

    /// <summary><c>--page-size</c> → <c>pageSize</c>.</summary>
    public static string ToCamelCase(string parameterName)
    {
        string[] parts = parameterName.TrimStart('-', '/').Split(new[] { '-', '_' }, StringSplitOptions.RemoveEmptyEntries);
        var builder = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            builder.Append(i == 0 ? char.ToLowerInvariant(part[0]) : char.ToUpperInvariant(part[0]));
            builder.Append(part, 1, part.Length - 1);
        }

        return builder.ToString();
    }

    /// <summary>The help text printed for <c>-h</c>.</summary>
    public static string GetHelp(KernelActionDirective directive, KernelActionDirective? subcommand)
    {
        var builder = new StringBuilder();
        KernelActionDirective shown = subcommand ?? directive;
        string invoked = subcommand is null ? directive.Name : directive.Name + " " + subcommand.Name;
        builder.Append(invoked);
        if (!string.IsNullOrWhiteSpace(shown.Description))
        {
            builder.Append(": ").Append(shown.Description);
        }

        builder.AppendLine().AppendLine();
        IEnumerable<KernelDirectiveParameter> parameters = subcommand is null
            ? directive.Parameters
            : subcommand.Parameters.Concat(directive.Parameters);
        KernelDirectiveParameter? implicitParameter = parameters.FirstOrDefault(p => p.AllowImplicitName);
        builder.Append("Usage: ").Append(invoked);
        if (subcommand is null && directive.Subcommands.Any(s => !s.Hidden))
        {
            builder.Append(" [subcommand]");
        }

        if (implicitParameter is not null)
        {
            string placeholder = $"<{implicitParameter.Name.TrimStart('-')}>";
            builder.Append(' ').Append(implicitParameter.Required ? placeholder : "[" + placeholder + "]");
        }

        builder.AppendLine(" [options]");
        if (subcommand is null && directive.Subcommands.Any(s => !s.Hidden))
        {
            builder.AppendLine().AppendLine("Subcommands:");
            foreach (KernelActionDirective sub in directive.Subcommands.Where(s => !s.Hidden))
            {
                builder.Append("  ").Append(sub.Name.PadRight(24)).AppendLine(sub.Description ?? string.Empty);
            }
        }

        builder.AppendLine().AppendLine("Options:");
        foreach (KernelDirectiveParameter parameter in parameters)
        {
            string left = parameter.Flag ? parameter.Name : $"{parameter.Name} <{parameter.TypeHint}>";
            var notes = new List<string>();
            if (parameter.Required)
            {
                notes.Add("required");
            }

            if (parameter.AllowImplicitName)
            {
                notes.Add("name optional");
            }

            if (parameter.MaxOccurrences > 1)
            {
                notes.Add($"up to {parameter.MaxOccurrences} times");
            }

            string description = parameter.Description ?? string.Empty;
            if (notes.Count > 0)
            {
                description = (description + " (" + string.Join(", ", notes) + ")").Trim();
            }

            builder.Append("  ").Append(left.PadRight(24)).AppendLine(description);
        }

        builder.Append("  ").Append("-h, --help".PadRight(24)).AppendLine("Show this help.");
        return builder.ToString();
    }

    /// <summary>
    /// Converts directive text to <paramref name="type"/>: strings, integers (also hex <c>0x</c>, binary <c>0b</c>,
    /// <c>_</c> separators), floating point, bools, enums (case and dashes ignored), arrays and lists of those. Paths stay
    /// strings (the MMU commands resolve them themselves); FileInfo, DirectoryInfo, TimeSpan and Uri converters were cut
    /// because no directive used them (see <see cref="IsSupported"/>, checked when a directive is registered).
    /// </summary>
    /// <summary>True when <see cref="TryConvert"/> can produce <paramref name="type"/> (or its elements, for a collection).</summary>
    public static bool IsSupported(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target != typeof(string) && GetCollectionElementType(target) is { } element)
        {
            target = Nullable.GetUnderlyingType(element) ?? element;
        }

        return target == typeof(string) || target == typeof(object) || target == typeof(bool) || target.IsEnum || IsInteger(target)
            || target == typeof(double) || target == typeof(float) || target == typeof(decimal);
    }

    public static bool TryConvert(string text, Type type, out object? value, out string? problem)
    {
        problem = null;
        value = null;
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string) || target == typeof(object))
        {
            value = text;
            return true;
        }

        if (target == typeof(bool))
        {
            switch (text.Trim().ToLowerInvariant())
            {
                case "true" or "yes" or "on" or "1":
                    value = true;
                    return true;
                case "false" or "no" or "off" or "0":
                    value = false;
                    return true;
                default:
                    problem = $"'{text}' is not a boolean (use true or false).";
                    return false;
            }
        }

        if (target.IsEnum)
        {
            string key = Simplify(text);
            foreach (string name in Enum.GetNames(target))
            {
                if (Simplify(name) == key)
                {
                    value = Enum.Parse(target, name);
                    return true;
                }
            }

            if (TryParseInteger(text, out System.Numerics.BigInteger number) && number >= long.MinValue && number <= ulong.MaxValue)
            {
                value = Enum.ToObject(target, number < 0 ? (object)(long)number : (ulong)number);
                return true;
            }

            problem = $"'{text}' is not one of: {string.Join(", ", Enum.GetNames(target).Select(ToKebabCase))}.";
            return false;
        }

        if (IsInteger(target))
        {
            if (!TryParseInteger(text, out System.Numerics.BigInteger number))
            {
                problem = $"'{text}' is not an integer.";
                return false;
            }

            if (!TryNarrow(number, target, out value))
            {
                problem = $"{text} is out of range for {target.Name}.";
                return false;
            }

            return true;
        }

        if (target == typeof(double) || target == typeof(float) || target == typeof(decimal))
        {
            if (decimal.TryParse(text.Replace("_", string.Empty), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal decimalValue) && target == typeof(decimal))
            {
                value = decimalValue;
                return true;
            }

            if (double.TryParse(text.Replace("_", string.Empty), NumberStyles.Float, CultureInfo.InvariantCulture, out double doubleValue) && target != typeof(decimal))
            {
                value = target == typeof(float) ? (object)(float)doubleValue : doubleValue;
                return true;
            }

            problem = $"'{text}' is not a number.";
            return false;
        }

        problem = $"values of type {target.Name} are not supported.";
        return false;
    }

    /// <summary><c>FourLevel</c> → <c>four-level</c>, for messages and completions.</summary>
    public static string ToKebabCase(string name)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                builder.Append('-');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    internal static bool IsParameterName(string text) =>
        text.Length > 1 && text[0] == '-' && (char.IsLetter(text[1]) || (text.Length > 2 && text[1] == '-' && char.IsLetter(text[2])));

    internal static IEnumerable<KernelDirectiveParameter> ActiveParameters(DirectiveInvocation invocation) =>
        invocation.Subcommand is null
            ? invocation.Directive.Parameters
            : invocation.Subcommand.Parameters.Concat(invocation.Directive.Parameters);

    private static bool TryConvertAll(List<string> values, Type type, out object? converted, out string? problem)
    {
        Type? element = GetCollectionElementType(type);
        if (element is null)
        {
            return TryConvert(values[^1], type, out converted, out problem);
        }

        Array array = Array.CreateInstance(element, values.Count);
        for (int i = 0; i < values.Count; i++)
        {
            if (!TryConvert(values[i], element, out object? item, out problem))
            {
                converted = null;
                return false;
            }

            array.SetValue(item, i);
        }

        problem = null;
        if (type.IsArray || type.IsInterface)
        {
            converted = array;
            return true;
        }

        converted = Activator.CreateInstance(type, array);
        return true;
    }

    /// <summary>Element type of an array, <c>List&lt;T&gt;</c> or a sequence interface; null for scalars and strings.</summary>
    internal static Type? GetCollectionElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            if (definition == typeof(List<>) || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyList<>) ||
                definition == typeof(IReadOnlyCollection<>) || definition == typeof(IList<>) || definition == typeof(ICollection<>))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static void Add(DirectiveInvocation invocation, KernelDirectiveParameter parameter, string value)
    {
        if (!invocation.Values.TryGetValue(parameter, out List<string>? values))
        {
            values = new List<string>();
            invocation.Values[parameter] = values;
        }

        values.Add(value);
    }

    private static KernelDirectiveParameter? FindParameter(DirectiveInvocation invocation, string name) =>
        ActiveParameters(invocation).FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    private static KernelDirectiveParameter? FindImplicitParameter(DirectiveInvocation invocation)
    {
        foreach (KernelDirectiveParameter parameter in ActiveParameters(invocation))
        {
            if (parameter.AllowImplicitName)
            {
                bool full = invocation.Values.TryGetValue(parameter, out List<string>? values) && values.Count >= Math.Max(1, parameter.MaxOccurrences);
                if (!full)
                {
                    return parameter;
                }
            }
        }

        return null;
    }

    private static string DescribeParameters(DirectiveInvocation invocation)
    {
        string[] names = ActiveParameters(invocation).Select(p => p.Name).ToArray();
        return names.Length == 0
            ? $"{invocation.InvokedDirective} takes no parameters."
            : $"Known parameters: {string.Join(", ", names)}.";
    }

    private static string ToPropertyKey(string parameterName) => ToCamelCase(parameterName);

    private static string Simplify(string name) => name.Replace("-", string.Empty).Replace("_", string.Empty).ToLowerInvariant();

    private static bool IsInteger(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(sbyte) ||
        type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte) ||
        type == typeof(nint) || type == typeof(nuint) || type == typeof(System.Numerics.BigInteger);

    private static bool TryParseInteger(string text, out System.Numerics.BigInteger value)
    {
        value = default;
        string digits = text.Trim().Replace("_", string.Empty);
        bool negative = false;
        if (digits.StartsWith('-') || digits.StartsWith('+'))
        {
            negative = digits[0] == '-';
            digits = digits[1..];
        }

        if (digits.Length == 0)
        {
            return false;
        }

        bool ok;
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            // A leading 0 keeps BigInteger from reading the top bit as a sign.
            ok = digits.Length > 2 && System.Numerics.BigInteger.TryParse("0" + digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (digits.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
        {
            ok = digits.Length > 2 && digits[2..].All(c => c is '0' or '1');
            if (ok)
            {
                foreach (char c in digits[2..])
                {
                    value = (value << 1) + (c - '0');
                }
            }
        }
        else
        {
            ok = digits.All(char.IsAsciiDigit) && System.Numerics.BigInteger.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        if (ok && negative)
        {
            value = -value;
        }

        return ok;
    }

    private static bool TryNarrow(System.Numerics.BigInteger number, Type target, out object? value)
    {
        value = null;
        try
        {
            value = target switch
            {
                _ when target == typeof(int) => (object)(int)number,
                _ when target == typeof(long) => (long)number,
                _ when target == typeof(short) => (short)number,
                _ when target == typeof(sbyte) => (sbyte)number,
                _ when target == typeof(uint) => (uint)number,
                _ when target == typeof(ulong) => (ulong)number,
                _ when target == typeof(ushort) => (ushort)number,
                _ when target == typeof(byte) => (byte)number,
                _ when target == typeof(nint) => (nint)(long)number,
                _ when target == typeof(nuint) => (nuint)(ulong)number,
                _ => number,
            };
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
