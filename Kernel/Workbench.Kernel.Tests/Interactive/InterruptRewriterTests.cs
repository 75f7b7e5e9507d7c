using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Workbench.Interactive;

namespace Workbench.Kernel.Tests.Interactive;

/// <summary>
/// The rewrite itself: which lambdas get an entry check, and that the rewritten cell still compiles (the kernel falls
/// back to the code as written when it does not, which would silently drop every check of the cell).
/// </summary>
public class InterruptRewriterTests
{
    private const string Enter = "global::Workbench.Interactive.ScriptInterrupt.Enter(0);";

    [Theory]
    [InlineData("Func<int,int> f = null; f = x => f(x + 1) + 1;", "f = x => {" + Enter + "return f(x + 1) + 1;}")]
    [InlineData("int calls = 0; Action bump = () => calls++;", "() => {" + Enter + "calls++;}")]
    [InlineData("int calls = 0; Func<int> counted = () => calls++;", "() => {" + Enter + "return calls++;}")]
    [InlineData("Func<int,int> t = x => throw new Exception();", "x => {" + Enter + "throw new Exception();}")]
    [InlineData("Func<Task> w = async () => await Task.Yield();", "async () => {" + Enter + "await Task.Yield();}")]
    [InlineData("Func<Task<int>> w = async () => await Task.FromResult(1);", "async () => {" + Enter + "return await Task.FromResult(1);}")]
    public void Delegate_lambdas_get_an_entry_check_and_still_compile(string code, string expected)
    {
        string rewritten = RewriteAndCompile(code);
        Assert.Contains(expected, rewritten);
    }

    [Theory]
    [InlineData("System.Linq.Expressions.Expression<Func<int, bool>> tree = x => x > 1;")]
    [InlineData("var q = new[] { 1 }.AsQueryable().Where(x => new[] { 2 }.Any(y => y == x));")]
    public void Expression_tree_lambdas_and_lambdas_inside_them_are_left_alone(string code)
    {
        string rewritten = RewriteAndCompile(code);
        Assert.DoesNotContain("ScriptInterrupt", rewritten);
    }

    [Fact]
    public void Line_numbers_are_kept()
    {
        const string Code = "Func<int,int> f = null;\nf = x =>\n    f(x + 1)\n    + 1;\nf(1)";
        Assert.Equal(Code.Split('\n').Length, RewriteAndCompile(Code).Split('\n').Length);
    }

    private static string RewriteAndCompile(string code)
    {
        ScriptOptions options = ScriptOptions.Default
            .WithReferences(typeof(ScriptInterrupt).Assembly, typeof(Enumerable).Assembly, typeof(System.Linq.Expressions.Expression).Assembly)
            .WithImports("System", "System.Linq", "System.Threading.Tasks");
        Compilation compilation = CSharpScript.Create(code, options).GetCompilation();
        SyntaxTree tree = compilation.SyntaxTrees.Last();
        Assert.True(InterruptRewriter.NeedsRewrite(tree.GetRoot()));

        string rewritten = new InterruptRewriter(0).Rewrite(tree.GetRoot(), compilation.GetSemanticModel(tree)).ToFullString();
        var errors = CSharpScript.Create(rewritten, options).Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, rewritten + "\n" + string.Join("\n", errors));
        return rewritten;
    }
}
