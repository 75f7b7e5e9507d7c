using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Workbench.Interactive.Formatting;

namespace Workbench.Interactive;

/// <summary>
/// A C# notebook kernel: runs cells with Roslyn scripting (state carries from cell to cell), handles
/// <c>#!</c> magic commands, completes, inspects, and loads extensions. Mirrors the shape of .NET Interactive's
/// <c>Kernel</c>; it knows nothing about Jupyter (see Workbench.Jupyter) or about any domain model.
/// </summary>
/// <remarks>
/// Submissions run one at a time, each on a dedicated thread so that a blocked cell never blocks the caller;
/// <see cref="Interrupt"/> may be called from any thread.
/// </remarks>
public partial class Kernel
{
    /// <summary>How long an interrupted submission may take to stop before its thread is abandoned.</summary>
    internal static TimeSpan AbandonTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Stack of a cell thread: deep (but finite) recursion in notebooks is common.</summary>
    private const int CellThreadStackSize = 4 * 1024 * 1024;

    private static int s_nextId;

    private readonly int _id;
    private readonly object _gate = new();
    private readonly object _interruptGate = new();
    private readonly SemaphoreSlim _submissionGate = new(1, 1);
    private readonly InterruptRewriter _rewriter;
    private readonly CSharpParseOptions _parseOptions;
    private readonly string _workingDirectory;
    /// <summary>Options of the first submission: every default reference and import.</summary>
    private ScriptOptions _options;

    /// <summary>
    /// Options of every later submission: no references or imports, because a submission sees those of the
    /// submissions before it. Repeating them per cell made Roslyn bind every reference again for every earlier
    /// cell, which grew memory quadratically (hundreds of MB per few hundred cells).
    /// </summary>
    private readonly ScriptOptions _continuationOptions;

    /// <summary>References and imports added (by extensions) since the last submission that was kept.</summary>
    private readonly List<MetadataReference> _pendingReferences = new();
    private readonly List<string> _pendingImports = new();
    private ScriptState<object>? _state;
    private Task? _warmUp;
    private Exception? _warmUpError;
    private volatile KernelInvocationContext? _active;
    private volatile TaskCompletionSource? _interruptSignal;
    private int _submissionCount;

