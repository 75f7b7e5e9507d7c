using Workbench.Interactive;

namespace Workbench.Jupyter.Server;

/// <summary>
/// The <see cref="IKernelEngine"/> over the C# script engine (<see cref="Kernel"/>). The kernel may still be
/// under construction (creating it loads the reference assemblies' metadata, which takes a while): the sockets
/// come up meanwhile and each member waits for it only when first needed.
/// </summary>
public sealed class InteractiveKernelEngine : IKernelEngine
{
    private readonly Task<Kernel> _pending;

    /// <summary>Wraps a kernel.</summary>
    public InteractiveKernelEngine(Kernel kernel)
        : this(Task.FromResult(kernel))
    {
    }

    /// <summary>Wraps a kernel that is being created.</summary>
    public InteractiveKernelEngine(Task<Kernel> kernel)
    {
        _pending = kernel;
    }

    private Kernel Engine => _pending.GetAwaiter().GetResult();

    /// <inheritdoc />
    public KernelLanguageInfo LanguageInfo => Engine.LanguageInfo;

    /// <inheritdoc />
    public string Banner => Engine.Banner;

    /// <inheritdoc />
    public Task<SubmissionResult> SubmitCodeAsync(string code, Action<KernelEvent> onEvent, CancellationToken cancellationToken)
    {
        return Engine.SubmitCodeAsync(code, onEvent, cancellationToken);
    }

    /// <inheritdoc />
    public Task<CompletionResult> GetCompletionsAsync(string code, int cursor)
    {
        return Engine.GetCompletionsAsync(code, cursor);
    }

    /// <inheritdoc />
    public Task<InspectionResult> InspectAsync(string code, int cursor, int detailLevel)
    {
        return Engine.InspectAsync(code, cursor, detailLevel);
    }

    /// <inheritdoc />
    public IsCompleteResult IsComplete(string code)
    {
        return Engine.IsComplete(code);
    }

    /// <inheritdoc />
    public void Interrupt()
    {
        // Nothing can be running before the kernel exists; do not block the control thread waiting for it.
        if (!_pending.IsCompletedSuccessfully)
        {
            return;
        }

        Engine.Interrupt();
    }
}
