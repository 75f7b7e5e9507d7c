using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench bench --jit-log</c>: listens to the runtime's JIT events in-process and reports which methods of the
/// model were compiled, and at which optimization tier, while a figure warmed up and ran. That is how the benchmark
/// shows that the timed code is tier-1 code (not the ReadyToRun code the published CLI starts with).
/// </summary>
internal sealed class BenchJitLog : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private readonly List<string> _lines = new();
    private readonly object _gate = new();
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>Tier names of MethodLoadVerbose's MethodFlags bits 7..9 (CLR OptimizationTier).</summary>
    private static readonly string[] Tiers = ["unknown", "minopt", "optimized", "tier0", "tier1", "tier1-osr", "tier0-instrumented", "tier1-instrumented"];

    /// <summary>Returns and clears what was compiled since the last call.</summary>
    public List<string> Drain()
    {
        lock (_gate)
        {
            var copy = new List<string>(_lines);
            _lines.Clear();
            return copy;
        }
    }

    /// <summary>Adds a line with the current time (e.g. where the timed repetitions start).</summary>
    public void Mark(string what)
    {
        lock (_gate)
        {
            _lines.Add($"{Stopwatch.GetElapsedTime(_start).TotalSeconds,6:F2}s --- {what}");
        }
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        string ns = Field(e, "MethodNamespace");
        if (!ns.StartsWith("Workbench.Mmu", StringComparison.Ordinal))
        {
            return;
        }

        uint flags = Convert.ToUInt32(e.PayloadNames!.IndexOf("MethodFlags") is int i and >= 0 ? e.Payload[i] : 0u, System.Globalization.CultureInfo.InvariantCulture);
        int tier = (int)((flags >> 7) & 7);
        string line = $"{Stopwatch.GetElapsedTime(_start).TotalSeconds,6:F2}s {Tiers[tier],-18} {ns}.{Field(e, "MethodName")}";
        lock (_gate)
        {
            _lines.Add(line);
        }
    }

    private static string Field(EventWrittenEventArgs e, string name)
    {
        int i = e.PayloadNames!.IndexOf(name);
        return i >= 0 ? e.Payload![i]?.ToString() ?? "" : "";
    }
}
