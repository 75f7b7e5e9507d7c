using System.Text.RegularExpressions;

namespace Workbench.Interactive;

/// <summary>
/// Renders an exception from a cell as traceback lines: the exception chain, then the stack frames from the
/// throw point down to the cell's own code, with Roslyn's and the kernel's frames and async plumbing removed
/// and compiler-generated names (<c>Submission#3.&lt;&lt;Initialize&gt;&gt;d__0.MoveNext()</c>) made readable.
/// </summary>
internal static partial class ExceptionFormatter
{
    private const int MaxFrames = 40;

    /// <summary>The inserted interrupt checks are the kernel's, not the user's, even though they throw.</summary>
    private const string InterruptCheckPrefix = "Workbench.Interactive.ScriptInterrupt.";

    private static readonly string[] s_plumbingPrefixes =
    {
        "System.Runtime.CompilerServices.",
        "System.Runtime.ExceptionServices.",
        "System.Threading.ExecutionContext.",
        "System.Threading.Tasks.Task.",
        "System.Threading.Tasks.Task`1.",
        "System.Threading.Tasks.AwaitTaskContinuation.",
        "System.Threading.Tasks.ContinuationTaskFromTask.",
        "System.Threading.ThreadPoolWorkQueue.",
        "System.Threading.PortableThreadPool.",
        "System.Threading.Thread.StartCallback",
        "System.Threading.TimerQueue",
    };

    private static readonly string[] s_engineNamespaces =
    {
        "Microsoft.CodeAnalysis.",
        "Workbench.Interactive.",
    };

    public static IReadOnlyList<string> Format(Exception exception)
    {
        var lines = new List<string> { $"{exception.GetType().FullName}: {exception.Message}" };
        for (Exception? inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            lines.Add($" ---> {inner.GetType().FullName}: {inner.Message}");
        }

        var frames = new List<string>();
        foreach (string raw in (exception.StackTrace ?? string.Empty).Split('\n'))
        {
            string frame = raw.TrimEnd('\r').Trim();
            if (frame.StartsWith("at ", StringComparison.Ordinal))
            {
                frames.Add(frame[3..]);
            }
        }

        int lastUser = frames.FindLastIndex(IsUserFrame);
        string? previous = null;
        int repeats = 0;
        int shown = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            string frame = frames[i];
            if (IsPlumbing(frame) || frame.StartsWith(InterruptCheckPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            bool user = IsUserFrame(frame);
            if (lastUser >= 0 && i > lastUser)
            {
                // Below the cell: how Roslyn and the kernel called it, which is noise to the user.
                break;
            }

            if (!user && lastUser < 0 && IsEngine(frame))
            {
                continue;
            }

            string line = "   at " + (user ? Prettify(frame) : frame);
            if (line == previous)
            {
                // Deep recursion would otherwise print thousands of identical lines.
                repeats++;
                continue;
            }

            FlushRepeats(lines, ref repeats);
            if (shown == MaxFrames)
            {
                lines.Add("   ... (more frames)");
                return lines;
            }

            lines.Add(line);
            previous = line;
            shown++;
        }

        FlushRepeats(lines, ref repeats);
        return lines;
    }

    private static void FlushRepeats(List<string> lines, ref int repeats)
    {
        if (repeats > 0)
        {
            lines.Add($"   ... (the frame above repeated {repeats} more time{(repeats == 1 ? string.Empty : "s")})");
            repeats = 0;
        }
    }

    private static bool IsUserFrame(string frame) => frame.StartsWith("Submission#", StringComparison.Ordinal);

    private static bool IsPlumbing(string frame) => s_plumbingPrefixes.Any(prefix => frame.StartsWith(prefix, StringComparison.Ordinal));

    private static bool IsEngine(string frame) => s_engineNamespaces.Any(prefix => frame.StartsWith(prefix, StringComparison.Ordinal));

    private static string Prettify(string frame)
    {
        string location = string.Empty;
        Match at = LocationPattern().Match(frame);
        if (at.Success)
        {
            location = $" in cell line {at.Groups["line"].Value}";
            frame = frame[..at.Index];
        }

        frame = SubmissionPrefix().Replace(frame, string.Empty);
        frame = DisplayClass().Replace(frame, string.Empty);
        frame = frame.Replace("<<Initialize>>d__0.MoveNext()", "<cell>", StringComparison.Ordinal);
        frame = LocalFunction().Replace(frame, "${name}");
        frame = AsyncMethod().Replace(frame, "${name}()");
        frame = Lambda().Replace(frame, match => match.Groups["outer"].Value is "<Initialize>" or "" ? "<lambda>" : $"<lambda in {match.Groups["outer"].Value}>");
        return frame + location;
    }

    [GeneratedRegex(@" in (?<file>.*):line (?<line>\d+)$")]
    private static partial Regex LocationPattern();

    [GeneratedRegex(@"Submission#\d+\.")]
    private static partial Regex SubmissionPrefix();

    [GeneratedRegex(@"<>c(__DisplayClass[\d_]+)?\.")]
    private static partial Regex DisplayClass();

    [GeneratedRegex(@"<[^>]*>g__(?<name>[^|]+)\|[\d_]+")]
    private static partial Regex LocalFunction();

    [GeneratedRegex(@"<(?<name>[^<>]+)>d__\d+\.MoveNext\(\)")]
    private static partial Regex AsyncMethod();

    [GeneratedRegex(@"<(?<outer><?[^<>]*>?)>b__[\d_]+")]
    private static partial Regex Lambda();
}
