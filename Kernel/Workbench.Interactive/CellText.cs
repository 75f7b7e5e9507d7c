namespace Workbench.Interactive;

/// <summary>A magic-command line of a cell.</summary>
/// <param name="Text">The line without its line break.</param>
/// <param name="LineIndex">Zero-based line number in the cell.</param>
/// <param name="Start">Index of the line's first character in the cell.</param>
internal readonly record struct DirectiveLine(string Text, int LineIndex, int Start);

/// <summary>
/// A cell split into its leading <c>#!</c> lines and the C# after them. The C# keeps its position: directive
/// lines are replaced by empty lines, so compiler errors and stack traces give the cell's own line numbers.
/// </summary>
internal sealed class CellText
{
    private CellText(IReadOnlyList<DirectiveLine> directives, string code)
    {
        Directives = directives;
        Code = code;
    }

    public IReadOnlyList<DirectiveLine> Directives { get; }

    public string Code { get; }

    /// <summary>Leading lines that start with <c>#!</c> (after blank lines and indentation) are directives.</summary>
    public static CellText Split(string cell)
    {
        var directives = new List<DirectiveLine>();
        int position = 0;
        int lineIndex = 0;
        while (position < cell.Length)
        {
            int end = cell.IndexOf('\n', position);
            int next = end < 0 ? cell.Length : end + 1;
            string line = cell[position..(end < 0 ? cell.Length : end)].TrimEnd('\r');
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                directives.Add(new DirectiveLine(trimmed, lineIndex, position + (line.Length - trimmed.Length)));
            }
            else if (trimmed.Length > 0)
            {
                break;
            }

            position = next;
            lineIndex++;
        }

        if (directives.Count == 0)
        {
            return new CellText(directives, cell);
        }

        // Keep one empty line per consumed line so that line numbers in the rest stay those of the cell.
        string code = new string('\n', lineIndex) + cell[Math.Min(position, cell.Length)..];
        return new CellText(directives, code);
    }

    /// <summary>The cell with its directive lines blanked out (same length, same line breaks), for C# completion.</summary>
    public static string BlankDirectives(string cell)
    {
        CellText split = Split(cell);
        if (split.Directives.Count == 0)
        {
            return cell;
        }

        char[] characters = cell.ToCharArray();
        foreach (DirectiveLine line in split.Directives)
        {
            for (int i = line.Start; i < line.Start + line.Text.Length; i++)
            {
                characters[i] = ' ';
            }
        }

        return new string(characters);
    }
}
