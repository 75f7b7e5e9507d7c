using Workbench.Interactive;
using Workbench.Mmu.Analysis;
using Workbench.Mmu.Notebook.Commands;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>
/// <c>#!mmu-compare</c>, <c>#!mmu-naming</c> and <c>#!mmu-explain</c> through a real kernel, as cells submit them. The
/// naming scheme is a process-wide display setting like the session's guests, so these run in the session collection
/// and put the organizations' own names back afterwards.
/// </summary>
[Collection(SessionCollection.Name)]
public sealed class VariantCommandTests : IDisposable
{
    public VariantCommandTests()
    {
        Session.Reset();
        DisplayNames.Use(null);
    }

    public void Dispose() => DisplayNames.Use(null);

    [Fact]
    public async Task compare_finds_two_real_variants_equal()
    {
        (Submission cell, string text) = await ShowsOneValue("#!mmu-compare --variants 6.12,chainsaw-v2 --suite quick --no-sweep");
        Assert.Contains("chainsaw-v2          equal on every case", text);
        Assert.DoesNotContain("first divergence", text);
        Assert.Contains("workbench-plotly", cell.Displays[0].FormattedValues["text/html"]); // the divergence chart
    }

    [Fact]
    public async Task compare_catches_a_broken_variant_and_shows_the_first_divergence_side_by_side()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-compare --variants 6.12,broken-nested-wp --suite quick --no-sweep --no-chart");

        Assert.True(cell.Succeeded, cell.ToString());
        Assert.Equal(2, cell.Displays.Count); // the comparison, then the first divergent access side by side
        string text = cell.Displays[0].FormattedValues["text/plain"];
        Assert.Contains("broken-nested-wp     2 divergent cases", text);
        // After L2 clears CR0.WP a supervisor write to a read-only page succeeds (SDM 4.6.1); the broken walker faults.
        Assert.Contains("first divergence of broken-nested-wp: L2 nested EPT, 4level, wp-flip, step 8", text);
        Assert.Contains("different: L2 nested NPT, 4level, wp-flip", text);
        string html = cell.Displays[0].FormattedValues["text/html"];
        Assert.Contains("<th>6.12</th><th>broken-nested-wp</th>", html);
        Assert.DoesNotContain("workbench-plotly", html);

