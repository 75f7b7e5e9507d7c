using Workbench.Mmu.Experiments;

namespace Workbench.Mmu.Tests.Experiments;

/// <summary>The <c>./workbench run</c> code path, driven in-process with captured streams.</summary>
public sealed class ExperimentCommandTests : IDisposable
{
    private const string PagingOff = "{\"format\":\"mmu-workbench.experiment/1\",\"name\":\"flat\",\"steps\":[{\"access\":\"read\",\"gva\":\"0x1234\"},{\"poke\":\"0x1230\",\"u64\":\"0xab\"},{\"peek\":\"0x1230\"}]}";
    private const string Typo = "{\"format\":\"mmu-workbench.experiment/1\",\"name\":\"typo\",\"stpes\":[]}";

    private readonly string _directory = Directory.CreateTempSubdirectory("workbench-run-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void JsonLinesGivesOneLinePerExperimentInOrderAndGoesOnAfterAnInvalidOne()
    {
        var path = Write("batch.txt", PagingOff + "\n\n" + Typo + "\n" + PagingOff.Replace("flat", "flat again", StringComparison.Ordinal) + "\n");

        var (exitCode, stdout, stderr) = Run("--jsonl", path);

        Assert.Equal(1, exitCode);
        Assert.Equal("", stderr);
        Assert.Equal(
            "{\"name\":\"flat\",\"steps\":[{\"result\":\"ok\",\"gpa\":\"0x1234\"},{\"result\":\"ok\"},{\"u64\":\"0xab\"}]}\n"
            + "{\"name\":\"typo\",\"error\":\"stpes: unknown field (expected format, name, vm, memory, vcpu, nested, steps)\"}\n"
            + "{\"name\":\"flat again\",\"steps\":[{\"result\":\"ok\",\"gpa\":\"0x1234\"},{\"result\":\"ok\"},{\"u64\":\"0xab\"}]}\n",
            stdout);
    }

    [Fact]
    public void JsonLinesSyntaxErrorsGiveTheFileLine()
    {
        var path = Write("batch.jsonl", PagingOff + "\n\n{\"format\": oops}\n");

        var (exitCode, stdout, _) = Run(path);

        Assert.Equal(1, exitCode);
        Assert.EndsWith("{\"name\":null,\"error\":\"json: line 3, column 12: Unexpected character encountered while parsing value: o\"}\n", stdout);
    }

    [Fact]
    public void JsonLinesFromStandardInput()
    {
        var (exitCode, stdout, _) = Run(new StringReader(PagingOff + "\n"), "--jsonl", "--trace", "-");

        Assert.Equal(0, exitCode);
        Assert.Equal("{\"name\":\"flat\",\"steps\":[{\"result\":\"ok\",\"gpa\":\"0x1234\",\"contexts\":{\"mmu\":\"root_mmu\",\"walk\":\"root_mmu\",\"guest_mode\":false},\"trace\":[]},{\"result\":\"ok\"},{\"u64\":\"0xab\"}]}\n", stdout);
    }

    [Fact]
    public void JsonFlagPrintsTheResultLineOfOneExperiment()
    {
        var path = Write("flat.json", PagingOff);

        var (exitCode, stdout, _) = Run("--json", path);

        Assert.Equal(0, exitCode);
        Assert.Equal("{\"name\":\"flat\",\"steps\":[{\"result\":\"ok\",\"gpa\":\"0x1234\"},{\"result\":\"ok\"},{\"u64\":\"0xab\"}]}\n", stdout);
    }

    [Fact]
    public void DefaultOutputIsTheReadableReport()
    {
        var path = Write("flat.json", PagingOff);

        var (exitCode, stdout, _) = Run(path);

        Assert.Equal(0, exitCode);
        Assert.Equal(
            "flat: intel, MAXPHYADDR 46, 64M memory, tdp none, 1G pages, 0 memory words\n"
            + "  vcpu: cr0=0x0 cr3=0x0 cr4=0x0 efer=0x0 rflags=0x2 pkru=0x0\n"
            + "  [0] read  0x1234 cpl 0                   -> ok gpa 0x1234 (paging off)\n"
            + "  [1] poke  0x1230 = 0xab                  -> ok\n"
            + "  [2] peek  0x1230                         -> 0xab\n",
            stdout);
    }

    [Fact]
    public void ReportOfAnInvalidExperimentShowsTheError()
    {
        var path = Write("typo.json", Typo);

        var (exitCode, stdout, _) = Run(path);

        Assert.Equal(1, exitCode);
        Assert.Equal("typo\n  error: stpes: unknown field (expected format, name, vm, memory, vcpu, nested, steps)\n", stdout);
    }

    [Theory]
    [InlineData(new string[0], "workbench run: no experiment file given")]
    [InlineData(new[] { "--jsno", "x.json" }, "workbench run: unexpected argument '--jsno'")]
    [InlineData(new[] { "a.json", "b.json" }, "workbench run: unexpected argument 'b.json'")]
    public void UsageErrorsExitWithTwo(string[] args, string firstLine)
    {
        var (exitCode, stdout, stderr) = Run(args);

        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout);
        Assert.StartsWith(firstLine + "\n" + "usage: ./workbench run", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void MissingFileIsAUsageErrorNotACrash()
    {
        var (exitCode, _, stderr) = Run(Path.Combine(_directory, "absent.json"));

        Assert.Equal(2, exitCode);
        Assert.StartsWith("workbench run: cannot read ", stderr);
    }

    [Fact]
    public void HelpPrintsTheUsage()
    {
        var (exitCode, stdout, _) = Run("--help");

        Assert.Equal(0, exitCode);
        Assert.StartsWith("usage: ./workbench run", stdout);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Run(TextReader.Null, args);

    private static (int ExitCode, string Stdout, string Stderr) Run(TextReader stdin, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var exitCode = ExperimentCommand.Run(args, stdin, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