    private Kernel(ScriptOptions options, string workingDirectory)
    {
        _id = Interlocked.Increment(ref s_nextId);
        _options = options;
        _continuationOptions = options
            .WithReferences(Array.Empty<MetadataReference>())
            .WithImports(Array.Empty<string>());
        _workingDirectory = workingDirectory;
        _rewriter = new InterruptRewriter(_id);
        _parseOptions = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.None, SourceCodeKind.Script);
        string languageVersion = LanguageVersion.Latest.MapSpecifiedToEffectiveVersion().ToDisplayString();
        LanguageInfo = new KernelLanguageInfo("C#", languageVersion, "text/x-csharp", ".cs", "csharp", "text/x-csharp", "script");
        string roslyn = typeof(CSharpScript).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        int plus = roslyn.IndexOf('+');
        roslyn = plus > 0 ? roslyn[..plus] : roslyn;
        Banner = $"Workbench C# kernel: C# {languageVersion} (Roslyn {roslyn}) on .NET {Environment.Version}. Type #!lsmagic for magic commands.";
        ConsoleRouter.Install();
        AddBuiltInDirectives();
    }

    /// <summary>The <c>language_info</c> reported to front ends.</summary>
    public KernelLanguageInfo LanguageInfo { get; }

    /// <summary>A one-line description for kernel_info.</summary>
    public string Banner { get; }

    /// <summary>How many submissions have finished (successfully or not).</summary>
    public int SubmissionCount => Volatile.Read(ref _submissionCount);

    /// <summary>The context of the submission that is running, or null.</summary>
    internal KernelInvocationContext? ActiveContext => _active;

    /// <summary>
    /// Creates a kernel with the default references (the runtime's <c>System.*</c> assemblies, this assembly,
    /// Workbench.Charts) and imports (System, System.Linq, System.Collections.Generic, System.Text, System.IO,
    /// System.Threading, System.Threading.Tasks, Workbench.Interactive, Workbench.Interactive.Formatting,
    /// Workbench.Charts, and <c>using static Workbench.Interactive.KernelHelpers</c>).
    /// Relative <c>#r</c> paths are resolved against the current directory at creation.
    /// </summary>
    public static Kernel CreateCSharpKernel()
    {
        string workingDirectory = Environment.CurrentDirectory;
        ScriptOptions options = ScriptOptions.Default
            .WithReferences(DefaultReferences.Get())
            .WithImports(DefaultReferences.GetImports())
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithAllowUnsafe(true)
            .WithMetadataResolver(new KernelMetadataResolver(workingDirectory, DefaultReferences.Get()))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(workingDirectory).WithSearchPaths(workingDirectory));
        return new Kernel(options, workingDirectory);
    }

    /// <summary>
    /// Compiles and runs a first, empty submission and exercises the compiler, the emitter, completion and
    /// formatting once, so that the user's first cell costs about as much as any other. Idempotent; call it at
    /// start-up without awaiting. <see cref="SubmitCodeAsync"/> waits for it.
    /// </summary>
    public Task WarmUpAsync()
    {
        lock (_gate)
        {
            return _warmUp ??= Task.Run(WarmUpCoreAsync);
        }
    }

    /// <summary>
    /// Runs a cell: leading <c>#!</c> lines are magic commands, the rest is C#. Events arrive through
    /// <paramref name="onEvent"/> (possibly from other threads, never concurrently); a failed submission
    /// publishes exactly one <see cref="ErrorProduced"/>, as its last event.
    /// </summary>
    /// <param name="code">The cell's text.</param>
    /// <param name="onEvent">Receives the submission's events until the returned task completes.</param>
    /// <param name="cancellationToken">Cancelling it interrupts the submission, like <see cref="Interrupt"/>.</param>
    public async Task<SubmissionResult> SubmitCodeAsync(string code, Action<KernelEvent> onEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(onEvent);
        try
        {
            await WarmUpAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // The cell below reports it as its error; the caller's request must still get an answer.
            _warmUpError = exception;
        }

        if (KernelInvocationContext.Current is { IsCompleted: false } outer && outer.Kernel == this && ReferenceEquals(_active, outer))
        {
            return await SubmitNestedAsync(code, onEvent, outer).ConfigureAwait(false);
        }

        await _submissionGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        var context = new KernelInvocationContext(this, onEvent, cancellationToken);
        try
        {
            lock (_interruptGate)
            {
                ScriptInterrupt.Clear(_id);
                _interruptSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _active = context;
            }

            using CancellationTokenRegistration registration = cancellationToken.Register(Interrupt);
            try
            {
                await RunCellAsync(context, code).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Only an engine bug gets here; the user still gets one error and the kernel keeps its state.
                context.Fail("InternalError", $"The kernel failed to run the cell: {exception.Message}", exception.ToString().Split('\n'));
            }
        }
        finally
        {
            context.Complete();
            lock (_interruptGate)
            {
                _active = null;
                _interruptSignal = null;
                ScriptInterrupt.Clear(_id);
            }

            Interlocked.Increment(ref _submissionCount);
            _submissionGate.Release();
        }

        return new SubmissionResult(!context.HasFailed);
    }

    /// <summary>
    /// A submission made by code that is itself running in this kernel (an extension's <c>OnLoadAsync</c>, a
    /// directive handler, a cell): waiting for the kernel's gate would deadlock, so it runs inside the outer
    /// submission, sharing its interrupt. When the outer submission is a C# cell, the state it ends with wins.
    /// </summary>
    private async Task<SubmissionResult> SubmitNestedAsync(string code, Action<KernelEvent> onEvent, KernelInvocationContext outer)
    {
        var context = new KernelInvocationContext(this, onEvent, outer.CancellationToken);
        try
        {
            await RunCellAsync(context, code).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            context.Fail("InternalError", $"The kernel failed to run the cell: {exception.Message}", exception.ToString().Split('\n'));
        }
        finally
        {
            context.Complete();
        }

        return new SubmissionResult(!context.HasFailed);
    }

    /// <summary>
    /// Stops the running submission, if any: instrumented loops and calls throw at their next check; a
    /// submission blocked in library code is abandoned after about two seconds and the kernel continues from the
    /// state before it. Thread-safe; does nothing when idle.
    /// </summary>
    public void Interrupt()
    {
        KernelInvocationContext? context;
        TaskCompletionSource? signal;
        lock (_interruptGate)
        {
            // Under the lock so that an interrupt meant for a submission that just ended cannot hit the next one.
            context = _active;
            signal = _interruptSignal;
            if (context is null)
            {
                return;
            }

            ScriptInterrupt.Request(_id);
        }

        context.Cancel();
        signal?.TrySetResult();
    }

    /// <summary>Makes an assembly's public types usable in later cells (extensions call this for their own assembly).</summary>
    /// <exception cref="ArgumentException">The assembly has no file (it was loaded from bytes).</exception>
    public void AddAssemblyReference(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (string.IsNullOrEmpty(assembly.Location))
        {
            throw new ArgumentException($"Assembly '{assembly.GetName().Name}' was not loaded from a file, so cells cannot reference it.", nameof(assembly));
        }

        MetadataReference reference = DefaultReferences.FromFile(assembly.Location);
        lock (_gate)
        {
            if (!_options.MetadataReferences.Contains(reference))
            {
                _options = _options.AddReferences(reference);
                _pendingReferences.Add(reference);
            }
        }
    }

    /// <summary>Adds namespaces (or static classes) imported by every later cell.</summary>
    public void AddUsings(params string[] namespaces)
    {
        ArgumentNullException.ThrowIfNull(namespaces);
        lock (_gate)
        {
            string[] added = namespaces
                .Select(name => name.Trim())
                .Where(name => name.Length > 0 && !_options.Imports.Contains(name))
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            if (added.Length > 0)
            {
                _options = _options.AddImports(added);
                _pendingImports.AddRange(added);
            }
        }
    }

    private async Task WarmUpCoreAsync()
    {
        await _submissionGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_state is null)
            {
                ScriptOptions seedOptions = _options;
                ScriptState<object> seed = await CSharpScript.Create(string.Empty, seedOptions).RunAsync().ConfigureAwait(false);
                Advance(seed, seedOptions);
            }

            try
            {
                // A throwaway continuation that touches lambdas, LINQ, loops (so the rewriter), string interpolation,
                // a trailing expression and formatting: the paths a typical first cell takes.
                const string Probe = "var __warm = new List<int> { 1, 2 }.Select(i => i * 2).Sum();\n" +
                    "int Twice(int x) { return x * 2; }\n" +
                    "for (int i = 0; i < 2; i++) { __warm += Twice(i); }\n" +
                    "$\"{__warm}\"";
                ScriptState<object> seeded = _state!;
                CompiledCell cell = Compile(seeded, Probe, CancellationToken.None);
                if (cell.Errors.IsEmpty)
                {
                    // Not Advance: the probe's variables must not appear in the user's state.
                    ScriptState<object> probeState = await cell.Script.RunFromAsync(seeded, _ => true).ConfigureAwait(false);
                    _ = Formatter.ToFormattedValues(probeState.ReturnValue);
                    _ = Formatter.ToFormattedValues(new[] { 1, 2 });
                }

                _ = GetCSharpCompletions(seeded.Script, "Console.Wri", 11);
            }
            catch (Exception)
            {
                // Warming up is an optimisation; a failure here must not keep the kernel from starting.
            }
        }
        finally
        {
            _submissionGate.Release();
        }
    }

    private async Task RunCellAsync(KernelInvocationContext context, string code)
    {
        KernelInvocationContext.SetCurrent(context);
        CellText cell = CellText.Split(code);
        await RunDirectivesThenCodeAsync(context, cell, 0).ConfigureAwait(false);
    }

    private async Task RunDirectivesThenCodeAsync(KernelInvocationContext context, CellText cell, int firstDirective)
    {
        for (int i = firstDirective; i < cell.Directives.Count; i++)
        {
            if (context.HasFailed)
            {
                return;
            }

            DirectiveLine line = cell.Directives[i];
            if (IsTimeDirective(line, out bool helpOnly))
            {
                if (helpOnly)
                {
                    context.Publish(new StandardOutputProduced(Workbench.Interactive.Directives.DirectiveParser.GetHelp(_timeDirective, null)));
                    continue;
                }

                var stopwatch = Stopwatch.StartNew();
                await RunDirectivesThenCodeAsync(context, cell, i + 1).ConfigureAwait(false);
                stopwatch.Stop();
                if (!context.HasFailed)
                {
                    context.Publish(new StandardOutputProduced(string.Create(CultureInfo.InvariantCulture, $"Wall time: {stopwatch.Elapsed.TotalMilliseconds:0.###} ms\n")));
                }

                return;
            }

            await InvokeDirectiveAsync(context, line).ConfigureAwait(false);
        }

        if (context.HasFailed)
        {
            return;
        }

        string code = cell.Code;
        PackageLines packages = PackageLines.Extract(code);
        if (!packages.IsEmpty)
        {
            if (!await RestorePackagesAsync(context, packages).ConfigureAwait(false))
            {
                return;
            }

            code = packages.Code;
        }

        if (!context.HasFailed && !string.IsNullOrWhiteSpace(code))
        {
            await RunCSharpAsync(context, code).ConfigureAwait(false);
        }
    }

    private async Task RunCSharpAsync(KernelInvocationContext context, string code)
    {
        ScriptState<object> previous = _state ?? throw new InvalidOperationException(
            $"The C# session could not be started: {_warmUpError?.Message ?? "no script state"}.", _warmUpError);
        (bool completed, CellOutcome? outcome) = await RunGuardedAsync(context, async () =>
        {
            CompiledCell cell = Compile(previous, code, context.CancellationToken);
            if (!cell.Errors.IsEmpty)
            {
                return new CellOutcome(cell.Errors, null, null);
            }

            ScriptState<object> state = await cell.Script.RunFromAsync(previous, _ => true, CancellationToken.None).ConfigureAwait(false);
            IReadOnlyDictionary<string, string>? returned = null;
            // display(...) returns its DisplayedValue so that it can be updated; as a cell's last line it was
            // already shown, so it is not shown a second time as the cell's result.
            if (state.Exception is null && cell.HasValue && state.ReturnValue is not DisplayedValue)
            {
                returned = Formatter.ToFormattedValues(state.ReturnValue);
            }

            return new CellOutcome(ImmutableArray<Diagnostic>.Empty, state, returned);
        }).ConfigureAwait(false);

        if (!completed)
        {
            ReportAbandoned(context);
            return;
        }

        if (outcome is null)
        {
            return;
        }

        if (!outcome.Errors.IsEmpty)
        {
            ReportCompilationErrors(context, outcome.Errors);
            return;
        }

        ScriptState<object> next = outcome.State!;
        Advance(next, next.Script.Options);
        if (next.Exception is { } exception)
        {
            ReportException(context, exception);
            return;
        }

        if (code.Contains("#r", StringComparison.Ordinal))
        {
            await LoadExtensionsFromDirectiveReferencesAsync(context, next.Script.GetCompilation()).ConfigureAwait(false);
            if (context.HasFailed)
            {
                return;
            }
        }

        if (outcome.ReturnValue is not null)
        {
            context.Publish(new ReturnValueProduced(outcome.ReturnValue));
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a new thread (which inherits the submission's context) and waits for it,
    /// giving up after <see cref="AbandonTimeout"/> once <see cref="Interrupt"/> has been called.
    /// A failure of the work is reported as the submission's error and yields (true, default).
    /// </summary>
    private async Task<(bool Completed, T? Result)> RunGuardedAsync<T>(KernelInvocationContext context, Func<Task<T>> work)
        where T : class
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(
            () =>
            {
                try
                {
                    work().ContinueWith(
                        task =>
                        {
                            if (task.IsFaulted)
                            {
                                result.TrySetException(task.Exception!.InnerExceptions);
                            }
                            else if (task.IsCanceled)
                            {
                                result.TrySetCanceled();
                            }
                            else
                            {
                                result.TrySetResult(task.Result);
                            }
                        },
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                }
                catch (Exception exception)
                {
                    result.TrySetException(exception);
                }
            },
            CellThreadStackSize)
        {
            IsBackground = true,
            Name = $"Workbench kernel {_id} submission {SubmissionCount + 1}",
        };
        thread.Start();

        Task signal = _interruptSignal?.Task ?? Task.Delay(Timeout.Infinite);
        if (await Task.WhenAny(result.Task, signal).ConfigureAwait(false) != result.Task)
        {
            Task timeout = Task.Delay(AbandonTimeout);
            if (await Task.WhenAny(result.Task, timeout).ConfigureAwait(false) != result.Task)
            {
                ScriptInterrupt.Abandon(thread.ManagedThreadId);
                return (false, null);
            }
        }

        try
        {
            return (true, await result.Task.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ScriptInterrupt.IsRequested(_id) || context.CancellationToken.IsCancellationRequested)
        {
            ReportInterrupted(context, null);
            return (true, null);
        }
        catch (Exception exception)
        {
            ReportException(context, exception);
            return (true, null);
        }
    }

    private CompiledCell Compile(ScriptState<object> previous, string code, CancellationToken cancellationToken)
    {
        ScriptOptions options = OptionsForNextSubmission();
        Script<object> script = previous.Script.ContinueWith(code, options);
        Compilation compilation = script.GetCompilation();
        SyntaxTree tree = compilation.SyntaxTrees.Last();
        Script<object> toRun = script;
        ImmutableArray<Diagnostic> errors;
        SyntaxNode root = tree.GetRoot(cancellationToken);
        if (InterruptRewriter.NeedsRewrite(root))
        {
            // The semantic model of the cell as written tells delegates from expression trees for its lambdas.
            string instrumentedCode = _rewriter.Rewrite(root, compilation.GetSemanticModel(tree)).ToFullString();
            Script<object> instrumented = previous.Script.ContinueWith(instrumentedCode, options);
            errors = Errors(instrumented.Compile(cancellationToken));
            if (errors.IsEmpty)
            {
                toRun = instrumented;
            }
            else
            {
                // Report the user's own code's errors; if only the instrumented code fails (a rewriter gap),
                // run the code as written rather than refuse it.
                errors = Errors(script.Compile(cancellationToken));
            }
        }
        else
        {
            errors = Errors(script.Compile(cancellationToken));
        }

        bool hasValue = errors.IsEmpty && HasTrailingValue(toRun.GetCompilation(), cancellationToken);
        return new CompiledCell(toRun, errors, hasValue);
    }

    /// <summary>The continuation options plus whatever was added since the last kept submission.</summary>
    private ScriptOptions OptionsForNextSubmission()
    {
        lock (_gate)
        {
            if (_state is null)
            {
                return _options;
            }

            return _pendingReferences.Count == 0 && _pendingImports.Count == 0
                ? _continuationOptions
                : _continuationOptions.WithReferences(_pendingReferences).WithImports(_pendingImports);
        }
    }

    /// <summary>Makes <paramref name="state"/> the kernel's state; what its submission carried is no longer pending.</summary>
    private void Advance(ScriptState<object> state, ScriptOptions usedOptions)
    {
        lock (_gate)
        {
            _state = state;
            _pendingReferences.RemoveAll(usedOptions.MetadataReferences.Contains);
            _pendingImports.RemoveAll(usedOptions.Imports.Contains);
        }
    }

    /// <summary>True when the submission ends in an expression without <c>;</c> whose type is not void.</summary>
    private static bool HasTrailingValue(Compilation compilation, CancellationToken cancellationToken)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Last();
        var root = (Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax)tree.GetRoot(cancellationToken);
        if (root.Members.LastOrDefault() is not Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax
            {
                Statement: Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement,
            })
        {
            return false;
        }

        ITypeSymbol? type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression, cancellationToken).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private static ImmutableArray<Diagnostic> Errors(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

    private static void ReportCompilationErrors(KernelInvocationContext context, ImmutableArray<Diagnostic> errors)
    {
        string[] lines = errors
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => Microsoft.CodeAnalysis.CSharp.CSharpDiagnosticFormatter.Instance.Format(d, CultureInfo.InvariantCulture))
            .ToArray();
        string message = lines.Length == 1 ? lines[0] : $"{lines[0]} (and {lines.Length - 1} more error{(lines.Length == 2 ? string.Empty : "s")})";
        context.Fail("CompilationError", message, lines);
    }

    private void ReportException(KernelInvocationContext context, Exception exception)
    {
        if (exception is OperationCanceledException && (ScriptInterrupt.IsRequested(_id) || context.CancellationToken.IsCancellationRequested))
        {
            ReportInterrupted(context, exception);
            return;
        }

        context.Fail(exception.GetType().Name, exception.Message, ExceptionFormatter.Format(exception));
    }

    private static void ReportInterrupted(KernelInvocationContext context, Exception? exception)
    {
        var traceback = new List<string> { "OperationCanceledException: The submission was interrupted." };
        if (exception is not null)
        {
            traceback.AddRange(ExceptionFormatter.Format(exception).Skip(1));
        }

        context.Fail("OperationCanceledException", "The submission was interrupted.", traceback);
    }

    private static void ReportAbandoned(KernelInvocationContext context)
    {
        string message = $"The submission was interrupted but did not stop within {AbandonTimeout.TotalSeconds:0.#} s " +
            "(it is probably blocked inside library code). Its thread was abandoned and keeps running in the background; " +
            "the kernel continues from the state before this cell.";
        context.Fail("KernelInterrupted", message, new[] { "KernelInterrupted: " + message });
    }

    private sealed record CompiledCell(Script<object> Script, ImmutableArray<Diagnostic> Errors, bool HasValue);

    private sealed record CellOutcome(ImmutableArray<Diagnostic> Errors, ScriptState<object>? State, IReadOnlyDictionary<string, string>? ReturnValue);
}