        string sideBySide = cell.Displays[1].FormattedValues["text/plain"];
        Assert.StartsWith("first divergence of broken-nested-wp side by side: L2 nested EPT, 4level, wp-flip, step 8\n--- 6.12\n", sideBySide, StringComparison.Ordinal);
        Assert.Contains("--- broken-nested-wp\naccess write", sideBySide, StringComparison.Ordinal);
        Assert.Contains("#PF", sideBySide.Split("--- broken-nested-wp")[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task explain_names_the_triggering_condition_of_broken_nested_wp()
    {
        (_, string text) = await ShowsOneValue("#!mmu-explain --variants 6.12,broken-nested-wp");
        Assert.Equal(
            "when broken-nested-wp diverges from 6.12 (standard suite): diverges on 8 of 54 cases\nrule: l1_tdp && wp_flip (accuracy 100.0 %, support 8 cases)\n",
            text);
    }

    [Fact]
    public async Task explain_without_a_learner_says_why()
    {
        IRuleLearner? learner = Variants.Learner;
        try
        {
            MmuKernel kernel = await MmuKernel.CreateAsync();
            Variants.Learner = null;
            Submission cell = await kernel.SubmitAsync("#!mmu-explain --variants 6.12,broken-nested-wp --suite quick");
            string message = Assert.Single(cell.Errors).Message;
            Assert.StartsWith("#!mmu-explain: no rule learner is loaded", message, StringComparison.Ordinal);
            Assert.Contains("Variants.Learner", message, StringComparison.Ordinal);
        }
        finally
        {
            Variants.Learner = learner;
        }
    }

    [Fact]
    public async Task naming_a_scheme_renames_later_outputs_and_none_restores()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-guest --name n --tdp ept");
        await kernel.SubmitAsync("#!mmu-nested --kind vmx --l1-tdp on");
        await kernel.SubmitAsync("#!mmu-map --gva 0x401000 --gpa 0x200000");
        Submission own = await kernel.SubmitAsync("#!mmu-access 0x401000 --no-chart");
        Assert.Contains("walked by nested_mmu", Plain(own));

        Submission scheme = await kernel.SubmitAsync("#!mmu-naming --scheme walk01-walk12");
        Assert.True(scheme.Succeeded, scheme.ToString());
        Assert.StartsWith("names: walk01-walk12 (seed 003_16fd2d3fdc337412.txt", scheme.Output, StringComparison.Ordinal);
        Assert.Contains("root_mmu (walk) → walk01", scheme.Output, StringComparison.Ordinal);

        Submission renamed = await kernel.SubmitAsync("#!mmu-access 0x401000 --no-chart");
        Assert.Contains("faults by guest_mmu, walked by walk12", Plain(renamed));
        Assert.Contains("walked by <code>walk12</code>", renamed.Displays[0].FormattedValues["text/html"]);
        Submission card = await kernel.SubmitAsync("Session.Current.Card");
        Assert.Contains("names: walk01-walk12 (seed 003", card.ReturnedPlainText);
        Assert.Contains("walk -> walk12", card.ReturnedPlainText); // the walk_mmu pointer is "walk" in this scheme

        Submission none = await kernel.SubmitAsync("#!mmu-naming --scheme none");
        Assert.Equal("names: each organization's own (no scheme)\n", none.Output);
        Submission restored = await kernel.SubmitAsync("#!mmu-access 0x401000 --no-chart");
        Assert.Contains("faults by guest_mmu, walked by nested_mmu", Plain(restored));
        Assert.DoesNotContain("walk12", Plain(restored));
    }

    [Fact]
    public async Task naming_compare_ranks_the_schemes_and_explains_each_violation()
    {
        (Submission cell, string text) = await ShowsOneValue("#!mmu-naming --compare");
        Assert.StartsWith("naming bake-off: 10 schemes", text, StringComparison.Ordinal);
        Assert.Contains("upstream-6.12: guest_mmu", text, StringComparison.Ordinal);
        string html = cell.Displays[0].FormattedValues["text/html"];
        Assert.Equal(2, html.Split("class=\"mmu-chart\"").Length - 1); // the ranking and the heatmap
        Assert.Contains("violations, each in one sentence", html);
    }

    [Fact]
    public async Task naming_compare_json_is_one_line_per_checked_claim()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-naming --compare --json");

        string[] lines = cell.Output.TrimEnd('\n').Split('\n');
        Assert.Equal(Variants.CompareNaming().Checks.Length, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("{\"scheme\":", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"holds\":false", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> BadInput => new()
    {
        { "#!mmu-compare --variants 6.12,2099", "--variants: '2099' is not one of" },
        { "#!mmu-compare --variants 6.12", "--variants: give at least two different variants" },
        { "#!mmu-compare --variants 6.12,6.12", "--variants: give at least two different variants" },
        { "#!mmu-compare --variants 6.12,2010 --suite huge", "--suite: 'huge' is not one of standard, quick" },
        { "#!mmu-compare --suite quick", "--variants" },
        { "#!mmu-naming --scheme nonsense", "--scheme: 'nonsense' is not one of none, " },
        { "#!mmu-naming", "--scheme/--compare: give exactly one of them" },
        { "#!mmu-naming --scheme walk01-walk12 --compare", "--scheme/--compare: give exactly one of them" },
        { "#!mmu-explain --variants 6.12,2010,chainsaw-v1", "--variants: give exactly two variants" },
        { "#!mmu-explain --variants 6.12,nope", "--variants: 'nope' is not one of" },
        { "#!mmu-explain --variants 6.12,2010 --suite x", "--suite: 'x' is not one of standard, quick" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task bad_input_is_one_error_naming_the_parameter_and_keeps_the_names(string line, string message)
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-naming --scheme walk01-walk12");

        Submission cell = await kernel.SubmitAsync(line);

        ErrorProduced error = Assert.Single(cell.Errors);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(line.Split(' ')[0], error.Message, StringComparison.Ordinal);
        Assert.Equal("walk01-walk12", DisplayNames.Scheme?.Scheme);
    }

    [Fact]
    public void completions_offer_variants_suites_and_schemes()
    {
        IEnumerable<string> Offered(MmuCommandSpec spec, string parameter) => spec.Parameters.Single(p => p.Name == parameter).Completions!();

        Assert.Contains("broken-nested-wp", Offered(VariantCommands.Compare, "--variants"));
        Assert.Equal(["standard", "quick"], Offered(VariantCommands.Explain, "--suite"));
        Assert.Equal(["none", "base_mmu"], Offered(VariantCommands.Naming, "--scheme").Take(2));
        Assert.Contains("walk01-walk12", Offered(VariantCommands.Naming, "--scheme"));
    }

    [Fact]
    public void display_names_prefer_the_part_then_any_and_keep_unnamed_objects()
    {
        Variants.UseNaming("walk01-walk12");
        Assert.Equal("walk01", DisplayNames.Walker("root_mmu"));
        Assert.Equal("root_mmu", DisplayNames.Mmu("root_mmu"));
        Assert.Equal("walk12", DisplayNames.Mmu("nested_mmu"));
        Assert.Equal("cpu_walk", DisplayNames.Walker("cpu_walk"));
        Assert.Equal("walk01", DisplayNames.PointerTarget("walk_mmu", "root_mmu"));
        Assert.Equal("root_mmu", DisplayNames.PointerTarget("mmu", "root_mmu"));
        Assert.Equal("walk", DisplayNames.Pointer("walk_mmu"));
        Assert.Equal("mmu", DisplayNames.Pointer("mmu"));

        // A guest of another organization is renamed where it shares object names, and its card says so.
        Assert.EndsWith("; written for organization 6.12, this is chainsaw-v1: only the names they share are renamed", DisplayNames.Note("chainsaw-v1"), StringComparison.Ordinal);
        Assert.DoesNotContain("written for", DisplayNames.Note("6.12"), StringComparison.Ordinal);

        Assert.Null(Variants.UseNaming("upstream-6.12"));
        Assert.Equal("root_mmu", DisplayNames.Walker("root_mmu"));
        Assert.Null(DisplayNames.Note());
    }

    // A fresh kernel runs the command, which must succeed and display one value; returns it as text/plain.
    private static async Task<(Submission Cell, string Text)> ShowsOneValue(string command)
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync(command);
        Assert.True(cell.Succeeded, cell.ToString());
        return (cell, Plain(cell));
    }

    private static string Plain(Submission cell) => Assert.Single(cell.Displays).FormattedValues["text/plain"];
}
