using System.Text;
using Workbench.Interactive.Formatting;

namespace Workbench.Interactive;

/// <summary>
/// The submission (or directive, or extension load) that is running: where its output goes and how it is
/// cancelled. Mirrors .NET Interactive's <c>KernelInvocationContext</c>.
/// </summary>
/// <remarks>
/// <para>The context flows with the code through an <see cref="AsyncLocal{T}"/>, so threads, tasks and timers
/// started by a cell report to that cell.</para>
/// <para>Output policy after the submission finished: events and console text that arrive later (from a timer
/// or a thread the cell started) are handed to the submission that is running at that moment in the same
/// kernel, or dropped when none is running. This keeps a finished request's callback from being called after
/// its reply was sent.</para>
/// </remarks>
public sealed class KernelInvocationContext
{
    private static readonly AsyncLocal<KernelInvocationContext?> s_current = new();

    /// <summary>Console text older than this is sent even when no line break arrives.</summary>
    private static readonly TimeSpan s_flushInterval = TimeSpan.FromMilliseconds(50);

    private const int MaxBufferedChars = 16 * 1024;

    private readonly Action<KernelEvent> _onEvent;
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationToken _token;
    private readonly object _gate = new();
    private readonly StringBuilder _buffer = new();
    private bool _bufferIsError;
    private long _lastFlushTicks;
    private Timer? _flushTimer;
    private volatile bool _completed;

    internal KernelInvocationContext(Kernel kernel, Action<KernelEvent> onEvent, CancellationToken cancellationToken)
    {
        Kernel = kernel;
        _onEvent = onEvent;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _token = _cancellation.Token;
        _lastFlushTicks = Environment.TickCount64;
    }

    /// <summary>The context of the code that is running on this logical thread, or null outside submissions.</summary>
    public static KernelInvocationContext? Current => s_current.Value;

    /// <summary>The kernel running the submission.</summary>
    public Kernel Kernel { get; }

    /// <summary>Cancelled when the submission is interrupted; long-running directive handlers should observe it.</summary>
    public CancellationToken CancellationToken => _token;

    /// <summary>True once an <see cref="ErrorProduced"/> was published for this submission.</summary>
    public bool HasFailed { get; private set; }

    internal bool IsCompleted => _completed;

    /// <summary>Publishes an event to the submission's listener (after any console text written before it).</summary>
    /// <remarks>
    /// Publishing an <see cref="ErrorProduced"/> marks the submission failed; a second error for the same
    /// submission is dropped so that front ends see exactly one.
    /// </remarks>
    public void Publish(KernelEvent kernelEvent)
    {
        ArgumentNullException.ThrowIfNull(kernelEvent);
        KernelInvocationContext? target = Route();
        target?.PublishCore(kernelEvent);
    }

    /// <summary>Formats <paramref name="value"/> and shows it; the result can be updated later.</summary>
    /// <param name="value">Any value; null shows as <c>&lt;null&gt;</c>.</param>
    /// <param name="mimeTypes">MIME types to produce; empty means the type's preferred ones. <c>text/plain</c> is always added.</param>
    public DisplayedValue Display(object? value, params string[] mimeTypes)
    {
        var displayed = new DisplayedValue(Kernel, Guid.NewGuid().ToString("N"), mimeTypes ?? Array.Empty<string>());
        IReadOnlyDictionary<string, string> formatted = Formatter.ToFormattedValues(value, displayed.MimeTypes);
        displayed.FormattedValues = formatted;
        Publish(new DisplayedValueProduced(formatted, displayed.DisplayId));
        return displayed;
    }

