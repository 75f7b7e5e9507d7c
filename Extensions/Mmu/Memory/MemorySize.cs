using System.Globalization;

namespace Workbench.Mmu.Memory
{
    /// <summary>Parses and formats memory sizes such as <c>"64M"</c>, <c>"4G"</c>, <c>"0x1000"</c> or <c>"4096"</c>.</summary>
    public static class MemorySize
    {
        /// <summary>
        /// Parses a size: a decimal or <c>0x</c> hexadecimal number, optionally followed by a binary unit
        /// suffix <c>K</c>, <c>M</c>, <c>G</c>, <c>T</c> or <c>P</c> (powers of 1024; <c>KiB</c>/<c>KB</c> spellings
        /// and a trailing <c>B</c> are accepted, case-insensitive). Overflow or garbage gives false.
        /// </summary>
        public static bool TryParse(string? text, out ulong bytes)
        {
            bytes = 0;
            if (string.IsNullOrWhiteSpace(text))
            {
                return false;
            }

            ReadOnlySpan<char> s = text.AsSpan().Trim();
            int shift = 0;
            bool hex = s.Length > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
            if (!hex)
            {
                // Strip an optional "B", then an optional "i", then the unit letter.
                if (s.Length > 1 && (s[^1] == 'B' || s[^1] == 'b') && char.IsLetter(s[^2]))
                {
                    s = s[..^1];
                    if (s.Length > 1 && (s[^1] == 'i' || s[^1] == 'I'))
                    {
                        s = s[..^1];
                    }
                }

                if (s.Length > 1)
                {
                    shift = char.ToUpperInvariant(s[^1]) switch
                    {
                        'K' => 10,
                        'M' => 20,
                        'G' => 30,
                        'T' => 40,
                        'P' => 50,
                        _ => -1,
                    };
                    if (shift > 0)
                    {
                        s = s[..^1].TrimEnd();
                    }
                    else
                    {
                        shift = 0;
                    }
                }
            }

            ulong value;
            bool parsed = hex
                ? ulong.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
                : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            if (!parsed)
            {
                return false;
            }

            if (shift > 0 && value > (ulong.MaxValue >> shift))
            {
                return false;
            }

            bytes = value << shift;
            return true;
        }

        /// <summary>Formats a size with the largest binary unit that divides it exactly ("64M", "4G", "4097").</summary>
        public static string Format(ulong bytes)
        {
            if (bytes == 0)
            {
                return "0";
            }

            ReadOnlySpan<char> units = "KMGTP";
            for (int i = units.Length; i > 0; i--)
            {
                int shift = i * 10;
                if ((bytes & ((1UL << shift) - 1)) == 0)
                {
                    return (bytes >> shift).ToString(CultureInfo.InvariantCulture) + units[i - 1];
                }
            }

            return bytes.ToString(CultureInfo.InvariantCulture);
        }
    }
}
