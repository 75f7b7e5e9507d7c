using Workbench.Interactive;
using Workbench.Interactive.Commands;
using Workbench.Interactive.Directives;
using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

public sealed class CompletionTests : IClassFixture<KernelFixture>
{
    private readonly CSharpKernel _kernel;

    public CompletionTests(KernelFixture fixture) => _kernel = fixture.Kernel;

    [Fact]
    public async Task Completes_static_members_after_a_dot()
    {
        CompletionResult result = await _kernel.GetCompletionsAsync("Console.Wri", 11);
        Assert.Equal(new[] { "Write", "WriteLine" }, result.Matches);
        Assert.Equal((8, 11), (result.CursorStart, result.CursorEnd));
    }

    [Fact]
    public async Task Completes_members_of_a_variable_from_an_earlier_cell()
    {
        await KernelRun.SubmitOkAsync(_kernel, "var completionText = \"abc\";");
        string code = "var n = completionText.Len";
        CompletionResult result = await _kernel.GetCompletionsAsync(code, code.Length);
        Assert.Contains("Length", result.Matches);
        Assert.Equal(code.Length - 3, result.CursorStart);

        CompletionResult name = await _kernel.GetCompletionsAsync("completionTe", 12);
        Assert.Contains("completionText", name.Matches);
    }

    [Fact]
    public async Task Completes_extension_methods_types_and_keywords()
    {
        string linq = "new[] { 1 }.Sel";
        Assert.Contains("Select", (await _kernel.GetCompletionsAsync(linq, linq.Length)).Matches);
        Assert.Contains("StringBuilder", (await _kernel.GetCompletionsAsync("StringBui", 9)).Matches);
        Assert.Contains("foreach", (await _kernel.GetCompletionsAsync("forea", 5)).Matches);
        Assert.Contains("Generic", (await _kernel.GetCompletionsAsync("System.Collections.Gen", 22)).Matches);
    }

    [Fact]
    public async Task Hides_kernel_plumbing_from_completions()
    {
        CompletionResult result = await _kernel.GetCompletionsAsync("ScriptInt", 9);
        Assert.DoesNotContain("ScriptInterrupt", result.Matches);
        Assert.Contains("display", (await _kernel.GetCompletionsAsync("displ", 5)).Matches);
    }

    [Fact]
    public async Task Completes_directive_names_parameters_and_values()
    {
        CompletionResult names = await _kernel.GetCompletionsAsync("#!ls", 4);
        Assert.Equal(new[] { "#!lsmagic" }, names.Matches);
        Assert.Equal((0, 4), (names.CursorStart, names.CursorEnd));

        var parameter = new KernelDirectiveParameter("--color", "A color.");
        parameter.AddCompletions(() => new[] { "red", "green", "blue" });
        _kernel.AddDirective<PaintCommand>(
            new KernelActionDirective("#!paint", "Paints.") { Parameters = [parameter, new KernelDirectiveParameter("--coats")] },
            (_, _) => Task.CompletedTask);

        string code = "#!paint --co";
        CompletionResult parameters = await _kernel.GetCompletionsAsync(code, code.Length);
        Assert.Equal(new[] { "--color", "--coats" }, parameters.Matches);
        Assert.Equal(8, parameters.CursorStart);

        code = "#!paint --color g";
        CompletionResult values = await _kernel.GetCompletionsAsync(code, code.Length);
        Assert.Equal(new[] { "green" }, values.Matches);

        code = "#!paint --color red ";
        Assert.Equal(new[] { "--coats" }, (await _kernel.GetCompletionsAsync(code, code.Length)).Matches);
    }

    [Fact]
    public async Task Directive_completion_only_applies_to_leading_lines()
    {
        string code = "var x = 1;\n#!ls";
        CompletionResult result = await _kernel.GetCompletionsAsync(code, code.Length);
        Assert.DoesNotContain("#!lsmagic", result.Matches);
    }

    [Fact]
    public async Task Csharp_after_directive_lines_completes()
    {
        string code = "#!time\nConsole.Wri";
        CompletionResult result = await _kernel.GetCompletionsAsync(code, code.Length);
        Assert.Contains("WriteLine", result.Matches);
    }

    [Fact]
    public async Task Bad_cursor_positions_do_not_throw()
    {
        CompletionResult result = await _kernel.GetCompletionsAsync("Console.", 500);
        Assert.Contains("WriteLine", result.Matches);
        Assert.Empty((await _kernel.GetCompletionsAsync("\"Console.Wri", 12)).Matches);
        Assert.NotNull(await _kernel.GetCompletionsAsync(string.Empty, -3));
    }

    [Fact]
    public void Is_complete_distinguishes_open_constructs()
    {
        Assert.Equal("incomplete", _kernel.IsComplete("for (int i=0;").Status);
        Assert.Equal("complete", _kernel.IsComplete("1+1").Status);
        Assert.Equal("complete", _kernel.IsComplete("#!lsmagic").Status);
        IsCompleteResult open = _kernel.IsComplete("if (true)\n{");
        Assert.Equal(("incomplete", "    "), (open.Status, open.Indent));
        Assert.Equal("invalid", _kernel.IsComplete("var = ;").Status);
    }

    [Fact]
    public async Task Inspect_shows_the_signature_and_summary()
    {
        InspectionResult result = await _kernel.InspectAsync("Console.WriteLine(\"x\")", 10, 0);
        Assert.True(result.Found);
        string text = result.Data["text/plain"];
        Assert.StartsWith("(method) void Console.WriteLine(", text, StringComparison.Ordinal);
        Assert.Contains("overloads", text, StringComparison.Ordinal);
        Assert.Contains("Writes", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_finds_cell_variables_and_directives()
    {
        await KernelRun.SubmitOkAsync(_kernel, "var inspectedValue = 3.5;");
        InspectionResult variable = await _kernel.InspectAsync("inspectedValue", 3, 0);
        Assert.Equal("(variable) double inspectedValue\n", variable.Data["text/plain"]);

        InspectionResult directive = await _kernel.InspectAsync("#!time", 3, 0);
        Assert.Contains("wall-clock", directive.Data["text/plain"], StringComparison.Ordinal);

        InspectionResult nothing = await _kernel.InspectAsync("   ", 1, 0);
        Assert.False(nothing.Found);
    }

    public sealed class PaintCommand : KernelDirectiveCommand
    {
        public string? Color { get; set; }

        public int Coats { get; set; }
    }
}
