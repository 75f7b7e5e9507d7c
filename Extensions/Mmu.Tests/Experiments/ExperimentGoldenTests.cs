using System.Runtime.CompilerServices;
using System.Text;
using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Tests.Experiments;

/// <summary>
/// Runs every experiment file of <c>Extensions/Mmu.Tests/golden/</c> and <c>datasets/experiments/</c> and compares
/// the output with its <c>*.expected.jsonl</c> (golden files next to their input; datasets' under
/// <c>golden/datasets/</c>). Files named <c>*.trace.json[l]</c> run with tracing. <c>WORKBENCH_UPDATE_GOLDEN=1</c>
/// rewrites the expected files (and the dataset files from <see cref="DatasetExperiments"/>) instead of comparing:
/// review the diff by hand before committing it.
/// </summary>
public sealed class ExperimentGoldenTests
{
    private static readonly bool s_update = Environment.GetEnvironmentVariable("WORKBENCH_UPDATE_GOLDEN") == "1";

    public static TheoryData<string> GoldenInputs()
    {
        var data = new TheoryData<string>();
        foreach (var path in InputsIn(GoldenDirectory).Concat(InputsIn(DatasetsDirectory)))
        {
            data.Add(Path.GetRelativePath(RepositoryRoot, path));
        }

        return data;
    }

    public static TheoryData<string> DatasetFileNames()
    {
        var data = new TheoryData<string>();
        foreach (var (fileName, _) in DatasetExperiments.Files)
        {
            data.Add(fileName);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenInputs))]
    public void OutputMatchesTheExpectedFile(string input)
    {
        var inputPath = Path.Combine(RepositoryRoot, input);
        var expectedPath = ExpectedPathFor(inputPath);
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter();
        var args = new List<string> { "--json" };
        if (Path.GetFileName(inputPath).Contains(".trace.", StringComparison.Ordinal))
        {
            args.Add("--trace");
        }

        args.Add(inputPath);
        ExperimentCommand.Run(args, TextReader.Null, stdout, stderr);

        Assert.Equal("", stderr.ToString());
        if (s_update)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(expectedPath)!);
            File.WriteAllText(expectedPath, stdout.ToString(), new UTF8Encoding(false));
            return;
        }

        Assert.True(File.Exists(expectedPath), $"{expectedPath} is missing (WORKBENCH_UPDATE_GOLDEN=1 writes it)");
        Assert.Equal(File.ReadAllText(expectedPath), stdout.ToString());
    }

    [Theory]
    [MemberData(nameof(DatasetFileNames))]
    public void DatasetFileIsTheWriterOutputOfItsBuilder(string fileName)
    {
        var expected = DatasetExperiments.Files.Single(d => d.FileName == fileName).Content;
        var path = Path.Combine(DatasetsDirectory, fileName);
        if (s_update)
        {
            File.WriteAllText(path, expected, new UTF8Encoding(false));
            return;
        }

        Assert.Equal(expected, File.ReadAllText(path));
    }

    [Fact]
    public void EveryGoldenInputHasItsExpectedFileAndNoExpectedFileIsOrphaned()
    {
        var inputs = InputsIn(GoldenDirectory).Concat(InputsIn(DatasetsDirectory)).Select(ExpectedPathFor).ToHashSet();
        var expected = Directory.EnumerateFiles(GoldenDirectory, "*.expected.jsonl", SearchOption.AllDirectories).ToHashSet();

        Assert.NotEmpty(inputs);
        Assert.Equal(inputs.Order(), expected.Order());
    }

    internal static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string GoldenDirectory => Path.Combine(RepositoryRoot, "Extensions", "Mmu.Tests", "golden");

    private static string DatasetsDirectory => Path.Combine(RepositoryRoot, "datasets", "experiments");

    private static IEnumerable<string> InputsIn(string directory) =>
        Directory.EnumerateFiles(directory, "*.json*", SearchOption.TopDirectoryOnly)
            .Where(p => (p.EndsWith(".json", StringComparison.Ordinal) || p.EndsWith(".jsonl", StringComparison.Ordinal))
                && !p.EndsWith(".expected.jsonl", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static string ExpectedPathFor(string inputPath)
    {
        var directory = Path.GetDirectoryName(inputPath)!;
        var stem = Path.GetFileNameWithoutExtension(inputPath);
        return directory == DatasetsDirectory
            ? Path.Combine(GoldenDirectory, "datasets", stem + ".expected.jsonl")
            : Path.Combine(directory, stem + ".expected.jsonl");
    }

    private static string FindRepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        // The test source sits at Extensions/Mmu.Tests/Experiments/ in the repository; builds may put the binaries
        // anywhere (--artifacts-path), so the source path, not the binary's, locates the golden files.
        foreach (var start in new[] { Path.GetDirectoryName(sourceFile), Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = start; directory is not null; directory = Path.GetDirectoryName(directory))
            {
                if (Directory.Exists(Path.Combine(directory, "Extensions", "Mmu.Tests", "golden"))
                    && Directory.Exists(Path.Combine(directory, "datasets")))
                {
                    return directory;
                }
            }
        }

        throw new DirectoryNotFoundException("repository root (with Extensions/Mmu.Tests/golden and datasets/) not found");
    }
}
