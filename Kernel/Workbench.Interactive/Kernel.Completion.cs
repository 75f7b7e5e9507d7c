using System.ComponentModel;
using System.Text;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using Workbench.Interactive.Directives;

namespace Workbench.Interactive;

public partial class Kernel
{
    private static readonly string[] s_keywords =
    {
        "abstract", "as", "async", "await", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class",
        "const", "continue", "decimal", "default", "delegate", "do", "double", "dynamic", "else", "enum", "event",
        "explicit", "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in",
        "int", "interface", "internal", "is", "lock", "long", "nameof", "namespace", "new", "null", "object",
        "operator", "out", "override", "params", "private", "protected", "public", "readonly", "record", "ref",
        "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this",
        "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "var", "virtual",
        "void", "volatile", "when", "where", "while", "yield",
    };

    private static readonly SymbolDisplayFormat s_signatureFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters | SymbolDisplayGenericsOptions.IncludeTypeConstraints,
        memberOptions: SymbolDisplayMemberOptions.IncludeType | SymbolDisplayMemberOptions.IncludeParameters |
            SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeRef | SymbolDisplayMemberOptions.IncludeConstantValue,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName |
            SymbolDisplayParameterOptions.IncludeDefaultValue | SymbolDisplayParameterOptions.IncludeParamsRefOut | SymbolDisplayParameterOptions.IncludeExtensionThis,
        propertyStyle: SymbolDisplayPropertyStyle.ShowReadWriteDescriptor,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier |
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    /// <summary>
    /// Completions at <paramref name="cursorPosition"/> (a UTF-16 index): directive and parameter names (and
    /// parameter values) on a leading <c>#!</c> line, otherwise C# names in scope or members after a dot.
    /// Never throws for bad input; it answers with no matches instead.
    /// </summary>
    public Task<CompletionResult> GetCompletionsAsync(string code, int cursorPosition, CancellationToken ct = default)
    {
        code ??= string.Empty;
        int cursor = Math.Clamp(cursorPosition, 0, code.Length);
        return Task.Run(
            () =>
            {
                try
                {
                    return TryGetDirectiveCompletions(code, cursor) ??
                        GetCSharpCompletions(CurrentScript(), CellText.BlankDirectives(code), cursor, ct);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Completion is best effort; a Roslyn hiccup on half-typed code must not fail the request.
                    return new CompletionResult(Array.Empty<string>(), cursor, cursor);
                }
            },
            ct);
    }

    /// <summary>
    /// The signature and documentation summary of the symbol at <paramref name="cursorPosition"/> as
    /// <c>text/plain</c>; on a <c>#!</c> line, the directive's help. <paramref name="detailLevel"/> 1 adds the
    /// parameter and return documentation.
    /// </summary>
    public Task<InspectionResult> InspectAsync(string code, int cursorPosition, int detailLevel, CancellationToken ct = default)
    {
        code ??= string.Empty;
        int cursor = Math.Clamp(cursorPosition, 0, code.Length);
        return Task.Run(
            () =>
            {
                try
                {
                    string? text = InspectDirective(code, cursor) ?? InspectCSharp(CellText.BlankDirectives(code), cursor, detailLevel, ct);
                    return text is null
                        ? new InspectionResult(false, new Dictionary<string, string>())
                        : new InspectionResult(true, new Dictionary<string, string> { ["text/plain"] = text });
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    return new InspectionResult(false, new Dictionary<string, string>());
                }
            },
            ct);
    }

    /// <summary>
    /// Whether <paramref name="code"/> is ready to run: <c>incomplete</c> when a construct is still open
    /// (<c>for (int i = 0;</c>), <c>invalid</c> when it is complete but has syntax errors, else <c>complete</c>.
    /// </summary>
    public IsCompleteResult IsComplete(string code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return new IsCompleteResult("complete", null);
        }

        CellText cell = CellText.Split(code);
        if (string.IsNullOrWhiteSpace(cell.Code))
        {
            return new IsCompleteResult("complete", null);
        }

        SyntaxTree tree = SyntaxFactory.ParseSyntaxTree(cell.Code, _parseOptions);
        if (!SyntaxFactory.IsCompleteSubmission(tree))
        {
            return new IsCompleteResult("incomplete", NextIndent(cell.Code));
        }

