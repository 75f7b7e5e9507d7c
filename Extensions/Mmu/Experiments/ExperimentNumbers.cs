using System.Globalization;

namespace Workbench.Mmu.Experiments;

/// <summary>
/// How numbers look in experiment files and results: written as lowercase hex strings without leading zeros
/// (<c>"0x1000"</c>, <c>"0x0"</c>), read from hex strings, decimal strings or JSON integers.
/// </summary>
public static class ExperimentNumbers
{
    /// <summary>Formats <paramref name="value"/> as <c>0x</c> + lowercase hex digits without leading zeros.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses <c>"0x1f"</c> / <c>"0X1F"</c> (1 to 16 hex digits) or <c>"31"</c> (decimal digits) into a 64-bit value;
    /// no sign, no spaces, no suffixes.
    /// </summary>
    public static bool TryParse(string text, out ulong value)
    {
        value = 0;
        if (text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        {
            var digits = text.AsSpan(2);
            foreach (var c in digits)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return false;
                }
            }

            var significant = digits.TrimStart('0');
            return significant.Length <= 16
                && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (text.Length == 0)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
