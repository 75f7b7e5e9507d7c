using Workbench.Interactive;
using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

public sealed class InterruptTests : IClassFixture<KernelFixture>
{
    private readonly CSharpKernel _kernel;

    public InterruptTests(KernelFixture fixture) => _kernel = fixture.Kernel;

    [Theory]
    [InlineData("while (true) { }")]
    [InlineData("for (;;) { }")]
    [InlineData("do { } while (true);")]
    [InlineData("foreach (var i in Enumerable.Repeat(1, int.MaxValue)) { }")]
    [InlineData("spin: goto spin;")]
    [InlineData("long Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);\nFib(90)")]
    [InlineData("Action loop = () => { while (true) { } };\nloop();")]
    [InlineData("await Task.Run(() => { while (true) { } });")]
    public async Task Interrupt_stops_a_runaway_cell_and_the_kernel_lives_on(string code)
    {
        await KernelRun.SubmitOkAsync(_kernel, "var beforeInterrupt = 5;");
        Task<KernelRun> running = KernelRun.SubmitAsync(_kernel, code);
        await WaitUntilRunningAsync();
        _kernel.Interrupt();
        KernelRun run = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(run.Succeeded);
        ErrorProduced error = run.Error;
        Assert.Equal("OperationCanceledException", error.Name);
        Assert.DoesNotContain(error.Traceback, line => line.Contains("ScriptInterrupt", StringComparison.Ordinal));

        KernelRun after = await KernelRun.SubmitOkAsync(_kernel, "beforeInterrupt * 2");
        Assert.Equal("10", after.ReturnText);
    }

    [Fact]
    public async Task Cancelling_the_submission_token_interrupts()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        KernelRun run = await KernelRun.SubmitAsync(_kernel, "while (true) { }", cancellation.Token).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("OperationCanceledException", run.Error.Name);
    }

    [Fact]
    public async Task A_cell_blocked_in_library_code_is_abandoned_and_the_kernel_continues_from_the_last_state()
    {
        await KernelRun.SubmitOkAsync(_kernel, "var keptAcrossAbandon = 3;");
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<KernelRun> running = KernelRun.SubmitAsync(
            _kernel,
            "var declaredByAbandonedCell = 1;\nConsole.WriteLine(\"blocking\"); Console.Out.Flush();\nThread.Sleep(Timeout.Infinite);",
            observe: e =>
            {
                if (e is StandardOutputProduced)
                {
                    blocking.TrySetResult();
                }
            });
        await blocking.Task.WaitAsync(TimeSpan.FromSeconds(60));
        _kernel.Interrupt();
        KernelRun run = await running.WaitAsync(TimeSpan.FromSeconds(30));

        ErrorProduced error = run.Error;
        Assert.Equal("KernelInterrupted", error.Name);
        Assert.Contains("abandoned", error.Message, StringComparison.Ordinal);

        // The kernel continues from the state before the abandoned cell: its declarations are gone, older ones stay.
        KernelRun after = await KernelRun.SubmitOkAsync(_kernel, "keptAcrossAbandon");
        Assert.Equal("3", after.ReturnText);
        KernelRun missing = await KernelRun.SubmitAsync(_kernel, "declaredByAbandonedCell");
        Assert.Equal("CompilationError", missing.Error.Name);
    }

    [Fact]
    public async Task Interrupt_when_idle_does_nothing()
    {
        _kernel.Interrupt();
        KernelRun run = await KernelRun.SubmitOkAsync(_kernel, "for (int i = 0; i < 1000; i++) { }\n\"done\"");
        Assert.Equal("done", run.ReturnText);
    }

    [Fact]
    public async Task A_directive_handler_sees_the_cancellation()
    {
        var directive = new Workbench.Interactive.Directives.KernelActionDirective("#!wait-forever");
        _kernel.AddDirective<WaitCommand>(directive, (_, context) => Task.Delay(Timeout.Infinite, context.CancellationToken));
        Task<KernelRun> running = KernelRun.SubmitAsync(_kernel, "#!wait-forever");
        await WaitUntilRunningAsync();
        _kernel.Interrupt();
        KernelRun run = await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("OperationCanceledException", run.Error.Name);
    }

    /// <summary>Waits until the kernel has started the submission (so that the interrupt is not a no-op).</summary>
    private async Task WaitUntilRunningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_kernel.ActiveContext is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        // Let the cell get past compilation into its loop; an earlier interrupt is honoured as well.
        await Task.Delay(200);
    }

    public sealed class WaitCommand : Workbench.Interactive.Commands.KernelDirectiveCommand
    {
    }
}
