using Newtonsoft.Json.Linq;
using Workbench.Interactive;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The example notebooks run cell by cell on an in-process kernel, as nbclient runs them on the real one.</summary>
public class NotebookTests
{
    /// <summary>Outputs the prose of each notebook talks about: if the model changes them, the prose must change too.</summary>
    public static TheoryData<string, string[]> Notebooks => new()
    {
        {
            "01-first-walk.ipynb",
            [
                "ok gpa 0x200234",
                "#PF error code 0x6 [W U] CR2 0x401234",
                "#PF error code 0x7 [P W U] CR2 0x401234",
                "#PF error code 0x3 [P W] CR2 0x402010",
                "ok gpa 0x201010",
                "#PF error code 0x11 [P I/D] CR2 0x402010",
                "#PF error code 0x0 [none] CR2 0x402010",
                "Page walk: 4 reads, 4 A/D write-backs",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task notebook_runs_top_to_bottom_without_errors(string fileName, string[] expectedOutputs)
    {
        string notebooks = Path.Combine(Repository.Root, "notebooks");
        JObject notebook = JObject.Parse(File.ReadAllText(Path.Combine(notebooks, fileName)));
        Assert.Equal("mmu-workbench", (string?)notebook["metadata"]!["kernelspec"]!["name"]);
        string[] cells = notebook["cells"]!
            .Where(c => (string?)c["cell_type"] == "code")
            .Select(c => string.Concat(c["source"]!.Values<string>()))
            .ToArray();

        // Jupyter starts the kernel in the notebook's folder; relative experiment paths depend on it.
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = notebooks;
        try
        {
            MmuKernel kernel = await MmuKernel.CreateAsync();
            int rich = 0;
            var text = new List<string>();
            foreach (string cell in cells)
            {
                Submission submission = await kernel.SubmitAsync(cell);
                Assert.True(submission.Succeeded, $"cell failed:\n{cell}\n---\n{string.Join("\n", submission.Errors.Select(e => e.Message))}");
                rich += submission.Events.Count(e => e is DisplayedValueProduced or ReturnValueProduced);
                text.AddRange(submission.Displays.Select(d => d.FormattedValues["text/plain"]));
                text.AddRange(submission.Events.OfType<ReturnValueProduced>().Select(r => r.FormattedValues["text/plain"]));
            }

            Assert.True(rich >= cells.Length - 1, $"only {rich} rich outputs for {cells.Length} code cells");
            string all = string.Join("\n", text);
            foreach (string expected in expectedOutputs)
            {
                Assert.Contains(expected, all);
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
