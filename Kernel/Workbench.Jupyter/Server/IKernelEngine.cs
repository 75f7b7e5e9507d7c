using Workbench.Interactive;

namespace Workbench.Jupyter.Server;

/// <summary>
/// What the Jupyter server needs from a language engine. The real implementation forwards to
/// <c>Workbench.Interactive.Kernel</c>; tests substitute a scripted fake so the protocol layer can be exercised
/// without compiling C#.
/// </summary>
public interface IKernelEngine
{
    /// <summary>The <c>language_info</c> block for kernel_info_reply.</summary>
    KernelLanguageInfo LanguageInfo { get; }

    /// <summary>The banner for kernel_info_reply.</summary>
    string Banner { get; }

    /// <summary>Runs a cell; events may be raised on any thread until the task completes.</summary>
    Task<SubmissionResult> SubmitCodeAsync(string code, Action<KernelEvent> onEvent, CancellationToken cancellationToken);

    /// <summary>Completions at a UTF-16 cursor index.</summary>
    Task<CompletionResult> GetCompletionsAsync(string code, int cursor);

    /// <summary>Inspection at a UTF-16 cursor index.</summary>
    Task<InspectionResult> InspectAsync(string code, int cursor, int detailLevel);

    /// <summary>Whether the code is a complete submission.</summary>
    IsCompleteResult IsComplete(string code);

    /// <summary>Stops the running submission (called from the control thread).</summary>
    void Interrupt();
}