    /// <summary>Shows already-formatted text under the given MIME type (plus <c>text/plain</c>).</summary>
    public void DisplayAs(string value, string mimeType)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentException.ThrowIfNullOrEmpty(mimeType);
        var formatted = new Dictionary<string, string>(StringComparer.Ordinal) { [mimeType] = value };
        formatted.TryAdd(Formatter.PlainTextMimeType, value);
        Publish(new DisplayedValueProduced(formatted, Guid.NewGuid().ToString("N")));
    }

    /// <summary>Sets the current context for the calling logical thread; returns the previous one.</summary>
    internal static KernelInvocationContext? SetCurrent(KernelInvocationContext? context)
    {
        KernelInvocationContext? previous = s_current.Value;
        s_current.Value = context;
        return previous;
    }

    /// <summary>Publishes the submission's one error unless it already has one.</summary>
    internal void Fail(string name, string message, IReadOnlyList<string> traceback) =>
        Publish(new ErrorProduced(name, message, traceback));

    internal void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // A callback registered by user code threw; the interrupt must still go ahead.
        }
        catch (ObjectDisposedException)
        {
            // The submission finished while the interrupt was on its way.
        }
    }

    /// <summary>Appends console text; it is sent at line ends that are 50 ms apart, before other events, and at the end.</summary>
    internal void WriteConsole(string text, bool isError)
    {
        if (text.Length == 0)
        {
            return;
        }

        KernelInvocationContext? target = Route();
        target?.WriteConsoleCore(text, isError);
    }

    /// <summary>Sends buffered console text, flushes, and routes everything that arrives later elsewhere.</summary>
    internal void Complete()
    {
        lock (_gate)
        {
            FlushLocked();
            _completed = true;
            _flushTimer?.Dispose();
            _flushTimer = null;
        }

        _cancellation.Dispose();
    }

    internal void Flush()
    {
        lock (_gate)
        {
            FlushLocked();
        }
    }

    private KernelInvocationContext? Route()
    {
        if (!_completed)
        {
            return this;
        }

        KernelInvocationContext? active = Kernel.ActiveContext;
        return active is not null && !active._completed ? active : null;
    }

    private void PublishCore(KernelEvent kernelEvent)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            if (kernelEvent is ErrorProduced)
            {
                if (HasFailed)
                {
                    return;
                }

                HasFailed = true;
            }

            FlushLocked();
            Deliver(kernelEvent);
        }
    }

    private void WriteConsoleCore(string text, bool isError)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            if (_buffer.Length > 0 && _bufferIsError != isError)
            {
                // Keep stdout and stderr in the order they were written.
                FlushLocked();
            }

            _bufferIsError = isError;
            _buffer.Append(text);
            long now = Environment.TickCount64;
            bool lineEnded = text[^1] == '\n';
            if (_buffer.Length >= MaxBufferedChars || (lineEnded && now - _lastFlushTicks >= s_flushInterval.TotalMilliseconds))
            {
                FlushLocked();
            }
            else
            {
                // The timer sends text that would otherwise wait for the next write (e.g. a prompt before a long loop).
                _flushTimer ??= new Timer(static state => ((KernelInvocationContext)state!).Flush(), this, s_flushInterval, s_flushInterval);
            }
        }
    }

    private void FlushLocked()
    {
        if (_buffer.Length == 0)
        {
            return;
        }

        string text = _buffer.ToString();
        _buffer.Clear();
        _lastFlushTicks = Environment.TickCount64;
        Deliver(_bufferIsError ? new StandardErrorProduced(text) : new StandardOutputProduced(text));
    }

    private void Deliver(KernelEvent kernelEvent)
    {
        // The listener runs outside the submission: whatever it writes to the console (a host's logging) must go to
        // the real console, not back into this context, where it would come round to the listener again.
        KernelInvocationContext? previous = s_current.Value;
        s_current.Value = null;
        try
        {
            _onEvent(kernelEvent);
        }
        catch (Exception)
        {
            // A failing listener (e.g. a closed socket) must not turn into an exception inside the user's code
            // or kill the kernel; the event is lost, which is all that can be done for it.
        }
        finally
        {
            s_current.Value = previous;
        }
    }
}
