using Workbench.Interactive;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Commands;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The notebook's guests are process-wide (one kernel per process in real use): these tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SessionCollection
{
    public const string Name = "notebook session";
}

/// <summary>
/// The building commands through a real kernel, as cells submit them: guest → nested → map → access, each command's
/// binding, and one error naming the parameter for bad input.
/// </summary>
[Collection(SessionCollection.Name)]
public class SessionCommandTests
{
    public SessionCommandTests()
    {
        Session.Reset();
    }

    [Fact]
    public async Task guest_nested_map_access_is_a_2d_walk_with_its_reports()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission guest = await kernel.SubmitAsync("#!mmu-guest --name lab --paging 4level --wp --nx --tdp ept");
        Submission nested = await kernel.SubmitAsync("#!mmu-nested --kind vmx --l1-tdp on --paging 4level --wp --ept-ad");
        Submission map = await kernel.SubmitAsync("#!mmu-map --gva 0x401000 --gpa 0x1234000 --flags r,w,u");
        Submission access = await kernel.SubmitAsync("#!mmu-access 0x401234 --write --cpl 3");

        foreach (Submission cell in new[] { guest, nested, map, access })
        {
            Assert.True(cell.Succeeded, cell.ToString());
        }

        LiveExperiment lab = Session.Get("lab");
        Assert.NotNull(lab.Nested);
        var report = Assert.IsType<AccessResult>(lab.Results[^1]);
        Assert.True(report.Walk.IsOk, report.Walk.ToString());
        // The result is where the data really is: L2 GPA 0x1234234 through L1's EPT, backed by an L1 page.
        Assert.Equal(0x234UL, report.Walk.Gpa & 0xFFF);
        Assert.Contains(report.Trace, t => t.Dimension == 2);
        Assert.Equal(24, report.Trace.Count(t => t.Kind == TraceKind.Read));
        string html = Assert.Single(access.Displays).FormattedValues["text/html"];
        Assert.Contains("workbench-plotly", html); // the report carries the chart of its walk

