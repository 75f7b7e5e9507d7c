using System.Collections.Concurrent;
using Workbench.Interactive;
using Workbench.Interactive.Commands;
using Workbench.Interactive.Directives;
using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

public sealed class ExtensionTests
{
    [Fact]
    public async Task Extension_object_registers_directives_references_and_usings()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        var events = new List<KernelEvent>();
        Assert.True(await kernel.LoadExtensionAsync(new SampleExtension(), events.Add));
        Assert.Contains(events, e => e is StandardOutputProduced { Text: "sample extension loaded\n" });

        KernelRun directive = await KernelRun.SubmitOkAsync(kernel, "#!greet Ada");
        Assert.Equal("Hello, Ada!\n", directive.StandardOutput);

        KernelRun cell = await KernelRun.SubmitOkAsync(kernel, "SampleGreeter.Greet(\"Grace\")");
        Assert.Equal("Hello, Grace!", cell.ReturnText);
    }

    [Fact]
    public async Task Extension_references_survive_a_failed_first_cell_and_reach_completion()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        await KernelRun.SubmitOkAsync(kernel, "var before = 1;");
        Assert.True(await kernel.LoadExtensionAsync(new SampleExtension(), _ => { }));

        CompletionResult completion = await kernel.GetCompletionsAsync("SampleGreeter.Gr", 16);
        Assert.Equal(new[] { "Greet" }, completion.Matches);

        KernelRun failed = await KernelRun.SubmitAsync(kernel, "SampleGreeter.Greet(undefinedArgument)");
        Assert.Equal("CompilationError", failed.Error.Name);

        KernelRun run = await KernelRun.SubmitOkAsync(kernel, "SampleGreeter.Greet(\"again\")");
        Assert.Equal("Hello, again!", run.ReturnText);
        KernelRun later = await KernelRun.SubmitOkAsync(kernel, "SampleGreeter.Greet(\"later\") + before");
        Assert.Equal("Hello, later!1", later.ReturnText);
    }

    [Fact]
    public async Task A_hash_r_of_an_assembly_with_an_extension_loads_the_extension()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        string dll = typeof(SampleExtension).Assembly.Location;

        KernelRun load = await KernelRun.SubmitOkAsync(kernel, $"#r \"{dll}\"");
        KernelRun again = await KernelRun.SubmitOkAsync(kernel, $"#r \"{dll}\"");
        KernelRun directive = await KernelRun.SubmitOkAsync(kernel, "#!greet Ada");

        Assert.Equal("sample extension loaded\n", load.StandardOutput);
        Assert.Equal(string.Empty, again.StandardOutput);
        Assert.Equal(1, SampleExtension.LoadCount(kernel));
        Assert.Equal("Hello, Ada!\n", directive.StandardOutput);
    }

    [Fact]
    public async Task A_hash_r_of_a_plain_library_loads_no_extension_and_reports_nothing()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        string dll = typeof(Newtonsoft.Json.JsonConvert).Assembly.Location;

        KernelRun run = await KernelRun.SubmitOkAsync(kernel, $"#r \"{dll}\"\nNewtonsoft.Json.JsonConvert.SerializeObject(1)");

        Assert.Equal("1", run.ReturnText);
        Assert.Equal(string.Empty, run.StandardOutput);
    }

    [Fact]
    public async Task Extension_dll_is_loaded_once_and_loading_again_is_harmless()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        string dll = typeof(SampleExtension).Assembly.Location;
        var events = new List<KernelEvent>();
        Assert.True(await kernel.LoadExtensionAsync(dll, events.Add));
        Assert.True(await kernel.LoadExtensionAsync(dll, events.Add));
        Assert.True(await kernel.LoadExtensionAsync(Path.GetDirectoryName(dll)!, events.Add));
        Assert.Empty(events.OfType<ErrorProduced>());
        Assert.Equal(1, SampleExtension.LoadCount(kernel));

        KernelRun run = await KernelRun.SubmitOkAsync(kernel, "#!greet \"Alan Turing\"");
        Assert.Equal("Hello, Alan Turing!\n", run.StandardOutput);
    }

    [Fact]
    public async Task Failing_extension_gives_one_clear_error_and_the_kernel_keeps_running()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        var events = new List<KernelEvent>();
        Assert.False(await kernel.LoadExtensionAsync(new FailingExtension(), events.Add));
        ErrorProduced error = Assert.Single(events.OfType<ErrorProduced>());
        Assert.Equal("ExtensionLoadError", error.Name);
        Assert.Contains(nameof(FailingExtension), error.Message, StringComparison.Ordinal);
        Assert.Contains("missing configuration", error.Message, StringComparison.Ordinal);

        KernelRun run = await KernelRun.SubmitOkAsync(kernel, "1 + 1");
        Assert.Equal("2", run.ReturnText);
    }

    [Fact]
    public async Task Extension_that_submits_code_while_loading_does_not_deadlock()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        var events = new List<KernelEvent>();
        bool loaded = await kernel.LoadExtensionAsync(new SubmittingExtension(), events.Add).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(loaded);
        KernelRun run = await KernelRun.SubmitOkAsync(kernel, "setByExtension");
        Assert.Equal("11", run.ReturnText);
    }

    [Theory]
    [InlineData("no-such-directory/extension.dll", "no such file or directory")]
    [InlineData("", "no path")]
    public async Task Missing_extension_path_gives_one_clear_error(string path, string expected)
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        var events = new List<KernelEvent>();
        Assert.False(await kernel.LoadExtensionAsync(path, events.Add));
        ErrorProduced error = Assert.Single(events.OfType<ErrorProduced>());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_an_assembly_gives_one_clear_error()
    {
        string directory = Directory.CreateTempSubdirectory("wb-ext-").FullName;
        try
        {
            string fake = Path.Combine(directory, "fake.dll");
            await File.WriteAllTextAsync(fake, "not an assembly");
            CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
            var events = new List<KernelEvent>();
            Assert.False(await kernel.LoadExtensionAsync(fake, events.Add));
            Assert.Contains("not a loadable .NET assembly", Assert.Single(events.OfType<ErrorProduced>()).Message, StringComparison.Ordinal);

            // A directory with only non-extension files says so.
            events.Clear();
            Assert.False(await kernel.LoadExtensionAsync(directory, events.Add));
            Assert.Contains("IKernelExtension", Assert.Single(events.OfType<ErrorProduced>()).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs a cell while loading, like an <c>extension.dib</c> would.</summary>
    private sealed class SubmittingExtension : IKernelExtension
    {
        public async Task OnLoadAsync(CSharpKernel kernel)
        {
            SubmissionResult result = await kernel.SubmitCodeAsync("var setByExtension = 11;", _ => { });
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("the extension's cell failed");
            }
        }
    }

    /// <summary>A failing extension; not public, so loading the test assembly as a dll does not pick it up.</summary>
    private sealed class FailingExtension : IKernelExtension
    {
        public Task OnLoadAsync(CSharpKernel kernel) => throw new InvalidOperationException("missing configuration");
    }
}

/// <summary>A tiny extension: a directive and a type for cells.</summary>
public sealed class SampleExtension : IKernelExtension
{
    private static readonly ConcurrentDictionary<CSharpKernel, int> s_loads = new();

    public static int LoadCount(CSharpKernel kernel) => s_loads.TryGetValue(kernel, out int count) ? count : 0;

    public Task OnLoadAsync(CSharpKernel kernel)
    {
        s_loads.AddOrUpdate(kernel, 1, (_, count) => count + 1);
        var name = new KernelDirectiveParameter("--name", "Who to greet.") { AllowImplicitName = true, Required = true };
        kernel.AddDirective<GreetCommand>(
            new KernelActionDirective("#!greet", "Greets someone.") { Parameters = [name] },
            (command, _) =>
            {
                Console.WriteLine(SampleGreeter.Greet(command.Name!));
                return Task.CompletedTask;
            });
        kernel.AddAssemblyReference(typeof(SampleExtension).Assembly);
        kernel.AddUsings("Workbench.Kernel.Tests.Interactive");
        Console.WriteLine("sample extension loaded");
        return Task.CompletedTask;
    }

    public sealed class GreetCommand : KernelDirectiveCommand
    {
        public string? Name { get; set; }
    }
}

/// <summary>A type an extension makes available to cells.</summary>
public static class SampleGreeter
{
    public static string Greet(string name) => $"Hello, {name}!";
}
