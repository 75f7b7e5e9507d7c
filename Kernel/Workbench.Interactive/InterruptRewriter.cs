using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Workbench.Interactive;

/// <summary>
/// Inserts <c>ScriptInterrupt.Check(kernelId);</c> at the start of every loop body and before every <c>goto</c>,
/// and <c>ScriptInterrupt.Enter(kernelId);</c> at the start of every method, accessor, operator, constructor,
/// local function, anonymous method and lambda that becomes a delegate, so that a runaway cell notices
/// <see cref="Kernel.Interrupt"/> within one iteration or one call, and runaway recursion fails instead of
/// overflowing the stack (which would kill the kernel process and its session).
/// </summary>
/// <remarks>
/// The rewrite never adds or removes a line break: the inserted code goes on existing lines and every piece of
/// trivia is kept, so runtime stack traces of the rewritten code report the line numbers of the user's cell.
/// An expression-bodied lambda is turned into a block only when the semantic model of the cell as written says what
/// it was bound to: a delegate (so <c>Func&lt;int,int&gt; f = null; f = x =&gt; f(x + 1) + 1;</c> recurses into a
/// check), with <c>return</c> exactly when the bound lambda returns a value, so overload resolution and type inference
/// pick the same delegate as before. Lambdas converted to expression trees (<c>Expression&lt;T&gt;</c>, IQueryable) are
/// left alone: a block body cannot be an expression tree, and they do not run as written anyway.
/// </remarks>
internal sealed class InterruptRewriter : CSharpSyntaxRewriter
{
    private readonly StatementSyntax _check;
    private readonly StatementSyntax _enter;
    private SemanticModel? _model;

    /// <summary>Creates a rewriter whose checks name the given kernel.</summary>
    public InterruptRewriter(int kernelId)
    {
        _check = SyntaxFactory.ParseStatement($"global::Workbench.Interactive.ScriptInterrupt.Check({kernelId});");
        _enter = SyntaxFactory.ParseStatement($"global::Workbench.Interactive.ScriptInterrupt.Enter({kernelId});");
    }

    /// <summary>
    /// Rewrites <paramref name="root"/>; <paramref name="model"/> (of the same tree, the cell as written) lets
    /// expression-bodied lambdas be instrumented. Without it they are left alone.
    /// </summary>
    public SyntaxNode Rewrite(SyntaxNode root, SemanticModel? model)
    {
        _model = model;
        try
        {
            return Visit(root);
        }
        finally
        {
            _model = null;
        }
    }

