using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Workbench.Interactive;
using Workbench.Mmu.Experiments;

// The formatter table and the current directory are process-wide, and one test measures latency: run tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>Paths of the repository this test project sits in.</summary>
internal static class Repository
{
    /// <summary>The repository root (two folders above this file).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The example experiments.</summary>
    public static string Experiments => Path.Combine(Root, "datasets", "experiments");

    /// <summary>Full path of an example experiment.</summary>
    public static string Experiment(string fileName) => Path.Combine(Experiments, fileName);

    private static string FindRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
}

/// <summary>
/// Approved-file comparison: <c>Golden/&lt;Class&gt;.&lt;test&gt;.approved.html</c> next to the tests. Set
/// <c>WORKBENCH_UPDATE_GOLDEN=1</c> to (re)write the approved files from the current output; otherwise a mismatch
/// fails and leaves a <c>.received.html</c> beside the approved file for diffing.
/// </summary>
internal static class Golden
{
    public static void Verify(string html, string testClass, [CallerMemberName] string testName = "", [CallerFilePath] string thisFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");
        string approvedPath = Path.Combine(directory, $"{testClass}.{testName}.approved.html");
        string receivedPath = Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received") + ".html";
        string actual = Readable(html);
        if (Environment.GetEnvironmentVariable("WORKBENCH_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(approvedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        if (!File.Exists(approvedPath))
        {
            File.WriteAllText(receivedPath, actual);
            Assert.Fail($"No approved file {approvedPath}; the output is in {receivedPath}. Review it, then run with WORKBENCH_UPDATE_GOLDEN=1.");
        }

        string approved = File.ReadAllText(approvedPath).ReplaceLineEndings("\n");
        if (approved != actual)
        {
            File.WriteAllText(receivedPath, actual);
        }
        else
        {
            File.Delete(receivedPath);
        }

        Assert.Equal(approved, actual);
    }

    /// <summary>One table row or block per line, so approved files diff well; the markup itself is unchanged.</summary>
    private static string Readable(string html) =>
        Regex.Replace(html, "(</tr>|</caption>|<tbody>|</thead>|</table>|</div>)", "$1\n") + "\n";
}

/// <summary>
/// A value's HTML rendering compared with its approved file (<see cref="Golden"/>). Embedded charts are replaced by a
/// marker (their div id is random and plotly.js is embedded or not depending on the machine); <see cref="ChartTests"/>
/// checks their data. Returns the text as a reader sees it (· and &amp;#39; decoded), for asserting facts.
/// </summary>
internal static class GoldenRendering
{
    private static readonly Regex s_chart = new(
        "<div class=\"mmu-chart\"><div id=\"wb-plot-[0-9a-f]{32}\"[\\s\\S]*?\\}\\)\\(\\);\\n</script>\\n</div>",
        RegexOptions.CultureInvariant);

    public static string Verify<T>(T value, string testClass, string testName)
    {
        string stable = s_chart.Replace(Workbench.Interactive.Formatting.Formatter.ToDisplayString(value, Workbench.Interactive.Formatting.Formatter.HtmlMimeType), "<!-- chart -->");
        Golden.Verify(stable, testClass, testName);
        return System.Net.WebUtility.HtmlDecode(stable);
    }
}

/// <summary>A kernel with the extension loaded, collecting the events of each submission.</summary>
internal sealed class MmuKernel
{
    private MmuKernel(Kernel kernel)
    {
        Kernel = kernel;
    }

    public Kernel Kernel { get; }

    public static async Task<MmuKernel> CreateAsync(bool loadExtension = true)
    {
        var kernel = Kernel.CreateCSharpKernel();
        if (loadExtension)
        {
            var events = new List<KernelEvent>();
            bool loaded = await kernel.LoadExtensionAsync(new MmuKernelExtension(), events.Add);
            Assert.True(loaded, string.Join("\n", events));
        }

        return new MmuKernel(kernel);
    }

    public async Task<Submission> SubmitAsync(string code)
    {
        var events = new List<KernelEvent>();
        SubmissionResult result = await Kernel.SubmitCodeAsync(code, e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        });
        return new Submission(result.Succeeded, events);
    }
}

/// <summary>What one submission produced.</summary>
internal sealed record Submission(bool Succeeded, List<KernelEvent> Events)
{
    public IReadOnlyList<ErrorProduced> Errors => Events.OfType<ErrorProduced>().ToList();

    public IReadOnlyList<DisplayedValueProduced> Displays => Events.OfType<DisplayedValueProduced>().ToList();

    public string Output => string.Concat(Events.OfType<StandardOutputProduced>().Select(e => e.Text));

    public string ReturnedPlainText => Events.OfType<ReturnValueProduced>().Single().FormattedValues["text/plain"];

    public override string ToString() => string.Join("\n", Events);
}

/// <summary>Guests the tests share.</summary>
internal static class Guests
{
    /// <summary>The guest of <c>first-walk-4level.json</c>: 4-level paging, 0x401234 → 0x200234 (supervisor, writable).</summary>
    public static Experiment FirstWalk() => ExperimentParser.Parse(File.ReadAllText(Repository.Experiment("first-walk-4level.json")));

    /// <summary>A VM in the state of <see cref="FirstWalk"/>.</summary>
    public static Vm FirstWalkVm() => ExperimentRunner.CreateVm(FirstWalk());
}