        bool hasErrors = tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
        return new IsCompleteResult(hasErrors ? "invalid" : "complete", null);
    }

    private static string NextIndent(string code)
    {
        string[] lines = code.Split('\n');
        string last = lines.LastOrDefault(l => l.Trim().Length > 0) ?? string.Empty;
        string indent = new string(last.TakeWhile(c => c is ' ' or '\t').ToArray());
        char end = last.TrimEnd().LastOrDefault();
        return end is '{' or '(' or '[' or ',' ? indent + "    " : indent;
    }

    private Script CurrentScript() => (Script?)_state?.Script ?? CSharpScript.Create(string.Empty, _options);

    private Script ContinueForAnalysis(string code)
    {
        Script current = CurrentScript();
        return current.ContinueWith(code, ReferenceEquals(current, _state?.Script) ? OptionsForNextSubmission() : _options);
    }

    private CompletionResult? TryGetDirectiveCompletions(string code, int cursor)
    {
        int lineStart = cursor == 0 ? 0 : code.LastIndexOf('\n', cursor - 1) + 1;
        string linePrefix = code[lineStart..cursor];
        string trimmed = linePrefix.TrimStart();
        if (!trimmed.StartsWith("#!", StringComparison.Ordinal) || !IsLeadingLine(code, lineStart))
        {
            return null;
        }

        int offset = lineStart + (linePrefix.Length - trimmed.Length);
        List<DirectiveToken> tokens = DirectiveParser.Tokenize(trimmed, out _);
        bool atNewWord = trimmed.Length > 0 && char.IsWhiteSpace(trimmed[^1]);
        string word = atNewWord || tokens.Count == 0 ? string.Empty : tokens[^1].Text;
        int wordStart = atNewWord || tokens.Count == 0 ? cursor : offset + tokens[^1].Start;
        var matches = new List<string>();

        if (tokens.Count == 0 || (tokens.Count == 1 && !atNewWord))
        {
            matches.AddRange(Directives.Where(d => !d.Hidden).Select(d => d.Name).Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)));
            return new CompletionResult(matches, wordStart, cursor);
        }

        DirectiveRegistration? registration;
        lock (_directives)
        {
            _directives.TryGetValue(tokens[0].Text, out registration);
        }

        if (registration is null)
        {
            return new CompletionResult(matches, wordStart, cursor);
        }

        KernelActionDirective directive = registration.Directive;
        List<DirectiveToken> before = tokens.Skip(1).Take(tokens.Count - 1 - (atNewWord ? 0 : 1)).ToList();
        DirectiveInvocation state = DirectiveParser.Parse(directive, before);
        IEnumerable<KernelDirectiveParameter> active = DirectiveParser.ActiveParameters(state).ToArray();
        KernelDirectiveParameter? awaitingValue = null;
        if (before.Count > 0 && DirectiveParser.IsParameterName(before[^1].Text) && !before[^1].Text.Contains('='))
        {
            awaitingValue = active.FirstOrDefault(p => !p.Flag && string.Equals(p.Name, before[^1].Text, StringComparison.OrdinalIgnoreCase));
        }

        if (awaitingValue is not null)
        {
            matches.AddRange(ValueCompletions(awaitingValue, registration.CommandType).Where(v => v.StartsWith(word, StringComparison.OrdinalIgnoreCase)));
        }
        else if (word.StartsWith('-'))
        {
            matches.AddRange(UnusedParameters(state, active).Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)));
        }
        else
        {
            if (state.Subcommand is null)
            {
                matches.AddRange(directive.Subcommands.Where(s => !s.Hidden).Select(s => s.Name).Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)));
            }

            KernelDirectiveParameter? implicitParameter = active.FirstOrDefault(p => p.AllowImplicitName);
            if (implicitParameter is not null && !state.Values.ContainsKey(implicitParameter))
            {
                matches.AddRange(ValueCompletions(implicitParameter, registration.CommandType).Where(v => v.StartsWith(word, StringComparison.OrdinalIgnoreCase)));
            }

            if (word.Length == 0)
            {
                matches.AddRange(UnusedParameters(state, active));
            }
        }

        return new CompletionResult(matches.Distinct(StringComparer.Ordinal).ToList(), wordStart, cursor);
    }

    private static IEnumerable<string> UnusedParameters(DirectiveInvocation state, IEnumerable<KernelDirectiveParameter> active) =>
        active
            .Where(p => !state.Values.TryGetValue(p, out List<string>? values) || values.Count < Math.Max(1, p.MaxOccurrences))
            .Select(p => p.Name);

    /// <summary>The parameter's own completions, or the names of an enum it binds to.</summary>
    private static IEnumerable<string> ValueCompletions(KernelDirectiveParameter parameter, Type commandType)
    {
        List<string> values = parameter.GetCompletions().ToList();
        if (values.Count == 0 && DirectiveParser.FindProperty(commandType, parameter.Name) is { } property)
        {
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            type = DirectiveParser.GetCollectionElementType(type) ?? type;
            if (type.IsEnum)
            {
                values.AddRange(Enum.GetNames(type).Select(DirectiveParser.ToKebabCase));
            }
            else if (type == typeof(bool))
            {
                values.AddRange(new[] { "true", "false" });
            }
        }

        return values;
    }

    /// <summary>True when only blank lines and <c>#!</c> lines come before <paramref name="lineStart"/>.</summary>
    private static bool IsLeadingLine(string code, int lineStart)
    {
        foreach (string line in code[..lineStart].Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.Length > 0 && !trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private string? InspectDirective(string code, int cursor)
    {
        int lineStart = cursor == 0 ? 0 : code.LastIndexOf('\n', cursor - 1) + 1;
        int lineEnd = code.IndexOf('\n', cursor);
        string line = code[lineStart..(lineEnd < 0 ? code.Length : lineEnd)].Trim();
        if (!line.StartsWith("#!", StringComparison.Ordinal) || !IsLeadingLine(code, lineStart))
        {
            return null;
        }

        List<DirectiveToken> tokens = DirectiveParser.Tokenize(line, out _);
        DirectiveRegistration? registration;
        lock (_directives)
        {
            _directives.TryGetValue(tokens.Count > 0 ? tokens[0].Text : line, out registration);
        }

        if (registration is null)
        {
            return null;
        }

        DirectiveInvocation invocation = DirectiveParser.Parse(registration.Directive, tokens.Skip(1).ToArray());
        return DirectiveParser.GetHelp(registration.Directive, invocation.Subcommand);
    }

    private CompletionResult GetCSharpCompletions(Script previous, string code, int cursor, CancellationToken ct = default)
    {
        int start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_'))
        {
            start--;
        }

        string prefix = code[start..cursor];
        var empty = new CompletionResult(Array.Empty<string>(), start, cursor);
        Script script = previous.ContinueWith(code, ReferenceEquals(previous, _state?.Script) ? OptionsForNextSubmission() : _options);
        Compilation compilation = script.GetCompilation();
        SyntaxTree tree = compilation.SyntaxTrees.Last();
        SyntaxNode root = tree.GetRoot(ct);
        if (IsInCommentOrString(root, cursor))
        {
            return empty;
        }

        SemanticModel model = compilation.GetSemanticModel(tree);
        IEnumerable<ISymbol> symbols;
        bool includeKeywords = false;
        int dot = start - 1;
        while (dot >= 0 && code[dot] is ' ' or '\t')
        {
            dot--;
        }

        if (dot >= 0 && code[dot] == '.')
        {
            SyntaxToken dotToken = root.FindToken(dot);
            ExpressionSyntax? left = dotToken.Parent switch
            {
                MemberAccessExpressionSyntax access => access.Expression,
                QualifiedNameSyntax qualified => qualified.Left,
                MemberBindingExpressionSyntax binding => (binding.Parent?.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>())?.Expression,
                _ => null,
            };
            if (left is null)
            {
                return empty;
            }

            symbols = MembersOf(model, left, start);
        }
        else
        {
            symbols = model.LookupSymbols(start);
            includeKeywords = true;
        }

        IEnumerable<string> names = symbols
            .Where(s => s.CanBeReferencedByName && !IsHidden(s))
            .Select(s => s.Name);
        if (includeKeywords)
        {
            names = names.Concat(s_keywords);
        }

        List<string> matches = names
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && !n.StartsWith("Submission#", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(n => n.StartsWith(prefix, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(n => n, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new CompletionResult(matches, start, cursor);
    }

    private static IEnumerable<ISymbol> MembersOf(SemanticModel model, ExpressionSyntax left, int position)
    {
        SymbolInfo info = model.GetSymbolInfo(left);
        ISymbol? symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
        if (symbol is INamespaceSymbol ns)
        {
            return model.LookupNamespacesAndTypes(position, ns);
        }

        if (symbol is ITypeSymbol type && left is NameSyntax or PredefinedTypeSyntax && !IsValueNamedLikeItsType(model, left, type))
        {
            return model.LookupStaticMembers(position, type);
        }

        ITypeSymbol? valueType = model.GetTypeInfo(left).Type;
        if (valueType is null or IErrorTypeSymbol)
        {
            return Array.Empty<ISymbol>();
        }

        return model.LookupSymbols(position, valueType, includeReducedExtensionMethods: true).Where(s => !s.IsStatic || s is IMethodSymbol { MethodKind: MethodKind.ReducedExtension });
    }

    /// <summary>The "Color Color" case: a variable whose name equals its type's name binds as the type.</summary>
    private static bool IsValueNamedLikeItsType(SemanticModel model, ExpressionSyntax left, ITypeSymbol type) =>
        model.LookupSymbols(left.SpanStart, name: type.Name).Any(s => s is ILocalSymbol or IFieldSymbol or IPropertySymbol or IParameterSymbol);

    private static bool IsHidden(ISymbol symbol) =>
        symbol.GetAttributes().Any(a =>
            a.AttributeClass?.Name == nameof(EditorBrowsableAttribute) &&
            a.ConstructorArguments.Length == 1 &&
            a.ConstructorArguments[0].Value is int state &&
            state == (int)EditorBrowsableState.Never);

    private static bool IsInCommentOrString(SyntaxNode root, int cursor)
    {
        if (cursor == 0)
        {
            return false;
        }

        SyntaxTrivia trivia = root.FindTrivia(cursor - 1);
        if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia) ||
            trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia))
        {
            return trivia.Span.End >= cursor || trivia.IsKind(SyntaxKind.SingleLineCommentTrivia);
        }

        SyntaxToken token = root.FindToken(cursor - 1);
        return token.Span.Contains(cursor - 1) && token.Kind() is SyntaxKind.StringLiteralToken or SyntaxKind.CharacterLiteralToken or
            SyntaxKind.InterpolatedStringTextToken or SyntaxKind.SingleLineRawStringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken;
    }

    private string? InspectCSharp(string code, int cursor, int detailLevel, CancellationToken ct)
    {
        Script script = ContinueForAnalysis(code);
        Compilation compilation = script.GetCompilation();
        SyntaxTree tree = compilation.SyntaxTrees.Last();
        SyntaxNode root = tree.GetRoot(ct);
        SemanticModel model = compilation.GetSemanticModel(tree);

        SyntaxToken token = root.FindToken(Math.Min(cursor, Math.Max(0, code.Length - 1)));
        if (!token.IsKind(SyntaxKind.IdentifierToken) && cursor > 0)
        {
            token = root.FindToken(cursor - 1);
        }

        SyntaxNode? node = token.Parent;
        if (node is null)
        {
            return null;
        }

        SymbolInfo info = model.GetSymbolInfo(node, ct);
        ISymbol? symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault() ?? model.GetDeclaredSymbol(node, ct);
        if (symbol is null && node is ExpressionSyntax expression)
        {
            symbol = model.GetTypeInfo(expression, ct).Type;
        }

        if (symbol is null || symbol is IErrorTypeSymbol)
        {
            return null;
        }

        var text = new StringBuilder();
        text.Append(Describe(symbol));
        int overloads = symbol is IMethodSymbol && symbol.ContainingType is not null
            ? symbol.ContainingType.GetMembers(symbol.Name).OfType<IMethodSymbol>().Count() - 1
            : 0;
        if (overloads > 0)
        {
            text.Append($" (+ {overloads} overload{(overloads == 1 ? string.Empty : "s")})");
        }

        text.AppendLine();
        AppendDocumentation(text, symbol, detailLevel);
        return text.ToString().TrimEnd() + "\n";
    }

    private static string Describe(ISymbol symbol)
    {
        string kind = symbol switch
        {
            IMethodSymbol { MethodKind: MethodKind.Constructor } => "constructor",
            IMethodSymbol { MethodKind: MethodKind.ReducedExtension } => "extension",
            IMethodSymbol { MethodKind: MethodKind.LocalFunction } => "local function",
            IMethodSymbol => "method",
            IPropertySymbol => "property",
            IFieldSymbol { IsConst: true } => "constant",
            IFieldSymbol { ContainingType.TypeKind: TypeKind.Submission } or IFieldSymbol { ContainingType.IsScriptClass: true } => "variable",
            IFieldSymbol => "field",
            IEventSymbol => "event",
            ILocalSymbol => "local variable",
            IParameterSymbol => "parameter",
            INamespaceSymbol => "namespace",
            ITypeSymbol type => type.TypeKind.ToString().ToLowerInvariant(),
            _ => symbol.Kind.ToString().ToLowerInvariant(),
        };

        string display = symbol.ToDisplayString(s_signatureFormat);
        if (symbol is IFieldSymbol { ContainingType.IsScriptClass: true } or IFieldSymbol { ContainingType.TypeKind: TypeKind.Submission } or ILocalSymbol or IParameterSymbol)
        {
            ITypeSymbol? type = (symbol as IFieldSymbol)?.Type ?? (symbol as ILocalSymbol)?.Type ?? (symbol as IParameterSymbol)?.Type;
            display = $"{type?.ToDisplayString(s_signatureFormat)} {symbol.Name}";
        }

        return $"({kind}) {display}";
    }

    private static void AppendDocumentation(StringBuilder text, ISymbol symbol, int detailLevel)
    {
        ISymbol documented = symbol is IMethodSymbol { ReducedFrom: { } original } ? original : symbol.OriginalDefinition;
        string? xml = documented.GetDocumentationCommentXml(expandIncludes: true);
        if (string.IsNullOrWhiteSpace(xml))
        {
            return;
        }

        XElement element;
        try
        {
            element = XElement.Parse(xml.StartsWith("<member", StringComparison.Ordinal) || xml.StartsWith("<doc", StringComparison.Ordinal) ? xml : "<doc>" + xml + "</doc>");
        }
        catch (System.Xml.XmlException)
        {
            return;
        }

        string? summary = element.Element("summary") is { } s ? RenderDoc(s) : null;
        if (!string.IsNullOrWhiteSpace(summary))
        {
            text.AppendLine(summary);
        }

        if (detailLevel <= 0)
        {
            return;
        }

        foreach (XElement parameter in element.Elements("param"))
        {
            text.Append("  ").Append((string?)parameter.Attribute("name")).Append(": ").AppendLine(RenderDoc(parameter));
        }

        if (element.Element("returns") is { } returns)
        {
            text.Append("Returns: ").AppendLine(RenderDoc(returns));
        }

        foreach (XElement exception in element.Elements("exception"))
        {
            string cref = ((string?)exception.Attribute("cref") ?? string.Empty).Split(':').Last();
            text.Append("Throws ").Append(cref.Split('.').Last()).Append(": ").AppendLine(RenderDoc(exception));
        }
    }

    /// <summary>Doc-comment XML as one line of text: <c>&lt;see cref="T:System.String"/&gt;</c> becomes <c>String</c>.</summary>
    private static string RenderDoc(XElement element)
    {
        var builder = new StringBuilder();
        foreach (XNode node in element.Nodes())
        {
            switch (node)
            {
                case XText textNode:
                    builder.Append(textNode.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } reference:
                    string target = (string?)reference.Attribute("cref") ?? (string?)reference.Attribute("langword") ?? (string?)reference.Attribute("href") ?? reference.Value;
                    target = target.Contains(':') ? target[(target.IndexOf(':') + 1)..] : target;
                    int paren = target.IndexOf('(');
                    target = paren > 0 ? target[..paren] : target;
                    builder.Append(reference.Value.Length > 0 ? reference.Value : target.Split('.').Last().Split('`')[0]);
                    break;
                case XElement { Name.LocalName: "paramref" or "typeparamref" } reference:
                    builder.Append((string?)reference.Attribute("name"));
                    break;
                case XElement child:
                    builder.Append(RenderDoc(child));
                    break;
            }
        }

        return string.Join(' ', builder.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
