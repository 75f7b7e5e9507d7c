using Workbench.Interactive.Formatting;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Experiments;
using Workbench.Mmu.Notebook.Formatting;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The HTML of every formatter, compared with approved files (see <see cref="Golden"/>).</summary>
public class FormatterGoldenTests
{
    public FormatterGoldenTests()
    {
        MmuKernelExtension.EnsureFormattersRegistered();
    }

    [Fact]
    public void walk_result_ok()
    {
        Vm vm = Guests.FirstWalkVm();
        WalkResult result = vm.Vcpu.Access(0x401234, AccessKind.Read, 0, false);
        Assert.True(result.IsOk);
        Verify(result);
    }

    [Fact]
    public void walk_result_page_fault_decodes_error_code_and_cr2()
    {
        Vm vm = Guests.FirstWalkVm();
        WalkResult result = vm.Vcpu.Access(0x401234, AccessKind.Write, 3, false);
        Assert.Equal(WalkOutcome.PageFault, result.Outcome);
        string html = Verify(result);
        Assert.Contains("0x401234", html);
        Assert.Contains(">U</span>", html);
    }

    [Fact]
    public void walk_result_general_protection()
    {
        Vm vm = Guests.FirstWalkVm();
        Verify(vm.Vcpu.Access(0x0000_8000_0000_0000, AccessKind.Read, 0, false));
    }

    [Fact]
    public void walk_trace_with_accessed_and_dirty_write_backs()
    {
        Vm vm = Guests.FirstWalkVm();
        var trace = new WalkTrace();
        Assert.True(vm.Vcpu.Access(0x401234, AccessKind.Write, 0, false, trace).IsOk);
        Assert.True(trace.WriteCount > 0);
        string html = Verify(trace);
        Assert.Contains("A 0→1", html);
        Assert.Contains("D 0→1", html);
    }

    [Fact]
    public void cpu_registers_card()
    {
        Verify(Guests.FirstWalk().Vcpu);
    }

    [Fact]
    public void vcpu_card()
    {
        Verify(Guests.FirstWalkVm().Vcpu);
    }

    [Fact]
    public void page_format_permission_table()
    {
        Verify(Guests.FirstWalkVm().Vcpu.WalkFormat);
    }

    [Fact]
    public void experiment_run_with_trace()
    {
        ExperimentRun run = Assert.Single(ExperimentFiles.Run(Repository.Experiment("first-walk-4level.json"), trace: true));
        Verify(run);
    }

    [Fact]
    public void experiment_run_without_trace_shows_faults_and_fixes()
    {
        ExperimentRun run = Assert.Single(ExperimentFiles.Run(Repository.Experiment("pf-not-present.json")));
        Verify(run);
    }

    [Fact]
    public void experiment_run_invalid_names_the_field()
    {
        var run = new ExperimentRun("bad.json", null, ExperimentResult.Invalid("broken", "steps[0].gva: 0x800000000000 is not canonical"));
        string html = Verify(run);
        Assert.Contains("steps[0].gva", html);
    }

    [Fact]
    public void experiment_result_alone()
    {
        Verify(ExperimentRunner.Run(Guests.FirstWalk()));
    }

    [Fact]
    public void html_encodes_names_from_experiments()
    {
        Experiment experiment = Guests.FirstWalk() with { Name = "<script>alert(1)</script> & co" };
        string html = Formatter.ToDisplayString(ExperimentRun.Of(experiment), Formatter.HtmlMimeType);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co", html);
    }

    [Fact]
    public void plain_text_is_produced_for_every_type()
    {
        Vm vm = Guests.FirstWalkVm();
        var trace = new WalkTrace();
        WalkResult fault = vm.Vcpu.Access(0x401234, AccessKind.Read, 3, false, trace);
        Assert.Equal("#PF error code 0x5 [P U] CR2 0x401234 (level 1: user read: the entries forbid it (protection violation))", Formatter.ToDisplayString(fault));
        Assert.StartsWith(" 1 R     L4 0x1000", Formatter.ToDisplayString(trace));
        Assert.Contains("4-level paging", Formatter.ToDisplayString(vm.Vcpu));
        Assert.Contains("user write", Formatter.ToDisplayString(vm.Vcpu.WalkFormat));
        var traced = (AccessResult)ExperimentFiles.Run(Repository.Experiment("first-walk-4level.json"), trace: true)[0].Result.Steps[0];
        Assert.Contains("A 0→1", Formatter.ToDisplayString(traced.Trace));
        Assert.Contains("walk trace: 4 page-table reads", Formatter.ToDisplayString(traced.Trace, Formatter.HtmlMimeType));
        IReadOnlyDictionary<string, string> bundle = Formatter.ToFormattedValues(fault);
        Assert.Equal(new[] { "text/html", "text/plain" }, bundle.Keys.Order());
    }

    private string Verify<T>(T value, [System.Runtime.CompilerServices.CallerMemberName] string testName = "")
    {
        string html = Formatter.ToDisplayString(value, Formatter.HtmlMimeType);
        Golden.Verify(html, nameof(FormatterGoldenTests), testName);
        return html;
    }
}
