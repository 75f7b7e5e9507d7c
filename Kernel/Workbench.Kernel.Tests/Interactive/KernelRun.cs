using System.Collections.Concurrent;
using Workbench.Interactive;

namespace Workbench.Kernel.Tests.Interactive;

/// <summary>The events of one submission, collected for assertions.</summary>
internal sealed class KernelRun
{
    private readonly ConcurrentQueue<KernelEvent> _events = new();

    public bool Succeeded { get; private set; }

    public IReadOnlyList<KernelEvent> Events => _events.ToArray();

    public IReadOnlyList<ErrorProduced> Errors => Events.OfType<ErrorProduced>().ToArray();

    public ErrorProduced Error => Assert.Single(Errors);

    public string StandardOutput => string.Concat(Events.OfType<StandardOutputProduced>().Select(e => e.Text));

    public string StandardError => string.Concat(Events.OfType<StandardErrorProduced>().Select(e => e.Text));

    public IReadOnlyDictionary<string, string>? ReturnValue => Events.OfType<ReturnValueProduced>().SingleOrDefault()?.FormattedValues;

    public string? ReturnText => ReturnValue?["text/plain"];

    /// <summary>Runs <paramref name="code"/> and collects its events.</summary>
    public static async Task<KernelRun> SubmitAsync(Workbench.Interactive.Kernel kernel, string code, CancellationToken cancellationToken = default, Action<KernelEvent>? observe = null)
    {
        var run = new KernelRun();
        SubmissionResult result = await kernel.SubmitCodeAsync(
            code,
            e =>
            {
                run._events.Enqueue(e);
                observe?.Invoke(e);
            },
            cancellationToken);
        run.Succeeded = result.Succeeded;
        return run;
    }

    /// <summary>Runs <paramref name="code"/> and fails the test with the error text if it did not succeed.</summary>
    public static async Task<KernelRun> SubmitOkAsync(Workbench.Interactive.Kernel kernel, string code)
    {
        KernelRun run = await SubmitAsync(kernel, code);
        Assert.True(run.Succeeded, $"Cell failed: {code}\n{string.Join("\n", run.Errors.SelectMany(e => e.Traceback))}");
        Assert.Empty(run.Errors);
        return run;
    }
}

/// <summary>One warmed-up kernel shared by the tests of a class (creating one costs a second or more).</summary>
public sealed class KernelFixture : IAsyncLifetime
{
    public Workbench.Interactive.Kernel Kernel { get; } = Workbench.Interactive.Kernel.CreateCSharpKernel();

    public Task InitializeAsync() => Kernel.WarmUpAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
