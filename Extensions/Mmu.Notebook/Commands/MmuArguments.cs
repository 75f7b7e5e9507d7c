using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Notebook.Commands;

/// <summary>A magic command's bad input: the parameter it concerns and what is wrong, for one clear error.</summary>
public sealed class MmuCommandException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="parameter">The parameter (<c>--size</c>), or <see langword="null"/> when the problem is the command's.</param>
    /// <param name="problem">What is wrong and what is allowed.</param>
    public MmuCommandException(string? parameter, string problem)
        : base(parameter is null ? problem : $"{parameter}: {problem}")
    {
        Parameter = parameter;
        Problem = problem;
    }

    /// <summary>The parameter, e.g. <c>--size</c>.</summary>
    public string? Parameter { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}

/// <summary>
/// The values a host bound for a magic command, by parameter, with typed readers that reject bad input naming the
/// parameter and the allowed values. Hosts hand values over as text (flags as <c>true</c>), keyed by the parameter's
/// name in any of the spellings they use (<c>--l1-tdp</c>, <c>l1Tdp</c>): keys are compared without dashes and case.
/// </summary>
public sealed class MmuArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Collects the values (null values are left out).</summary>
    public MmuArguments(IEnumerable<KeyValuePair<string, string?>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach ((string key, string? value) in values)
        {
            if (value is not null)
            {
                _values[Key(key)] = value;
            }
        }
    }

    /// <summary>The parameters given, normalized (<c>l1tdp</c>).</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>Whether the parameter was given.</summary>
    public bool Has(string parameter) => _values.ContainsKey(Key(parameter));

    /// <summary>The parameter's text, or <paramref name="fallback"/>.</summary>
    public string? Text(string parameter, string? fallback = null) =>
        _values.TryGetValue(Key(parameter), out string? value) ? value : fallback;

    /// <summary>A switch: given without a value (or <c>true</c>/<c>false</c>).</summary>
    public bool Flag(string parameter) => Text(parameter) switch
    {
        null => false,
        var text when string.Equals(text, "false", StringComparison.OrdinalIgnoreCase) => false,
        var text when text.Length == 0 || string.Equals(text, "true", StringComparison.OrdinalIgnoreCase) => true,
        var text => throw new MmuCommandException(Dashed(parameter), $"'{text}' is not a switch value; give {parameter} alone"),
    };

    /// <summary><c>on</c> / <c>off</c> (also <c>true</c>/<c>false</c>, <c>1</c>/<c>0</c>).</summary>
    public bool OnOff(string parameter, bool fallback) => Text(parameter)?.ToLowerInvariant() switch
    {
        null => fallback,
        "on" or "true" or "1" or "yes" or "" => true,
        "off" or "false" or "0" or "no" => false,
        var text => throw new MmuCommandException(Dashed(parameter), $"'{text}' is neither on nor off"),
    };

    /// <summary>A 64-bit number: hex with <c>0x</c>, or decimal (underscores allowed).</summary>
    public ulong Number(string parameter, ulong? fallback = null)
    {
        string? text = Text(parameter);
        if (text is null)
        {
            return fallback ?? throw new MmuCommandException(Dashed(parameter), "is required (a number such as 0x401000)");
        }

        return ExperimentNumbers.TryParse(text.Trim(), out ulong value)
            ? value
            : throw new MmuCommandException(Dashed(parameter), $"'{text}' is not a number; write hex as 0x401000 or decimal");
    }

    /// <summary>An integer within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string parameter, int fallback, int min, int max)
    {
        string? text = Text(parameter);
        if (text is null)
        {
            return fallback;
        }

        return ExperimentNumbers.TryParse(text.Trim(), out ulong value) && value >= (ulong)min && value <= (ulong)max
            ? (int)value
            : throw new MmuCommandException(Dashed(parameter), $"'{text}' is not an integer from {min} to {max}");
    }

    /// <summary>A size: <c>4K</c>, <c>2M</c>, <c>1G</c>, <c>4G</c>… or a byte count.</summary>
    public ulong Size(string parameter, ulong fallback)
    {
        string? text = Text(parameter);
        if (text is null)
        {
            return fallback;
        }

        return Workbench.Mmu.Memory.MemorySize.TryParse(text.Trim(), out ulong bytes) || ExperimentNumbers.TryParse(text.Trim(), out bytes)
            ? bytes
            : throw new MmuCommandException(Dashed(parameter), $"'{text}' is not a size; write 4K, 2M, 1G, 4G or a byte count");
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive), or <paramref name="fallback"/> when not given.</summary>
    public string Choice(string parameter, IReadOnlyList<string> allowed, string? fallback)
    {
        string? text = Text(parameter);
        if (text is null)
        {
            return fallback ?? throw new MmuCommandException(Dashed(parameter), $"is required; one of {string.Join(", ", allowed)}");
        }

        return allowed.FirstOrDefault(a => string.Equals(a, text.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new MmuCommandException(Dashed(parameter), $"'{text}' is not one of {string.Join(", ", allowed)}");
    }

    /// <summary>A comma-separated list, each item one of <paramref name="allowed"/>.</summary>
    public IReadOnlyList<string> List(string parameter, IReadOnlyList<string> allowed, IReadOnlyList<string> fallback)
    {
        string? text = Text(parameter);
        if (text is null)
        {
            return fallback;
        }

        var items = new List<string>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            items.Add(allowed.FirstOrDefault(a => string.Equals(a, raw, StringComparison.OrdinalIgnoreCase))
                ?? throw new MmuCommandException(Dashed(parameter), $"'{raw}' is not one of {string.Join(", ", allowed)}"));
        }

        return items;
    }

    private static string Dashed(string parameter) => parameter.StartsWith('-') ? parameter : "--" + parameter;

    private static string Key(string name) => name.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
