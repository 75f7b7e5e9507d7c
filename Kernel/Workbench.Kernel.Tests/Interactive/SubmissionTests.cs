using System.Diagnostics;
using Workbench.Interactive;
using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

public sealed class SubmissionTests : IClassFixture<KernelFixture>
{
    private readonly CSharpKernel _kernel;

    public SubmissionTests(KernelFixture fixture) => _kernel = fixture.Kernel;

    [Fact]
    public async Task State_carries_from_cell_to_cell()
    {
        await KernelRun.SubmitOkAsync(_kernel, "var carried = 40; int AddTwo(int v) => v + 2;");
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "AddTwo(carried)");
        Assert.Equal("42", run.ReturnText);
    }

    [Fact]
    public async Task Console_output_is_captured_per_cell_in_order()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "Console.WriteLine(\"out 1\"); Console.Error.WriteLine(\"err 1\"); Console.Write(\"out 2\");");
        Assert.Equal("out 1\nout 2", run.StandardOutput);
        Assert.Equal("err 1\n", run.StandardError);
        var streams = run.Events.Where(e => e is StandardOutputProduced or StandardErrorProduced).ToList();
        Assert.IsType<StandardOutputProduced>(streams[0]);
        Assert.IsType<StandardErrorProduced>(streams[1]);
        Assert.IsType<StandardOutputProduced>(streams[^1]);

        KernelRun next = await KernelRun.SubmitOkAsync(_kernel, "1");
        Assert.Equal(string.Empty, next.StandardOutput);
    }

    [Fact]
    public async Task Output_from_a_task_the_cell_awaits_belongs_to_the_cell()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "await Task.Run(() => Console.WriteLine(\"from pool\"));");
        Assert.Equal("from pool\n", run.StandardOutput);
    }

    [Fact]
    public async Task Trailing_expression_produces_a_return_value_and_a_statement_does_not()
    {
        KernelRun value = await KernelRun.SubmitOkAsync(_kernel, "var s = \"text\";\ns.ToUpperInvariant()");
        Assert.Equal("TEXT", value.ReturnText);

        KernelRun statement = await KernelRun.SubmitOkAsync(_kernel, "s.ToUpperInvariant();");
        Assert.Null(statement.ReturnValue);

        KernelRun voidCall = await KernelRun.SubmitOkAsync(_kernel, "Console.Write(\"v\")");
        Assert.Null(voidCall.ReturnValue);
        Assert.Equal("v", voidCall.StandardOutput);

        KernelRun nullValue = await KernelRun.SubmitOkAsync(_kernel, "(string?)null");
        Assert.Equal("<null>", nullValue.ReturnText);
    }

    [Fact]
    public async Task Compile_error_gives_exactly_one_error_with_positions()
    {
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "var ok = 1;\nundefinedName + 1");
        Assert.False(run.Succeeded);
        ErrorProduced error = run.Error;
        Assert.Equal("CompilationError", error.Name);
        Assert.Equal("(2,1): error CS0103: The name 'undefinedName' does not exist in the current context", Assert.Single(error.Traceback));
        Assert.Same(error, run.Events[^1]);
        Assert.Empty(run.Events.OfType<StandardErrorProduced>());
    }

    [Fact]
    public async Task Runtime_exception_gives_one_error_with_the_cells_frames_only()
    {
        string code = "int Fail(int n) => n == 0 ? throw new InvalidOperationException(\"boom\") : Fail(n - 1);\n" +
            "Console.WriteLine(\"before\");\n" +
            "Fail(2);";
        KernelRun run = await KernelRun.SubmitAsync(_kernel, code);
        Assert.False(run.Succeeded);
        Assert.Equal("before\n", run.StandardOutput);
        ErrorProduced error = run.Error;
        Assert.Equal("InvalidOperationException", error.Name);
        Assert.Equal("boom", error.Message);
        Assert.Equal("System.InvalidOperationException: boom", error.Traceback[0]);
        Assert.Contains("   at Fail(Int32 n) in cell line 1", error.Traceback);
        Assert.Contains(error.Traceback, line => line.Contains("repeated 2 more times", StringComparison.Ordinal));
        Assert.Equal("   at <cell> in cell line 3", error.Traceback[^1]);
        Assert.DoesNotContain(error.Traceback, line => line.Contains("Microsoft.CodeAnalysis", StringComparison.Ordinal) || line.Contains("Workbench.Interactive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Line_numbers_survive_the_interrupt_instrumentation()
    {
        string code = "var total = 0;\n" +
            "for (int i = 0; i < 3; i++)\n" +
            "    total += i;\n" +
            "while (total < 10)\n" +
            "    total++;\n" +
            "int Half(int v) => v / 2;\n" +
            "throw new ArgumentException(\"line seven \" + Half(total));";
        KernelRun run = await KernelRun.SubmitAsync(_kernel, code);
        ErrorProduced error = run.Error;
        Assert.Equal("line seven 5", error.Message);
        Assert.Equal("   at <cell> in cell line 7", error.Traceback[^1]);
    }

    [Fact]
    public async Task Expression_bodied_members_still_compile_after_instrumentation()
    {
        string code = "class Counter\n" +
            "{\n" +
            "    private int _value;\n" +
            "    public Counter(int start) => _value = start;\n" +
            "    public int Value { get => _value; set => _value = value; }\n" +
            "    public void Bump() => _value++;\n" +
            "    public async Task BumpLaterAsync() => await Task.Run(() => _value++);\n" +
            "    public async Task<int> ReadLaterAsync() => await Task.FromResult(_value);\n" +
            "    public static Counter operator +(Counter c, int n) => new Counter(c.Value + n);\n" +
            "    public static implicit operator int(Counter c) => c.Value;\n" +
            "}\n" +
            "var counter = new Counter(1) + 1;\n" +
            "counter.Bump();\n" +
            "await counter.BumpLaterAsync();\n" +
            "System.Linq.Expressions.Expression<Func<int, int>> tree = v => v * 2;\n" +
            "Func<int, int> twice = v => { return v * 2; };\n" +
            "(int)counter + await counter.ReadLaterAsync() + tree.Compile()(1) + twice(1)";
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, code);
        Assert.Equal("12", run.ReturnText);
    }

    [Fact]
    public async Task State_survives_failed_cells()
    {
        await KernelRun.SubmitOkAsync(_kernel, "var survivor = 7;");
        await KernelRun.SubmitAsync(_kernel, "survivor +");
        await KernelRun.SubmitAsync(_kernel, "throw new Exception(\"x\");");
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "survivor");
        Assert.Equal("7", run.ReturnText);
    }

    [Fact]
    public async Task Runaway_recursion_fails_the_cell_instead_of_the_process()
    {
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "int Down(int n) => Down(n + 1) + 1;\nDown(0)");
        ErrorProduced error = run.Error;
        Assert.Equal("InsufficientExecutionStackException", error.Name);
        Assert.True(error.Traceback.Count < 50, "repeated frames are collapsed");
        KernelRun after = await KernelRun.SubmitOkAsync(_kernel, "int Depth(int n) => n == 0 ? 0 : Depth(n - 1) + 1;\nDepth(10000)");
        Assert.Equal("10000", after.ReturnText);
    }

    [Fact]
    public async Task Runaway_recursion_in_an_expression_bodied_lambda_fails_the_cell_instead_of_the_process()
    {
        // Issue 7, item 6: without instrumented expression-bodied lambdas this overflows the stack and kills the test host.
        await KernelRun.SubmitOkAsync(_kernel, "var keptAcrossTheOverflow = 5;");
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "Func<int,int> f = null; f = x => f(x + 1) + 1; f(1)");

        Assert.Equal("InsufficientExecutionStackException", run.Error.Name);
        Assert.Equal("5", (await KernelRun.SubmitOkAsync(_kernel, "keptAcrossTheOverflow")).ReturnText);
    }

    [Fact]
    public async Task Instrumented_lambdas_keep_their_overloads_expression_trees_and_results()
    {
        const string Code =
            "int calls = 0;\n" +
            "Func<int> counted = () => calls++;\n" +                                    // value: Func, not Action
            "Action bump = () => calls++;\n" +                                          // statement: Action
            "System.Linq.Expressions.Expression<Func<int, bool>> tree = x => x > 1;\n" + // left alone
            "Func<int, int> thrower = x => x > 100 ? x : throw new ArgumentException(\"small\");\n" +
            "Func<Task<int>> later = async () => await Task.FromResult(2);\n" +
            "Func<Task> waitOnly = async () => await Task.Yield();\n" +
            "var query = new[] { 1, 2, 3 }.AsQueryable().Where(x => new[] { 2, 3 }.Any(y => y == x));\n" +
            "counted(); bump(); await waitOnly();\n" +
            "$\"{calls} {tree.Compile()(2)} {thrower(101)} {await later()} {query.Count()} {Task.Run(() => 7).Result}\"";
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, Code);

        Assert.Equal("2 True 101 2 2 7", run.ReturnText);
    }

    [Fact]
    public async Task Hundred_cells_in_a_row_keep_working()
    {
        await KernelRun.SubmitOkAsync(_kernel, "var counterForHundred = 0;");
        for (int i = 0; i < 100; i++)
        {
            KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "++counterForHundred");
            Assert.Equal((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), run.ReturnText);
        }
    }

    [Fact]
    public async Task Display_and_update_publish_events_with_one_display_id()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "var shown = display(\"first\");\nshown.Update(\"second\");\nshown");
        DisplayedValueProduced produced = Assert.Single(run.Events.OfType<DisplayedValueProduced>());
        DisplayedValueUpdated updated = Assert.Single(run.Events.OfType<DisplayedValueUpdated>());
        Assert.Equal("first", produced.FormattedValues["text/plain"]);
        Assert.Equal("second", updated.FormattedValues["text/plain"]);
        Assert.Equal(produced.DisplayId, updated.DisplayId);
        Assert.Null(run.ReturnValue);

        KernelRun later = await KernelRun.SubmitOkAsync(_kernel, "shown.Update(\"third\");");
        Assert.Equal(produced.DisplayId, Assert.Single(later.Events.OfType<DisplayedValueUpdated>()).DisplayId);
    }

    [Fact]
    public async Task Display_with_mime_types_and_DisplayAs_and_clear_output()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel,
            "display(HTML(\"<b>x</b>\"), \"text/html\");\n" +
            "KernelInvocationContext.Current!.DisplayAs(\"{\\\"a\\\":1}\", \"application/json\");\n" +
            "ClearOutput(wait: true);\n" +
            "ClearOutput();");
        var displays = run.Events.OfType<DisplayedValueProduced>().ToList();
        Assert.Equal("<b>x</b>", displays[0].FormattedValues["text/html"]);
        Assert.True(displays[0].FormattedValues.ContainsKey("text/plain"));
        Assert.Equal("{\"a\":1}", displays[1].FormattedValues["application/json"]);
        Assert.Equal(new[] { true, false }, run.Events.OfType<ClearOutputRequested>().Select(c => c.Wait));
    }

    [Fact]
    public async Task Reference_to_a_local_assembly_with_hash_r()
    {
        string path = typeof(ReferencedFromCells).Assembly.Location;
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, $"#r \"{path}\"\nWorkbench.Kernel.Tests.Interactive.ReferencedFromCells.Answer()");
        Assert.Equal("42", run.ReturnText);
        KernelRun later = await KernelRun.SubmitOkAsync(_kernel, "Workbench.Kernel.Tests.Interactive.ReferencedFromCells.Answer() + 1");
        Assert.Equal("43", later.ReturnText);
    }

    [Fact]
    public async Task Missing_hash_r_file_is_one_compile_error()
    {
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "#r \"does-not-exist.dll\"\n1");
        Assert.Equal("CompilationError", run.Error.Name);
        Assert.Contains("does-not-exist.dll", run.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chart_figures_are_usable_unqualified_and_display_as_plotly()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "new Figure()");
        IReadOnlyDictionary<string, string> bundle = run.ReturnValue!;
        Assert.Contains("text/plain", bundle.Keys);
        Assert.Contains("text/html", bundle.Keys);
        Assert.StartsWith("{", bundle["application/vnd.plotly.v1+json"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Current_context_is_available_in_cells()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "KernelInvocationContext.Current is not null && KernelInvocationContext.Current.Kernel is not null");
        Assert.Equal("True", run.ReturnText);
        Assert.Null(KernelInvocationContext.Current);
    }

    [Fact]
    public async Task Language_info_and_banner()
    {
        KernelLanguageInfo info = _kernel.LanguageInfo;
        Assert.Equal("C#", info.Name);
        Assert.Matches(@"^\d+\.\d+$", info.Version);
        Assert.Equal(("text/x-csharp", ".cs", "csharp", "text/x-csharp", "script"), (info.MimeType, info.FileExtension, info.PygmentsLexer, info.CodeMirrorMode, info.NbConvertExporter));
        Assert.Contains("C#", _kernel.Banner, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_listener_that_writes_to_the_console_does_not_feed_back()
    {
        var events = new List<KernelEvent>();
        SubmissionResult result = await _kernel.SubmitCodeAsync("Console.WriteLine(\"once\");", e =>
        {
            events.Add(e);
            Console.WriteLine("listener saw " + e.GetType().Name);
        });
        Assert.True(result.Succeeded);
        Assert.Equal("once\n", Assert.Single(events.OfType<StandardOutputProduced>()).Text);
    }

    [Fact]
    public async Task Listener_exceptions_do_not_fail_the_cell()
    {
        SubmissionResult result = await _kernel.SubmitCodeAsync("Console.WriteLine(\"x\"); 1", _ => throw new InvalidOperationException("listener"));
        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Warm_kernel_runs_a_trivial_cell_quickly()
    {
        var stopwatch = Stopwatch.StartNew();
        await KernelRun.SubmitOkAsync(_kernel, "1 + 1");
        stopwatch.Stop();

        // Generous: a loaded two-core CI machine; the point is "no cold start", which costs seconds.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.ElapsedMilliseconds} ms");
    }
}

/// <summary>A public type for <c>#r</c> tests.</summary>
public static class ReferencedFromCells
{
    /// <summary>The answer.</summary>
    public static int Answer() => 42;
}