    /// <summary>True when <paramref name="root"/> contains anything this rewriter would instrument.</summary>
    public static bool NeedsRewrite(SyntaxNode root)
    {
        foreach (SyntaxNode node in root.DescendantNodes())
        {
            switch (node)
            {
                case WhileStatementSyntax:
                case DoStatementSyntax:
                case ForStatementSyntax:
                case CommonForEachStatementSyntax:
                case GotoStatementSyntax:
                case BaseMethodDeclarationSyntax:
                case AccessorDeclarationSyntax:
                case LocalFunctionStatementSyntax:
                case AnonymousFunctionExpressionSyntax:
                    return true;
            }
        }

        return false;
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var visited = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var visited = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var visited = (ForStatementSyntax)base.VisitForStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var visited = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var visited = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitGotoStatement(GotoStatementSyntax node)
    {
        // The block takes over the statement's leading trivia so that indentation and comments stay in place.
        BlockSyntax block = SyntaxFactory.Block(_check, node.WithoutLeadingTrivia());
        return block.WithLeadingTrivia(node.GetLeadingTrivia());
    }

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        var visited = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
        return InstrumentBody(visited, ReturnsValue(visited.ReturnType, visited.Modifiers));
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        var visited = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        if (visited.Body is not null)
        {
            return visited.WithBody(PrependEnter(visited.Body));
        }

        if (visited.ExpressionBody is null)
        {
            return visited;
        }

        bool returnsValue = ReturnsValue(visited.ReturnType, visited.Modifiers);
        BlockSyntax body = ToBlock(visited.ExpressionBody, visited.SemicolonToken, returnsValue);
        return visited.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body);
    }

    public override SyntaxNode? VisitConstructorDeclaration(ConstructorDeclarationSyntax node) =>
        InstrumentBody((BaseMethodDeclarationSyntax)base.VisitConstructorDeclaration(node)!, returnsValue: false);

    public override SyntaxNode? VisitDestructorDeclaration(DestructorDeclarationSyntax node) =>
        InstrumentBody((BaseMethodDeclarationSyntax)base.VisitDestructorDeclaration(node)!, returnsValue: false);

    public override SyntaxNode? VisitOperatorDeclaration(OperatorDeclarationSyntax node) =>
        InstrumentBody((BaseMethodDeclarationSyntax)base.VisitOperatorDeclaration(node)!, returnsValue: true);

    public override SyntaxNode? VisitConversionOperatorDeclaration(ConversionOperatorDeclarationSyntax node) =>
        InstrumentBody((BaseMethodDeclarationSyntax)base.VisitConversionOperatorDeclaration(node)!, returnsValue: true);

    public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
    {
        var visited = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
        if (visited.Body is not null)
        {
            return visited.WithBody(PrependEnter(visited.Body));
        }

        if (visited.ExpressionBody is null)
        {
            // Auto-accessors (get; set;) have no body to instrument.
            return visited;
        }

        bool returnsValue = visited.Keyword.IsKind(SyntaxKind.GetKeyword);
        BlockSyntax body = ToBlock(visited.ExpressionBody, visited.SemicolonToken, returnsValue);
        return visited.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body);
    }

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node)
    {
        var visited = (ParenthesizedLambdaExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!;
        return InstrumentLambda(node, visited);
    }

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node)
    {
        var visited = (SimpleLambdaExpressionSyntax)base.VisitSimpleLambdaExpression(node)!;
        return InstrumentLambda(node, visited);
    }

    /// <summary>
    /// A block-bodied lambda gets an entry check; an expression-bodied one becomes <c>{ Enter(); [return] expr; }</c>
    /// when <paramref name="original"/> (the node in the semantic model's tree) is bound to a delegate.
    /// </summary>
    private LambdaExpressionSyntax InstrumentLambda(LambdaExpressionSyntax original, LambdaExpressionSyntax visited)
    {
        if (visited.Block is not null)
        {
            return visited.WithBlock(PrependEnter(visited.Block));
        }

        if (visited.ExpressionBody is not { } expression || _model is null || !TryGetDelegateShape(original, out bool returnsValue))
        {
            return visited;
        }

        BlockSyntax body = ToLambdaBlock(expression, returnsValue);
        return visited.WithExpressionBody(null).WithBlock(body);
    }

    /// <summary>
    /// True when the lambda is bound to a delegate (not an expression tree); <paramref name="returnsValue"/> says
    /// whether its body is a value (<c>return expr;</c>) or a statement (void, or async returning plain Task).
    /// </summary>
    private bool TryGetDelegateShape(LambdaExpressionSyntax lambda, out bool returnsValue)
    {
        returnsValue = false;
        ITypeSymbol? converted = _model!.GetTypeInfo(lambda).ConvertedType;
        if (converted is null || converted.TypeKind == TypeKind.Error || IsExpressionTree(converted))
        {
            return false;
        }

        // A delegate lambda nested in an expression tree is part of that tree, which cannot hold a block body.
        foreach (AnonymousFunctionExpressionSyntax outer in lambda.Ancestors().OfType<AnonymousFunctionExpressionSyntax>())
        {
            if (_model.GetTypeInfo(outer).ConvertedType is { } outerType && IsExpressionTree(outerType))
            {
                return false;
            }
        }

        if (_model.GetSymbolInfo(lambda).Symbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } method)
        {
            return false;
        }

        if (method.ReturnsVoid)
        {
            return true;
        }

        returnsValue = !(method.IsAsync && method.ReturnType is INamedTypeSymbol { IsGenericType: false, Name: "Task" or "ValueTask" });
        return true;
    }

    private static bool IsExpressionTree(ITypeSymbol type)
    {
        for (ITypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (current is INamedTypeSymbol { Name: "Expression" or "LambdaExpression" } named
                && named.ContainingNamespace?.ToDisplayString() == "System.Linq.Expressions")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>expr</c> as <c>{ Enter(); return expr; }</c>, <c>{ Enter(); expr; }</c> or <c>{ Enter(); throw …; }</c>, on the same lines.</summary>
    private BlockSyntax ToLambdaBlock(ExpressionSyntax expression, bool returnsValue)
    {
        SyntaxToken semicolon = SyntaxFactory.Token(SyntaxKind.SemicolonToken);
        StatementSyntax statement = expression switch
        {
            ThrowExpressionSyntax thrown => SyntaxFactory.ThrowStatement(
                thrown.ThrowKeyword.WithTrailingTrivia(SyntaxFactory.Space), thrown.Expression.WithoutLeadingTrivia(), semicolon),
            _ when returnsValue => SyntaxFactory.ReturnStatement(
                SyntaxFactory.Token(SyntaxKind.ReturnKeyword).WithTrailingTrivia(SyntaxFactory.Space),
                expression.WithoutLeadingTrivia(),
                semicolon),
            _ => SyntaxFactory.ExpressionStatement(expression.WithoutLeadingTrivia(), semicolon),
        };

        SyntaxToken open = SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(expression.GetLeadingTrivia());
        SyntaxToken close = SyntaxFactory.Token(SyntaxKind.CloseBraceToken);
        return SyntaxFactory.Block(open, SyntaxFactory.List(new[] { _enter, statement }), close);
    }

    public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
    {
        var visited = (AnonymousMethodExpressionSyntax)base.VisitAnonymousMethodExpression(node)!;
        return visited.WithBlock(PrependEnter(visited.Block));
    }

    /// <summary>
    /// Methods, constructors, destructors and operators: an entry check at the top of a block body, or the
    /// expression body turned into a block that starts with one.
    /// </summary>
    private BaseMethodDeclarationSyntax InstrumentBody(BaseMethodDeclarationSyntax visited, bool returnsValue)
    {
        if (visited.Body is not null)
        {
            return visited.WithBody(PrependEnter(visited.Body));
        }

        if (visited.ExpressionBody is null)
        {
            return visited;
        }

        BlockSyntax body = ToBlock(visited.ExpressionBody, visited.SemicolonToken, returnsValue);
        return visited.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body);
    }

    private BlockSyntax Prepend(BlockSyntax block) => block.WithStatements(block.Statements.Insert(0, _check));

    private BlockSyntax PrependEnter(BlockSyntax block) => block.WithStatements(block.Statements.Insert(0, _enter));

    private StatementSyntax Prepend(StatementSyntax statement)
    {
        if (statement is BlockSyntax block)
        {
            return Prepend(block);
        }

        // `while (x) y++;` becomes `while (x){Check(); y++;\n}`: the braces carry no line breaks.
        return SyntaxFactory.Block(_check, statement);
    }

    /// <summary>Turns <c>=&gt; expr;</c> into <c>{ Check(); [return] expr; }</c> on the same lines.</summary>
    private BlockSyntax ToBlock(ArrowExpressionClauseSyntax arrow, SyntaxToken semicolon, bool returnsValue)
    {
        ExpressionSyntax expression = arrow.Expression;
        SyntaxToken statementSemicolon = SyntaxFactory.Token(SyntaxKind.SemicolonToken);
        StatementSyntax statement = returnsValue
            ? SyntaxFactory.ReturnStatement(
                SyntaxFactory.Token(SyntaxKind.ReturnKeyword).WithTrailingTrivia(SyntaxFactory.Space),
                expression,
                statementSemicolon)
            : SyntaxFactory.ExpressionStatement(expression, statementSemicolon);

        SyntaxToken open = SyntaxFactory.Token(SyntaxKind.OpenBraceToken)
            .WithLeadingTrivia(arrow.ArrowToken.LeadingTrivia)
            .WithTrailingTrivia(arrow.ArrowToken.TrailingTrivia);
        SyntaxToken close = SyntaxFactory.Token(SyntaxKind.CloseBraceToken)
            .WithLeadingTrivia(semicolon.LeadingTrivia)
            .WithTrailingTrivia(semicolon.TrailingTrivia);
        return SyntaxFactory.Block(open, SyntaxFactory.List(new[] { _enter, statement }), close);
    }

    /// <summary>
    /// Decides syntactically whether an expression body is a value (<c>return expr;</c>) or a statement:
    /// <c>void</c>, and <c>async</c> methods returning non-generic <c>Task</c>/<c>ValueTask</c>, are statements.
    /// </summary>
    private static bool ReturnsValue(TypeSyntax returnType, SyntaxTokenList modifiers)
    {
        if (returnType is PredefinedTypeSyntax predefined && predefined.Keyword.IsKind(SyntaxKind.VoidKeyword))
        {
            return false;
        }

        if (modifiers.Any(SyntaxKind.AsyncKeyword))
        {
            string name = returnType switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                QualifiedNameSyntax { Right: IdentifierNameSyntax right } => right.Identifier.ValueText,
                AliasQualifiedNameSyntax { Name: IdentifierNameSyntax aliased } => aliased.Identifier.ValueText,
                _ => string.Empty,
            };
            return name is not ("Task" or "ValueTask");
        }

        return true;
    }
}