        Submission tablesOnly = await kernel.SubmitAsync("#!mmu-access 0x401234 --no-chart");
        Assert.DoesNotContain("workbench-plotly", Assert.Single(tablesOnly.Displays).FormattedValues["text/html"]);
    }

    [Fact]
    public async Task the_same_sequence_through_the_csharp_api_gives_the_same_experiment()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-guest --name a --paging pae --wp");
        await kernel.SubmitAsync("#!mmu-map --gva 0x401000 --gpa 0x200000 --flags r");
        await kernel.SubmitAsync("#!mmu-access --gva 0x401000 --write");
        string fromCommands = ExperimentWriter.Write(Session.Get("a").Experiment with { Name = "x" });

        Submission cell = await kernel.SubmitAsync(
            "Session.Guest(\"b\", GuestPaging.Pae, wp: true);\n" +
            "Session.Map(0x401000, 0x200000, flags: \"r\");\n" +
            "Session.Access(0x401000, AccessKind.Write).Result");
        Assert.True(cell.Succeeded, cell.ToString());
        Assert.StartsWith("#PF", cell.ReturnedPlainText);
        Assert.Equal(fromCommands, ExperimentWriter.Write(Session.Get("b").Experiment with { Name = "x" }));
    }

    [Fact]
    public async Task save_then_run_replays_bit_for_bit_and_the_guest_goes_on()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        string file = Path.Combine(Path.GetTempPath(), $"mmu-save-{Guid.NewGuid():N}.json");
        await kernel.SubmitAsync("#!mmu-guest --name s --paging 4level --smep --tdp none");
        await kernel.SubmitAsync("#!mmu-fault smep");
        Submission save = await kernel.SubmitAsync($"#!mmu-save {file}");
        Assert.True(save.Succeeded, save.ToString());
        Assert.Contains("steps", save.Output);

        Submission run = await kernel.SubmitAsync($"#!mmu-run {file}");
        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(
            ExperimentResultWriter.ToJson(new ExperimentResult { Name = "s", Steps = [.. Session.Get("s").Results] }),
            ExperimentResultWriter.ToJson(ExperimentRunner.Run(ExperimentParser.Parse(File.ReadAllText(file)), new RunOptions(Trace: true))));
        Submission more = await kernel.SubmitAsync("#!mmu-fault notpresent");
        Assert.True(more.Succeeded, more.ToString());
    }

    [Fact]
    public async Task walk_through_each_walker_decodes_its_own_format()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-guest --name w2 --paging 4level");
        await kernel.SubmitAsync("#!mmu-nested --kind vmx --paging 4level");
        await kernel.SubmitAsync("#!mmu-map --gva 0x401000 --gpa 0x200000");

        Submission l2 = await kernel.SubmitAsync("#!mmu-walk 0x401234 --walker nested_mmu --no-chart");
        Submission ept = await kernel.SubmitAsync("#!mmu-walk 0x200234 --walker guest_mmu --no-chart");

        string l2Text = Assert.Single(l2.Displays).FormattedValues["text/plain"];
        string eptText = Assert.Single(ept.Displays).FormattedValues["text/plain"];
        Assert.Contains("[P RW", l2Text);          // L2's own entries: x86
        Assert.Contains("EPT", l2Text);            // its GPAs through L1's EPT
        Assert.Contains("[R W X", eptText);        // guest_mmu walks L1's EPT: EPT entries
        Assert.DoesNotContain("[P RW", eptText);
    }

    [Fact]
    public async Task help_lists_the_parameters_of_every_command()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        foreach (MmuCommandSpec spec in MmuCommands.All)
        {
            Submission cell = await kernel.SubmitAsync(spec.Name + " -h");
            Assert.True(cell.Succeeded, cell.ToString());
            foreach (MmuCommandParameter parameter in spec.Parameters)
            {
                Assert.Contains(parameter.Name, cell.Output);
            }
        }
    }

    public static TheoryData<string, string> BadInput => new()
    {
        { "#!mmu-guest --paging 6level", "--paging: '6level' is not one of none, 32bit, pse36, pae, 4level, 5level" },
        { "#!mmu-guest --maxphyaddr 99", "--maxphyaddr: '99' is not an integer from 36 to 52" },
        { "#!mmu-guest --memory lots", "--memory: 'lots' is not a size" },
        { "#!mmu-guest --tdp npt --vendor intel", "--tdp: npt needs vendor amd" },
        { "#!mmu-guest --paging pae --pke", "--pke: protection keys need 4-level or 5-level paging" },
        { "#!mmu-guest --variant 2099", "--variant: '2099' is not one of" },
        { "#!mmu-guest --pkru 0x1ffffffff", "--pkru: 0x1ffffffff does not fit" },
        { "#!mmu-map --gva 0x401000 --gpa 0x200000 --flags r,q", "--flags: 'q' is not an x86 entry flag" },
        { "#!mmu-map --gva 0x401001 --gpa 0x200000", "--gva: gva 0x401001 and gpa 0x200000 must be aligned to 0x1000" },
        { "#!mmu-map --gva 0x401000 --gpa 0x200000 --pkey 16", "--pkey: '16' is not an integer from 0 to 15" },
        { "#!mmu-map --gva 0x401000 --gpa 0x200000 --size 3K", "--size:" },
        { "#!mmu-map --gva 0x401000 --gpa 0x200000 --tdp-tables", "--tdp-tables: the guest 'g' has no L2" },
        { "#!mmu-map --gva 0x401000 --gpa 0x200000 --level 2", "--level: the guest 'g' has no L2" },
        { "#!mmu-map --gva zz --gpa 0x200000", "--gva: 'zz' is not a number" },
        { "#!mmu-map --gpa 0x200000", "'--gva'" },
        { "#!mmu-access 0x401000 --read --write", "--read/--write/--fetch: give at most one of them" },
        { "#!mmu-access 0x401000 --cpl 4", "--cpl: '4' is not an integer from 0 to 3" },
        { "#!mmu-access 0x401000 --level 2", "--level: the guest 'g' has no L2" },
        { "#!mmu-store 0x401000 --value 0x1 --cpl 9", "--cpl:" },
        { "#!mmu-fault --kind boom", "--kind: 'boom' is not one of notpresent" },
        { "#!mmu-fault --kind ept-violation", "--kind: ept-violation needs a VMX L2" },
        { "#!mmu-walk 0x401000 --walker nope", "--walker: 'nope' is not a walker of 6.12" },
        { "#!mmu-peek 0x200000000", "--gpa:" },
        { "#!mmu-access 0x401000 --name nobody", "--name: no guest is named 'nobody'" },
        { "#!mmu-set", "no register given" },
        { "#!mmu-nested --l1-tdp maybe", "--l1-tdp: 'maybe' is neither on nor off" },
        { "#!mmu-nested --kind svm", "--kind: svm needs vendor amd" },
        { "#!mmu-nested --ept-levels 6", "--ept-levels: '6' is not an integer from 4 to 5" },
        { "#!mmu-save /proc/no/such/dir/x.json", "--file: cannot write" },
        { "#!mmu-sweep --slice lots", "--slice: 'lots' is not a number" },
        { "#!mmu-sweep --pku maybe", "--pku: 'maybe' is neither on nor off" },
        { "#!mmu-sweep --jobs 0", "--jobs: '0' is not an integer from 1 to 256" },
        { "#!mmu-poke 0x1000", "'--value'" },
        { "#!mmu-poke 0x100000000 --value 1", "--gpa: 0x100000000 is not writable guest memory" },
        { "#!mmu-invlpg zz", "--gva: 'zz' is not a number" },
        { "#!mmu-dump --name nobody", "--name: no guest is named 'nobody'" },
        { "#!mmu-walk 0x401000 --name nobody", "--name: no guest is named 'nobody'" },
        { "#!mmu-set --cr0 0xzz", "--cr0: '0xzz' is not a number" },
        { "#!mmu-fault", "'--kind'" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task bad_input_is_one_error_naming_the_parameter_and_keeps_the_guest(string line, string message)
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission setup = await kernel.SubmitAsync("#!mmu-guest --name g --memory 64M");
        Assert.True(setup.Succeeded, setup.ToString());
        int steps = Session.Get("g").StepCount;

        Submission cell = await kernel.SubmitAsync(line);

        ErrorProduced error = Assert.Single(cell.Errors);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(line.Split(' ')[0], error.Message, StringComparison.Ordinal);
        Assert.Equal("g", Session.Current.Name);
        Assert.Equal(steps, Session.Current.StepCount);
    }

    [Fact]
    public async Task commands_before_any_guest_say_how_to_make_one()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-access 0x1000");
        Assert.Contains("there is no guest yet; create one with #!mmu-guest", Assert.Single(cell.Errors).Message);
    }

    [Fact]
    public async Task completions_offer_the_choices()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-guest --name c");
        Assert.Contains("5level", await Complete(kernel.Kernel, "#!mmu-guest --paging "));
        Assert.Contains("ept-misconfig", await Complete(kernel.Kernel, "#!mmu-fault --kind "));
        Assert.Contains("nested_mmu", await Complete(kernel.Kernel, "#!mmu-walk 0x1000 --walker "));
        Assert.Contains("chainsaw-v2", await Complete(kernel.Kernel, "#!mmu-guest --variant "));
        Assert.Contains("c", await Complete(kernel.Kernel, "#!mmu-dump --name "));
    }

    [Fact]
    public async Task sweep_shows_progress_then_outcomes()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-guest --name w --tdp none");
        Submission cell = await kernel.SubmitAsync("#!mmu-sweep --slice 20000");
        Assert.True(cell.Succeeded, cell.ToString());
        Assert.Contains("20,000", cell.Displays[0].FormattedValues["text/plain"]);
        Assert.True(cell.Displays.Count >= 2);
    }

    [Fact]
    public async Task sweep_on_two_threads_shows_what_one_thread_shows()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        await kernel.SubmitAsync("#!mmu-guest --name w --tdp none");
        Submission one = await kernel.SubmitAsync("#!mmu-sweep --slice 30000 --jobs 1 --no-chart");
        Submission two = await kernel.SubmitAsync("#!mmu-sweep --slice 30000 --jobs 2 --no-chart");
        Assert.True(one.Succeeded, one.ToString());
        Assert.True(two.Succeeded, two.ToString());

        // The outcomes (cases, error codes, fault rate by flag: sums over the same cases, whatever thread ran them).
        string outcomes = one.Displays[^1].FormattedValues["text/plain"];
        Assert.StartsWith("access.c sweep: 30000 cases run of 30000 planned", outcomes);
        Assert.Contains("#PF", outcomes);
        Assert.Equal(outcomes, two.Displays[^1].FormattedValues["text/plain"]);
    }

    private static async Task<IReadOnlyList<string>> Complete(Kernel kernel, string code)
    {
        IReadOnlyList<string> items = (await kernel.GetCompletionsAsync(code, code.Length)).Matches;
        return items;
    }
}
