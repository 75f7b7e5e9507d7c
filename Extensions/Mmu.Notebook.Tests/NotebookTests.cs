using Newtonsoft.Json.Linq;
using Workbench.Interactive;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>The example notebooks run cell by cell on an in-process kernel, as nbclient runs them on the real one.</summary>
[Collection(SessionCollection.Name)]
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
        {
            "02-permission-matrix.ipynb",
            [
                "#PF error code 0x3 [P W]",
                "#PF error code 0x11 [P I/D]",
                "#PF error code 0x1 [P]",
                "#PF error code 0x25 [P U PK]",
                "Figure \"Which accesses fault (red) under each switch\": heatmap (36×7)",
            ]
        },
        {
            "03-shadow-vs-ept.ipynb",
            [
                "every access ends the same way on both",
                "ShadowSptesChanged = 2, EptSptesChanged = 1, ShadowUnsyncTables = 1, ShadowEmulatedWrites = 0",
            ]
        },
        {
            "04-nested-ept-npt.ipynb",
            [
                "ok gpa 0xffff6234 (4K page, leaf level 1, rights UW-)",
                "EPT violation (exit reason 48), exit qualification 0x1ab",
                "so L1 gets a #NPF VM exit (0x400)",
                "35",
            ]
        },
        {
            "05-who-walks-what.ipynb",
            [
                "ArchMmu = guest_mmu, Walker = nested_mmu, GuestMode = True",
                "V2010 = mmu / nested_mmu, V612 = guest_mmu / nested_mmu, ChainsawV1 = guest_mmu / cpu_walk, ChainsawV2 = guest_mmu / gva_walk",
            ]
        },
        {
            "06-structure-variants.ipynb",
            [
                "chainsaw-v2          equal on every case",
                "6.12         mmu=guest_mmu  walk=nested_mmu",
                "my-refactor          8 divergent cases",
                "first divergence of my-refactor: L2 nested EPT, 32bit, wp-flip, step 8",
                "  my-refactor          #PF 0x3 cr2 0x401234   [faults by guest_mmu, walked by nested_mmu, guest_mode 1]",
                "rule: l1_tdp && wp_flip (accuracy 100.0 %, support 8 cases)",
            ]
        },
        {
            "07-naming-bake-off.ipynb",
            [
                "naming bake-off: 10 schemes, 366 claim checks, 56 violations",
                "upstream-6.12: guest_mmu is unused while L2 runs with guest_mode=1: root_mmu serves it (L2, L1 shadows L2, L0 TDP; L2, L1 shadows L2, L0 shadow)",
                "pointers: mmu -> root_mmu, walk -> walk01",
                "served: faults by root_mmu, walked by walk01, guest_mode 1",
                "served: faults by root_mmu, walked by root_mmu, guest_mode 1",
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
            int producing = 0;
            var text = new List<string>();
            foreach (string cell in cells)
            {
                Submission submission = await kernel.SubmitAsync(cell);
                Assert.True(submission.Succeeded, $"cell failed:\n{cell}\n---\n{string.Join("\n", submission.Errors.Select(e => e.Message))}");
                producing += submission.Events.Any(e => e is DisplayedValueProduced or ReturnValueProduced or StandardOutputProduced) ? 1 : 0;
                text.AddRange(submission.Displays.Select(d => d.FormattedValues["text/plain"]));
                text.AddRange(submission.Events.OfType<ReturnValueProduced>().Select(r => r.FormattedValues["text/plain"]));
            }

            Assert.True(producing >= cells.Length - 1, $"only {producing} of {cells.Length} code cells show something");
            string all = string.Join("\n", text);
            foreach (string expected in expectedOutputs)
            {
                Assert.Contains(expected, all);
            }

            // What a notebook saves with #!mmu-save is the dataset it replays (datasets/notebooks, README there).
            foreach (System.Text.RegularExpressions.Match save in System.Text.RegularExpressions.Regex.Matches(string.Join("\n", cells), @"#!mmu-save \.\./out/notebooks/(\S+\.json)"))
            {
                string saved = File.ReadAllText(Path.Combine(Repository.Root, "out", "notebooks", save.Groups[1].Value));
                string dataset = File.ReadAllText(Path.Combine(Repository.Root, "datasets", "notebooks", save.Groups[1].Value));
                Assert.Equal(dataset, saved);
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
