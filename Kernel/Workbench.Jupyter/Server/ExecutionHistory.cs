using System.Text;
using System.Text.RegularExpressions;

namespace Workbench.Jupyter.Server;

/// <summary>One executed cell kept for history_request: its execution count, input and text output.</summary>
/// <param name="Line">The execution count the cell ran with.</param>
/// <param name="Input">The cell's source.</param>
/// <param name="Output">The <c>text/plain</c> of its execute_result, or null when it had none.</param>
public sealed record HistoryEntry(int Line, string Input, string? Output);

/// <summary>
/// The input/output history of the current session (IPython's history model, in memory): tail, range and glob
/// search. Thread-safe; bounded so a long session cannot grow without limit.
/// </summary>
public sealed class ExecutionHistory
{
    /// <summary>The session number history rows carry; 0 in a request also means "the current session".</summary>
    public const int CurrentSession = 1;

    private readonly object _gate = new();
    private readonly List<HistoryEntry> _entries = new();
    private readonly int _capacity;

    /// <summary>Creates a history keeping at most <paramref name="capacity"/> entries (oldest dropped first).</summary>
    public ExecutionHistory(int capacity = 10_000)
    {
        _capacity = Math.Max(1, capacity);
    }

    /// <summary>Records one executed cell.</summary>
    public void Add(int line, string input, string? output)
    {
        lock (_gate)
        {
            if (_entries.Count == _capacity)
            {
                _entries.RemoveAt(0);
            }

            _entries.Add(new HistoryEntry(line, input, output));
        }
    }

    /// <summary>The last <paramref name="n"/> entries, oldest first.</summary>
    public IReadOnlyList<HistoryEntry> Tail(int n)
    {
        lock (_gate)
        {
            var count = Math.Clamp(n, 0, _entries.Count);
            return _entries.GetRange(_entries.Count - count, count);
        }
    }

    /// <summary>
    /// Entries of <paramref name="session"/> with <paramref name="start"/> &lt;= line &lt; <paramref name="stop"/>
    /// (stop null = to the end). Only the current session exists; other sessions are empty.
    /// </summary>
    public IReadOnlyList<HistoryEntry> Range(int session, int start, int? stop)
    {
        if (session != 0 && session != CurrentSession)
        {
            return Array.Empty<HistoryEntry>();
        }

        lock (_gate)
        {
            return _entries.Where(e => e.Line >= start && (stop is null || e.Line < stop)).ToList();
        }
    }

    /// <summary>
    /// Entries whose input matches the glob <paramref name="pattern"/> (<c>*</c>, <c>?</c>, <c>[...]</c>, whole
    /// input). <paramref name="unique"/> keeps only the latest entry of each distinct input;
    /// <paramref name="n"/> keeps the latest n matches. Oldest first.
    /// </summary>
    public IReadOnlyList<HistoryEntry> Search(string pattern, int? n, bool unique)
    {
        var regex = GlobToRegex(pattern);
        List<HistoryEntry> matches;
        lock (_gate)
        {
            matches = _entries.Where(e => regex.IsMatch(e.Input)).ToList();
        }

        if (unique)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var latestFirst = new List<HistoryEntry>();
            for (var i = matches.Count - 1; i >= 0; i--)
            {
                if (seen.Add(matches[i].Input))
                {
                    latestFirst.Add(matches[i]);
                }
            }

            latestFirst.Reverse();
            matches = latestFirst;
        }

        if (n is { } limit && limit >= 0 && matches.Count > limit)
        {
            matches = matches.GetRange(matches.Count - limit, limit);
        }

        return matches;
    }

    /// <summary>Translates a shell glob into an anchored regular expression (SQLite GLOB semantics).</summary>
    public static Regex GlobToRegex(string pattern)
    {
        var builder = new StringBuilder("\\A");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    builder.Append(".*");
                    break;
                case '?':
                    builder.Append('.');
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        builder.Append("\\[");
                        break;
                    }

                    var set = pattern.Substring(i + 1, close - i - 1);
                    var negate = set.StartsWith('^') || set.StartsWith('!');
                    if (negate)
                    {
                        set = set.Substring(1);
                    }

                    builder.Append(negate ? "[^" : "[");
                    foreach (var member in set)
                    {
                        // Keep ranges (a-z) but neutralise characters that mean something inside a .NET class.
                        builder.Append(member is '\\' or '[' or ']' or '^' ? "\\" + member : member.ToString());
                    }

                    builder.Append(']');
                    i = close;
                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        builder.Append("\\z");
        return new Regex(builder.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
