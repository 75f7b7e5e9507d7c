using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Workbench.Cli;

/// <summary>
/// <c>./workbench bench --compare</c>: the C reference (<c>cwalk</c>, built with its Makefile from a
/// <c>shared/perf</c> folder above the checkout, or <c>--cwalk DIR</c>) and the model's benchmark run in the same job
/// as separate processes, both pinned with <c>taskset -c 1</c>, alternating C and C# per run; the table gives the
/// median over runs of each side's per-run median, and their ratio. When the C reference, make or a compiler is
/// missing (a clean CI clone has no <c>../shared</c>), it says so and runs the model's side alone (exit code 0).
/// </summary>
internal static class BenchCompare
{
    public static int Run(BenchArguments a)
    {
        var inv = CultureInfo.InvariantCulture;
        string? cwalk = BuildCwalk(a.CwalkDir, out string why);
        if (cwalk is null)
        {
            Console.Out.WriteLine($"workbench bench --compare: C reference skipped: {why}");
        }

        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var ours = new Dictionary<string, List<JObject>>();
        var theirs = new Dictionary<string, List<JObject>>();
        var order = new List<string>();
        for (int run = 0; run < a.Runs; run++)
        {
            if (cwalk is not null)
            {
                var cArgs = new List<string>
                {
                    "--reps", a.Repetitions.ToString(inv), "--walks", a.Walks.ToString(inv), "--walks2d", a.Walks2d.ToString(inv),
                    "--only", string.Join(',', a.Only ?? DefaultNames()),
                };
                if (!RunJson(cwalk, cArgs, a.Pin, theirs, null, out string cError))
                {
                    Console.Error.WriteLine($"workbench bench --compare: cwalk failed: {cError}");
                    return 1;
                }
            }

            var ourArgs = new List<string> { "bench" };
            ourArgs.AddRange(a.ChildArguments());
            if (!RunJson(self, ourArgs, a.Pin, ours, order, out string error))
            {
                Console.Error.WriteLine($"workbench bench --compare: the model's benchmark failed: {error}");
                return 1;
            }

            Console.Error.WriteLine($"workbench bench --compare: run {run + 1}/{a.Runs} done");
        }

        Console.Out.WriteLine(string.Create(inv,
            $"{a.Runs} run(s) per side, each figure the median of {a.Repetitions} repetitions (sweeps {a.SweepRepetitions}); walks {a.Walks:N0} (2-D {a.Walks2d:N0}); pinned to CPU {a.Pin ?? "none"}; path {BenchVerb.PathName(a.Path)}"));
        Console.Out.WriteLine($"| {"figure",-30} | {"C median",12} | {"ours median",12} | {"ratio",7} | {"bytes/op",8} | {"ours CPU",10} |");
        Console.Out.WriteLine($"|{new string('-', 32)}|{new string('-', 14)}|{new string('-', 14)}|{new string('-', 9)}|{new string('-', 10)}|{new string('-', 12)}|");
        foreach (string name in order)
        {
            List<JObject> o = ours[name];
            bool sweep = o[0]["seconds"] is not null;
            string field = sweep ? "seconds" : "ns_per_op";
            string unit = sweep ? " s" : " ns";
            double ourMedian = Median(o.Select(x => (double)x[field]!));
            double bytes = Median(o.Select(x => (double)(x["bytes_per_op"] ?? 0)));
            string cText = "-";
            string ratio = "-";
            if (theirs.TryGetValue(name, out List<JObject>? c))
            {
                double cMedian = Median(c.Select(x => (double)x[field]!));
                cText = (sweep ? cMedian.ToString("F4", inv) : cMedian.ToString("F1", inv)) + unit;
                ratio = (ourMedian / cMedian).ToString("F2", inv) + "x";
            }

            string oursText = (sweep ? ourMedian.ToString("F4", inv) : ourMedian.ToString("F1", inv)) + unit;
            string cpuText = sweep ? "-" : Median(o.Select(x => (double)(x["cpu_ns_per_op"] ?? 0))).ToString("F1", inv) + " ns";
            Console.Out.WriteLine($"| {name,-30} | {cText,12} | {oursText,12} | {ratio,7} | {bytes.ToString("F2", inv),8} | {cpuText,10} |");
        }

        return 0;
    }

    private static IEnumerable<string> DefaultNames() =>
        Workbench.Mmu.Bench.WalkFigure.All.Select(f => f.Name).Concat(SweepFigure.All.Where(s => s.ByDefault).Select(s => s.Name));

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return Workbench.Mmu.Bench.WalkTimer.Median(sorted);
    }

    /// <summary>Finds cwalk.c and builds it with its Makefile into out/cwalk (the shared folder stays untouched).</summary>
    private static string? BuildCwalk(string? dir, out string why)
    {
        dir ??= Environment.GetEnvironmentVariable("WORKBENCH_CWALK_DIR") ?? FindSharedPerf();
        if (dir is null || !File.Exists(Path.Combine(dir, "cwalk.c")) || !File.Exists(Path.Combine(dir, "Makefile")))
        {
            why = dir is null
                ? "no shared/perf/cwalk.c above this checkout (pass --cwalk DIR or set WORKBENCH_CWALK_DIR)"
                : $"{dir} has no cwalk.c and Makefile";
            return null;
        }

        dir = Path.GetFullPath(dir);
        string outDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "cwalk"));
        Directory.CreateDirectory(outDir);
        var make = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-s", "-C", outDir, "-f", Path.Combine(dir, "Makefile"), "VPATH=" + dir, "cwalk" })
        {
            make.ArgumentList.Add(arg);
        }

        try
        {
            using Process p = Process.Start(make)!;
            string stderr = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                why = $"make failed in {outDir}: {stderr.Trim()}";
                return null;
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            why = $"cannot run make: {e.Message}";
            return null;
        }

        why = "";
        return Path.Combine(outDir, "cwalk");
    }

    private static string? FindSharedPerf()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "shared", "perf");
                if (File.Exists(Path.Combine(candidate, "cwalk.c")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Runs a program (pinned when <paramref name="pin"/> is set and taskset exists) and collects its JSON lines by "bench".</summary>
    private static bool RunJson(string program, List<string> args, string? pin, Dictionary<string, List<JObject>> into,
        List<string>? order, out string error)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true };
        if (pin is not null && File.Exists("/usr/bin/taskset"))
        {
            start.FileName = "/usr/bin/taskset";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(pin);
            start.ArgumentList.Add(program);
        }
        else
        {
            start.FileName = program;
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process p = Process.Start(start)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            JObject o = JObject.Parse(line);
            string name = (string)o["bench"]!;
            if (name == "meta")
            {
                continue;
            }

            if (!into.TryGetValue(name, out List<JObject>? list))
            {
                into[name] = list = new List<JObject>();
                order?.Add(name);
            }

            list.Add(o);
        }

        p.WaitForExit();
        error = stderr.Result.Trim();
        return p.ExitCode == 0;
    }
}
