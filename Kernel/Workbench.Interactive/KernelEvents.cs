namespace Workbench.Interactive;

/// <summary>Base type of everything a submission reports while it runs.</summary>
public abstract record KernelEvent;

/// <summary>Text the submission wrote to <see cref="Console.Out"/>.</summary>
/// <param name="Text">The text, possibly several lines, possibly without a trailing newline.</param>
public sealed record StandardOutputProduced(string Text) : KernelEvent;

/// <summary>Text the submission wrote to <see cref="Console.Error"/>.</summary>
/// <param name="Text">The text, possibly several lines, possibly without a trailing newline.</param>
public sealed record StandardErrorProduced(string Text) : KernelEvent;

/// <summary>A value shown with <c>display(...)</c>; later updates carry the same <paramref name="DisplayId"/>.</summary>
/// <param name="FormattedValues">MIME type to text; JSON MIME types carry JSON text. Always has <c>text/plain</c>.</param>
/// <param name="DisplayId">Identifies the output so that <see cref="DisplayedValueUpdated"/> can replace it.</param>
public sealed record DisplayedValueProduced(IReadOnlyDictionary<string, string> FormattedValues, string DisplayId) : KernelEvent;

/// <summary>A new rendering of an earlier <see cref="DisplayedValueProduced"/> with the same display id.</summary>
/// <param name="FormattedValues">MIME type to text; JSON MIME types carry JSON text. Always has <c>text/plain</c>.</param>
/// <param name="DisplayId">The display id of the output to replace.</param>
public sealed record DisplayedValueUpdated(IReadOnlyDictionary<string, string> FormattedValues, string DisplayId) : KernelEvent;

/// <summary>The value of a submission's trailing expression (code that ends in an expression without <c>;</c>).</summary>
/// <param name="FormattedValues">MIME type to text; JSON MIME types carry JSON text. Always has <c>text/plain</c>.</param>
public sealed record ReturnValueProduced(IReadOnlyDictionary<string, string> FormattedValues) : KernelEvent;

/// <summary>The submission asked the front end to clear the cell's output.</summary>
/// <param name="Wait">When true the front end clears only when the next output arrives (avoids flicker).</param>
public sealed record ClearOutputRequested(bool Wait) : KernelEvent;

/// <summary>
/// The submission failed. Exactly one is published per failed submission, and it is the last event of it.
/// </summary>
/// <param name="Name">Short error name, e.g. <c>CompilationError</c>, <c>InvalidOperationException</c>.</param>
/// <param name="Message">One-line (or few-line) human readable message.</param>
/// <param name="Traceback">Lines to show: compiler diagnostics, or the exception and the cell's stack frames.</param>
public sealed record ErrorProduced(string Name, string Message, IReadOnlyList<string> Traceback) : KernelEvent;

/// <summary>Outcome of <see cref="Kernel.SubmitCodeAsync"/>.</summary>
/// <param name="Succeeded">False when an <see cref="ErrorProduced"/> was published.</param>
public sealed record SubmissionResult(bool Succeeded);

/// <summary>Completion candidates for a cursor position.</summary>
/// <param name="Matches">Candidate texts that replace the range <paramref name="CursorStart"/>..<paramref name="CursorEnd"/>.</param>
/// <param name="CursorStart">Start of the replaced range (UTF-16 index into the code).</param>
/// <param name="CursorEnd">End of the replaced range (UTF-16 index into the code).</param>
public sealed record CompletionResult(IReadOnlyList<string> Matches, int CursorStart, int CursorEnd);

/// <summary>Information about the symbol at a cursor position.</summary>
/// <param name="Found">True when something was found; <paramref name="Data"/> is then non-empty.</param>
/// <param name="Data">MIME type to text (always <c>text/plain</c> when found).</param>
public sealed record InspectionResult(bool Found, IReadOnlyDictionary<string, string> Data);

/// <summary>Answer to "is this code ready to run?" (Jupyter's is_complete_request).</summary>
/// <param name="Status"><c>complete</c>, <c>incomplete</c> or <c>invalid</c>.</param>
/// <param name="Indent">For <c>incomplete</c>: the indentation to put on the next line.</param>
public sealed record IsCompleteResult(string Status, string? Indent);

/// <summary>The <c>language_info</c> block of Jupyter's kernel_info_reply.</summary>
/// <param name="Name">Language name (<c>C#</c>).</param>
/// <param name="Version">C# language version, e.g. <c>14.0</c>.</param>
/// <param name="MimeType">MIME type of source files.</param>
/// <param name="FileExtension">Extension of source files, with the dot.</param>
/// <param name="PygmentsLexer">Pygments lexer name used by nbconvert.</param>
/// <param name="CodeMirrorMode">CodeMirror mode used by the classic notebook.</param>
/// <param name="NbConvertExporter">nbconvert exporter for "download as".</param>
public sealed record KernelLanguageInfo(
    string Name,
    string Version,
    string MimeType,
    string FileExtension,
    string PygmentsLexer,
    string CodeMirrorMode,
    string NbConvertExporter);
