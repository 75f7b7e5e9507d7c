using System.Globalization;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// What one <c>./workbench sweep access --shard K/N</c> printed (stdout and stderr in one file), as far as the merge
/// step needs it: the counts of its summary and the flag word of its first mismatch.
/// </summary>
/// <param name="Name">Where it came from (a file name).</param>
/// <param name="Text">The whole output, for the report of the first mismatch.</param>
/// <param name="LegalCases">The "legal cases" line (the same for every shard of one sweep).</param>
/// <param name="CasesRun">The "cases run" line.</param>
/// <param name="Mismatches">The "mismatches" line.</param>
/// <param name="FailedCase">The flag word of "FAILED at case 0x...", or null when the shard agreed.</param>
public sealed record AccessShardOutput(string Name, string Text, long LegalCases, long CasesRun, long Mismatches, uint? FailedCase);

/// <summary>The merged shards: the counts added up and the shard holding the first mismatch in enumeration order.</summary>
/// <param name="LegalCases">Legal cases of the sweep.</param>
/// <param name="CasesRun">Cases run by all shards.</param>
/// <param name="Mismatches">Mismatches found by all shards (each stops at its first unless --keep-going).</param>
/// <param name="First">The shard whose mismatch comes first in access.c's order, or null.</param>
public sealed record AccessShardMergeResult(long LegalCases, long CasesRun, long Mismatches, AccessShardOutput? First);

/// <summary>
/// The merge step of a sweep spread over machines with <c>--shard K/N</c>. <c>ac_test_bump</c> counts upwards, so
/// access.c's order is the order of the flag words: the first mismatch of the sweep is the failing shard's with the
/// smallest flag word.
/// </summary>
public static class AccessShardMerge
{
    private const string FailedPrefix = "workbench sweep access: FAILED at case 0x";

    /// <summary>Reads a shard's output; an error when it has no summary or more than one (one sweep per shard, no --la57).</summary>
    public static bool TryParse(string name, string text, out AccessShardOutput? output, out string? error)
    {
        output = null;
        error = null;
        long? legal = null, run = null, mismatches = null;
        uint? failed = null;
        int summaries = 0;
        foreach (string line in text.Split('\n'))
        {
            string trimmed = line.TrimEnd('\r');
            if (trimmed.StartsWith("access sweep: ", StringComparison.Ordinal))
            {
                summaries++;
            }
            else if (TryCount(trimmed, "  legal cases ", out long value))
            {
                legal = value;
            }
            else if (TryCount(trimmed, "  cases run ", out value))
            {
                run = value;
            }
            else if (TryCount(trimmed, "  mismatches ", out value))
            {
                mismatches = value;
            }
            else if (trimmed.StartsWith(FailedPrefix, StringComparison.Ordinal)
                && uint.TryParse(trimmed.AsSpan(FailedPrefix.Length, Math.Min(8, trimmed.Length - FailedPrefix.Length)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint word))
            {
                failed = word;
            }
        }

        if (summaries != 1 || legal is null || run is null || mismatches is null)
        {
            error = $"{name}: expected the output of one `sweep access --shard K/N` run (one summary; run --la57 as its own sweep), found {summaries} summaries";
            return false;
        }

        output = new AccessShardOutput(name, text, legal.Value, run.Value, mismatches.Value, failed);
        return true;
    }

    /// <summary>Adds the counts and picks the first mismatch in enumeration order.</summary>
    public static AccessShardMergeResult Merge(IReadOnlyList<AccessShardOutput> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        long run = 0, mismatches = 0, legal = 0;
        AccessShardOutput? first = null;
        foreach (AccessShardOutput shard in shards)
        {
            legal = Math.Max(legal, shard.LegalCases);
            run += shard.CasesRun;
            mismatches += shard.Mismatches;
            if (shard.FailedCase is uint word && (first?.FailedCase is not uint best || word < best))
            {
                first = shard;
            }
        }

        return new AccessShardMergeResult(legal, run, mismatches, first);
    }

    private static bool TryCount(string line, string label, out long value)
    {
        value = 0;
        return line.StartsWith(label, StringComparison.Ordinal)
            && long.TryParse(line.AsSpan(label.Length).Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value);
    }
}
