namespace Workbench.Jupyter.Protocol;

/// <summary>
/// Converts between Jupyter cursor positions (Unicode code points since protocol 5.2) and .NET string indices
/// (UTF-16 code units): they differ after any character outside the Basic Multilingual Plane.
/// </summary>
public static class CodePoints
{
    /// <summary>The UTF-16 index of code point <paramref name="codePointIndex"/> (clamped to the text).</summary>
    public static int ToUtf16Index(string text, int codePointIndex)
    {
        if (codePointIndex <= 0)
        {
            return 0;
        }

        var index = 0;
        var count = 0;
        while (index < text.Length && count < codePointIndex)
        {
            index += IsPairAt(text, index) ? 2 : 1;
            count++;
        }

        return index;
    }

    /// <summary>The code point index of UTF-16 index <paramref name="utf16Index"/> (clamped to the text).</summary>
    public static int FromUtf16Index(string text, int utf16Index)
    {
        var limit = Math.Clamp(utf16Index, 0, text.Length);
        var index = 0;
        var count = 0;
        while (index < limit)
        {
            index += IsPairAt(text, index) ? 2 : 1;
            count++;
        }

        return count;
    }

    /// <summary>The number of code points in the text.</summary>
    public static int Length(string text)
    {
        return FromUtf16Index(text, text.Length);
    }

    private static bool IsPairAt(string text, int index)
    {
        return char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]);
    }
}
