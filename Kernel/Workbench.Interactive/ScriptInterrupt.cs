using System.Collections.Concurrent;
using System.ComponentModel;

namespace Workbench.Interactive;

/// <summary>
/// The check that the kernel inserts into loop bodies, method bodies and <c>goto</c>s of submitted code
/// (see <see cref="InterruptRewriter"/>). It is public only because compiled cells must be able to call it.
/// </summary>
/// <remarks>
/// .NET cannot abort a thread, so a runaway cell has to stop itself. The fast path is one volatile read of
/// <see cref="s_pending"/>, which is non-zero only while some kernel has an interrupt pending or some thread
/// has been abandoned, so instrumented loops cost almost nothing when nobody interrupts.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ScriptInterrupt
{
    private static readonly ConcurrentDictionary<int, byte> s_interruptedKernels = new();
    private static readonly ConcurrentDictionary<int, byte> s_abandonedThreads = new();
    private static volatile int s_pending;

    /// <summary>Throws <see cref="OperationCanceledException"/> when kernel <paramref name="kernelId"/> was interrupted.</summary>
    /// <param name="kernelId">The id of the kernel that compiled the calling cell.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Check(int kernelId)
    {
        if (s_pending != 0)
        {
            CheckSlow(kernelId);
        }
    }

    /// <summary>
    /// The check at the start of a method, lambda or local function body: <see cref="Check"/>, plus a stack-depth
    /// check that turns runaway recursion into an <see cref="InsufficientExecutionStackException"/> the cell can
    /// report instead of a stack overflow that would kill the kernel process.
    /// </summary>
    /// <param name="kernelId">The id of the kernel that compiled the calling cell.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Enter(int kernelId)
    {
        if (s_pending != 0)
        {
            CheckSlow(kernelId);
        }

        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    internal static void Request(int kernelId)
    {
        if (s_interruptedKernels.TryAdd(kernelId, 0))
        {
            Interlocked.Increment(ref s_pending);
        }
    }

    internal static void Clear(int kernelId)
    {
        if (s_interruptedKernels.TryRemove(kernelId, out _))
        {
            Interlocked.Decrement(ref s_pending);
        }
    }

    internal static bool IsRequested(int kernelId) => s_interruptedKernels.ContainsKey(kernelId);

    /// <summary>
    /// Marks a thread the kernel gave up waiting for: if it ever returns into instrumented code it stops there,
    /// even though its kernel has moved on and cleared its own flag.
    /// </summary>
    internal static void Abandon(int managedThreadId)
    {
        if (s_abandonedThreads.TryAdd(managedThreadId, 0))
        {
            Interlocked.Increment(ref s_pending);
        }
    }

    private static void CheckSlow(int kernelId)
    {
        if (s_interruptedKernels.ContainsKey(kernelId))
        {
            throw new OperationCanceledException("The submission was interrupted.");
        }

        int threadId = Environment.CurrentManagedThreadId;
        if (s_abandonedThreads.ContainsKey(threadId))
        {
            // The thread is leaving user code for good, so the slot can be reused by a new thread with this id.
            if (s_abandonedThreads.TryRemove(threadId, out _))
            {
                Interlocked.Decrement(ref s_pending);
            }

            throw new OperationCanceledException("The submission was interrupted and its thread abandoned.");
        }
    }
}
