using Workbench.Interactive;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary><c>#!mmu-run</c> through a real kernel, as a notebook cell submits it.</summary>
[Collection(SessionCollection.Name)]
public class DirectiveTests
{
    [Fact]
    public async Task run_displays_html_for_a_good_file()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync($"#!mmu-run \"{Repository.Experiment("first-walk-4level.json")}\"");

        Assert.True(cell.Succeeded, cell.ToString());
        Assert.Empty(cell.Errors);
        DisplayedValueProduced display = Assert.Single(cell.Displays);
        Assert.Contains("mmu-card", display.FormattedValues["text/html"]);
        Assert.Contains("ok gpa 0x200234", display.FormattedValues["text/plain"]);
        Assert.DoesNotContain("walk trace", display.FormattedValues["text/html"]);
    }

    [Fact]
    public async Task run_with_trace_shows_the_walk_table()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync($"#!mmu-run {Repository.Experiment("first-walk-4level.json")} --trace");

        Assert.True(cell.Succeeded, cell.ToString());
        string html = Assert.Single(cell.Displays).FormattedValues["text/html"];
        Assert.Contains("walk trace: 4 page-table reads, 4 A/D write-backs", html);
    }

    [Fact]
    public async Task run_of_a_json_lines_file_displays_each_experiment_then_one_error_for_the_invalid_line()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        string batch = Repository.Experiment("batch.jsonl");
        int lines = File.ReadAllLines(batch).Count(l => !string.IsNullOrWhiteSpace(l));

        Submission all = await kernel.SubmitAsync($"#!mmu-run {batch}");
        Submission one = await kernel.SubmitAsync($"#!mmu-run {batch} --name \"#PF not present, then fixed by the guest\"");

        // batch.jsonl carries a deliberately broken line (a misspelt field) to show how errors name the field.
        Assert.Equal(lines, all.Displays.Count);
        ErrorProduced error = Assert.Single(all.Errors);
        Assert.StartsWith("#!mmu-run: invalid experiment batch.jsonl:3: steps[0].gav: unknown field", error.Message);
        Assert.True(one.Succeeded, one.ToString());
        Assert.Contains("#PF not present", Assert.Single(one.Displays).FormattedValues["text/html"]);
    }

    [Fact]
    public async Task missing_file_is_exactly_one_error_naming_the_file()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-run no-such-experiment.json");

        Assert.False(cell.Succeeded);
        ErrorProduced error = Assert.Single(cell.Errors);
        Assert.Contains("no-such-experiment.json", error.Message);
        Assert.StartsWith("#!mmu-run:", error.Message);
        Assert.Empty(cell.Displays);
    }

    [Fact]
    public async Task endless_file_is_one_error_not_a_hang()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-run /dev/zero");

        ErrorProduced error = Assert.Single(cell.Errors);
        Assert.Equal("FileError", error.Name);
        Assert.Contains("larger than 16 MiB", error.Message);
    }

    [Fact]
    public async Task invalid_experiment_is_one_error_naming_the_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mmu-invalid-{Guid.NewGuid():N}.json");
        string text = File.ReadAllText(Repository.Experiment("first-walk-4level.json")).Replace("\"gva\": \"0x401234\", \"cpl\": 3", "\"gva\": \"0x401234\", \"cpl\": 7");
        File.WriteAllText(path, text);
        try
        {
            MmuKernel kernel = await MmuKernel.CreateAsync();
            Submission cell = await kernel.SubmitAsync($"#!mmu-run {path}");

            Assert.False(cell.Succeeded);
            ErrorProduced error = Assert.Single(cell.Errors);
            Assert.Contains("steps[5].cpl", error.Message);
            Assert.Equal("InvalidExperiment", error.Name);
            Assert.IsType<ErrorProduced>(cell.Events[^1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task unknown_name_is_one_error_listing_the_names()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync($"#!mmu-run {Repository.Experiment("pf-not-present.json")} --name nope");

        ErrorProduced error = Assert.Single(cell.Errors);
        Assert.Equal("#!mmu-run: --name: no experiment named 'nope' in pf-not-present.json (it has: '#PF not present, then fixed by the guest').", error.Message);
    }

    [Fact]
    public async Task missing_file_argument_and_unknown_option_are_binding_errors()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission noFile = await kernel.SubmitAsync("#!mmu-run --trace");
        Submission unknown = await kernel.SubmitAsync($"#!mmu-run {Repository.Experiment("pf-not-present.json")} --traec");

        Assert.Contains("--file", Assert.Single(noFile.Errors).Message);
        Assert.Contains("--traec", Assert.Single(unknown.Errors).Message);
    }

    [Fact]
    public async Task help_lists_the_parameters()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-run -h");

        Assert.True(cell.Succeeded, cell.ToString());
        Assert.Contains("--trace", cell.Output);
        Assert.Contains("--name", cell.Output);
        Assert.Contains("--file", cell.Output);
    }

    [Fact]
    public async Task file_completions_offer_the_example_experiments()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.Combine(Repository.Root, "notebooks");
        try
        {
            const string Code = "#!mmu-run ../datasets/experiments/first";
            CompletionResult completions = await kernel.Kernel.GetCompletionsAsync(Code, Code.Length);

            Assert.Contains("../datasets/experiments/first-walk-4level.json", completions.Matches);
            Assert.DoesNotContain(completions.Matches, m => m.Contains("pae-pdptr", StringComparison.Ordinal));
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public async Task relative_file_names_resolve_against_the_dataset_folder()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.Combine(Repository.Root, "notebooks");
        try
        {
            Submission relative = await kernel.SubmitAsync("#!mmu-run ../datasets/experiments/smep-fetch.json");
            Submission bare = await kernel.SubmitAsync("#!mmu-run smep-fetch.json");

            Assert.True(relative.Succeeded, relative.ToString());
            Assert.True(bare.Succeeded, bare.ToString());
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
