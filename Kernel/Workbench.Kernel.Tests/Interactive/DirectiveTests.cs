using Workbench.Interactive;
using Workbench.Interactive.Commands;
using Workbench.Interactive.Directives;
using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

public sealed class DirectiveTests : IClassFixture<DirectiveTests.Fixture>
{
    private readonly CSharpKernel _kernel;
    private readonly Fixture _fixture;

    public DirectiveTests(Fixture fixture)
    {
        _fixture = fixture;
        _kernel = fixture.Kernel;
    }

    public enum PagingMode
    {
        FourLevel,
        FiveLevel,
    }

    [Fact]
    public async Task Parameters_bind_kebab_case_to_camel_case_with_types()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel,
            "#!probe \"implicit value\" --page-size 0x1000 --mode five-level --count=3 --verbose --names a --names \"b c\" --ratio 0.5 --address 0xFFFF_FFFF_FFFF_F000");
        ProbeCommand command = _fixture.LastProbe!;
        Assert.Equal("implicit value", command.Target);
        Assert.Equal(4096, command.PageSize);
        Assert.Equal(PagingMode.FiveLevel, command.Mode);
        Assert.Equal(3, command.Count);
        Assert.True(command.Verbose);
        Assert.Equal(new[] { "a", "b c" }, command.Names);
        Assert.Equal(0.5, command.Ratio);
        Assert.Equal(0xFFFF_FFFF_FFFF_F000UL, command.Address);
        Assert.Equal("#!probe", command.InvokedDirective);
        Assert.Equal("probe ran\n", run.StandardOutput);
    }

    [Fact]
    public async Task Parameters_without_a_property_land_in_the_extension_data()
    {
        await KernelRun.SubmitOkAsync(_kernel, "#!bag 0x401000 --l1-tdp on --verbose --tag a --tag b");
        BagCommand command = _fixture.LastBag!;
        Assert.Equal("0x401000", command.Gva);
        Assert.Equal("on", command.Arguments["l1Tdp"]);
        Assert.Equal("true", command.Arguments["verbose"]);
        Assert.Equal("a\nb", command.Arguments["tag"]);
        Assert.False(command.Arguments.ContainsKey("gva"));

        await KernelRun.SubmitOkAsync(_kernel, "#!bag 0x1");
        Assert.Empty(_fixture.LastBag!.Arguments);
    }

    [Fact]
    public async Task Names_are_case_insensitive_and_defaults_stay()
    {
        await KernelRun.SubmitOkAsync(_kernel, "#!PROBE --PAGE-SIZE 12");
        ProbeCommand command = _fixture.LastProbe!;
        Assert.Equal(12, command.PageSize);
        Assert.False(command.Verbose);
        Assert.Equal(PagingMode.FourLevel, command.Mode);
        Assert.Null(command.Target);
    }

    [Fact]
    public async Task Subcommand_binds_its_own_and_the_parents_parameters()
    {
        await KernelRun.SubmitOkAsync(_kernel, "#!probe walk --depth 4 --verbose");
        ProbeCommand command = _fixture.LastProbe!;
        Assert.Equal("#!probe walk", command.InvokedDirective);
        Assert.Equal(4, command.Depth);
        Assert.True(command.Verbose);
    }

    [Fact]
    public async Task Separately_registered_subcommand_gets_its_own_command_and_handler()
    {
        await KernelRun.SubmitOkAsync(_kernel, "#!probe reset --hard");
        ResetCommand reset = _fixture.LastReset!;
        Assert.True(reset.Hard);
        Assert.Equal("#!probe reset", reset.InvokedDirective);
    }

    [Fact]
    public async Task Help_lists_parameters_with_descriptions_and_runs_nothing()
    {
        _fixture.LastProbe = null;
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "#!probe -h");
        Assert.Null(_fixture.LastProbe);
        Assert.Contains("#!probe: Probes binding.", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--page-size <number>", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Size of a page.", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("walk", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("-h, --help", run.StandardOutput, StringComparison.Ordinal);

        KernelRun subcommandHelp = await KernelRun.SubmitOkAsync(_kernel, "#!probe walk --help");
        Assert.Contains("--depth", subcommandHelp.StandardOutput, StringComparison.Ordinal);

        KernelRun builtInHelp = await KernelRun.SubmitOkAsync(_kernel, "#!lsmagic -h");
        Assert.Contains("#!lsmagic", builtInHelp.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("#!probe --bogus 1", "'--bogus'")]
    [InlineData("#!probe --page-size twelve", "'--page-size'")]
    [InlineData("#!probe --page-size 99999999999", "'--page-size'")]
    [InlineData("#!probe --mode sideways", "'--mode'")]
    [InlineData("#!probe --page-size", "'--page-size'")]
    [InlineData("#!probe one two", "'two'")]
    [InlineData("#!probe --count 1 --count 2", "'--count'")]
    [InlineData("#!probe walk", "'--depth'")]
    [InlineData("#!probe \"unterminated", "Unterminated")]
    [InlineData("#!nosuchmagic", "'#!nosuchmagic'")]
    [InlineData("#!probe --count -1", "count must not be negative")]
    public async Task Bad_directive_gives_exactly_one_clear_error_and_no_csharp_runs(string directiveLine, string expected)
    {
        _fixture.LastProbe = null;
        KernelRun run = await KernelRun.SubmitAsync(_kernel, directiveLine + "\nConsole.WriteLine(\"should not run\");");
        Assert.False(run.Succeeded);
        ErrorProduced error = run.Error;
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.StandardOutput);
        Assert.Null(_fixture.LastProbe);

        KernelRun after = await KernelRun.SubmitOkAsync(_kernel, "1");
        Assert.Equal("1", after.ReturnText);
    }

    [Fact]
    public async Task Failing_handler_gives_exactly_one_error()
    {
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "#!explode\n#!probe\n1");
        ErrorProduced error = run.Error;
        Assert.Equal("InvalidOperationException", error.Name);
        Assert.Equal("kaboom", error.Message);
        Assert.Null(run.ReturnValue);
    }

    [Fact]
    public async Task Directive_then_csharp_keeps_line_numbers()
    {
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "#!probe\n\nvar a = 1;\nundefinedThing");
        Assert.Equal("(4,1): error CS0103: The name 'undefinedThing' does not exist in the current context", Assert.Single(run.Error.Traceback));
    }

    [Fact]
    public async Task Lsmagic_lists_directives_with_descriptions()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "#!lsmagic");
        Assert.Contains("#!probe", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Probes binding.", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("#!time", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("#!csharp", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Time_runs_the_rest_of_the_cell_and_reports_wall_time()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "#!time\nConsole.WriteLine(\"inside\");\n21 * 2");
        Assert.Matches(@"^inside\nWall time: \d+(\.\d+)? ms\n$", run.StandardOutput);
        Assert.Equal("42", run.ReturnText);
    }

    [Fact]
    public async Task Polyglot_kernel_selector_is_accepted()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "#!csharp\n\"ok\"");
        Assert.Equal("ok", run.ReturnText);
    }

    [Fact]
    public async Task Handler_can_display_and_write_to_console()
    {
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "#!probe --verbose");
        Assert.Contains(run.Events, e => e is DisplayedValueProduced d && d.FormattedValues["text/plain"] == "verbose probe");
    }

    [Fact]
    public void Registration_rejects_a_parameter_without_a_property()
    {
        var directive = new KernelActionDirective("#!broken") { Parameters = [new KernelDirectiveParameter("--no-such-property")] };
        ArgumentException error = Assert.Throws<ArgumentException>(() => _kernel.AddDirective<ProbeCommand>(directive, (_, _) => Task.CompletedTask));
        Assert.Contains("--no-such-property", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registration_rejects_a_parameter_whose_property_type_cannot_be_converted()
    {
        var directive = new KernelActionDirective("#!timed") { Parameters = [new KernelDirectiveParameter("--after")] };
        ArgumentException error = Assert.Throws<ArgumentException>(() => _kernel.AddDirective<TimedCommand>(directive, (_, _) => Task.CompletedTask));
        Assert.Contains("'--after' of #!timed binds to TimedCommand.After of type TimeSpan", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_name_again_replaces_the_directive()
    {
        int first = 0;
        int second = 0;
        _kernel.AddDirective<ResetCommand>(new KernelActionDirective("#!replace-me"), (_, _) => { first++; return Task.CompletedTask; });
        _kernel.AddDirective<ResetCommand>(new KernelActionDirective("#!replace-me"), (_, _) => { second++; return Task.CompletedTask; });
        await KernelRun.SubmitOkAsync(_kernel, "#!replace-me");
        Assert.Equal((0, 1), (first, second));
        Assert.Single(_kernel.Directives, d => d.Name == "#!replace-me");
    }

    [Fact]
    public void Tokenizer_handles_quotes_and_escapes()
    {
        List<DirectiveToken> tokens = DirectiveParser.Tokenize("#!x \"a \\\"b\\\" c\" 'd e' --k=\"v w\"", out string? error);
        Assert.Null(error);
        Assert.Equal(new[] { "#!x", "a \"b\" c", "d e", "--k=v w" }, tokens.Select(t => t.Text));
    }

    [Fact]
    public void Camel_case_conversion_follows_the_posix_convention()
    {
        Assert.Equal("pageSize", DirectiveParser.ToCamelCase("--page-size"));
        Assert.Equal("x", DirectiveParser.ToCamelCase("-x"));
        Assert.Equal("fourLevelMode", DirectiveParser.ToCamelCase("--four-level-mode"));
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public CSharpKernel Kernel { get; } = CSharpKernel.CreateCSharpKernel();

        public ProbeCommand? LastProbe { get; set; }

        public BagCommand? LastBag { get; set; }

        public ResetCommand? LastReset { get; set; }

        public async Task InitializeAsync()
        {
            var pageSize = new KernelDirectiveParameter("--page-size", "Size of a page.") { TypeHint = "number" };
            var mode = new KernelDirectiveParameter("--mode", "Paging mode.");
            mode.AddCompletions(() => new[] { "four-level", "five-level" });
            var walk = new KernelActionDirective("walk", "Walks.") { Parameters = [new KernelDirectiveParameter("--depth") { Required = true }] };
            var reset = new KernelActionDirective("reset", "Resets.") { Parameters = [new KernelDirectiveParameter("--hard") { Flag = true }] };
            var probe = new KernelActionDirective("#!probe", "Probes binding.")
            {
                Parameters =
                [
                    new KernelDirectiveParameter("--target", "What to probe.") { AllowImplicitName = true },
                    pageSize,
                    mode,
                    new KernelDirectiveParameter("--count"),
                    new KernelDirectiveParameter("--verbose", "Talk more.") { Flag = true },
                    new KernelDirectiveParameter("--names") { MaxOccurrences = 5 },
                    new KernelDirectiveParameter("--ratio"),
                    new KernelDirectiveParameter("--address"),
                ],
                Subcommands = [walk, reset],
            };
            Kernel.AddDirective<ProbeCommand>(probe, (command, context) =>
            {
                LastProbe = command;
                Console.WriteLine("probe ran");
                if (command.Verbose)
                {
                    context.Display("verbose probe");
                }

                return Task.CompletedTask;
            });
            Kernel.AddDirective<ResetCommand>(reset, (command, _) =>
            {
                LastReset = command;
                return Task.CompletedTask;
            });
            Kernel.AddDirective<ResetCommand>(new KernelActionDirective("#!explode", "Fails."), (_, _) => throw new InvalidOperationException("kaboom"));
            Kernel.AddDirective<BagCommand>(
                new KernelActionDirective("#!bag", "Binds into a dictionary.")
                {
                    Parameters =
                    [
                        new KernelDirectiveParameter("--gva") { AllowImplicitName = true },
                        new KernelDirectiveParameter("--l1-tdp"),
                        new KernelDirectiveParameter("--verbose") { Flag = true },
                        new KernelDirectiveParameter("--tag") { MaxOccurrences = 3 },
                    ],
                },
                (command, _) =>
                {
                    LastBag = command;
                    return Task.CompletedTask;
                });
            await Kernel.WarmUpAsync();
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }

    public sealed class BagCommand : KernelDirectiveCommand
    {
        public string? Gva { get; set; }

        [DirectiveExtensionData]
        public Dictionary<string, string> Arguments { get; set; } = new();
    }

    public sealed class ProbeCommand : KernelDirectiveCommand
    {
        public string? Target { get; set; }

        public int PageSize { get; set; }

        public PagingMode Mode { get; set; }

        public int Count { get; set; }

        public bool Verbose { get; set; }

        public string[] Names { get; set; } = Array.Empty<string>();

        public double Ratio { get; set; }

        public ulong Address { get; set; }

        public int Depth { get; set; }

        public override IEnumerable<string> GetValidationErrors()
        {
            if (Count < 0)
            {
                yield return "--count must not be negative.";
            }
        }
    }

    public sealed class ResetCommand : KernelDirectiveCommand
    {
        public bool Hard { get; set; }
    }

    public sealed class TimedCommand : KernelDirectiveCommand
    {
        public TimeSpan After { get; set; }
    }
}
