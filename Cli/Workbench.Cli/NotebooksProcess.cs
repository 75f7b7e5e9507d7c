using System.Diagnostics;
using System.Text;

namespace Workbench.Cli;

/// <summary>Runs a child process with captured output and a hard time limit (used by <c>notebooks</c>).</summary>
internal static class NotebooksProcess
{
    /// <summary>The result of one child process.</summary>
    internal sealed record Result(int ExitCode, string StandardOutput, string StandardError, bool TimedOut, TimeSpan Elapsed);

    public static Result Run(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        TimeSpan limit)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var output = new StringBuilder();
        var error = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var timedOut = false;
        if (!process.WaitForExit(limit))
        {
            // The kernel is a grandchild (python -> workbench-cli kernel); take the whole tree down.
            timedOut = true;
            process.Kill(entireProcessTree: true);
        }

        // The parameterless wait also drains the asynchronous output readers.
        process.WaitForExit();
        stopwatch.Stop();
        return new Result(timedOut ? -1 : process.ExitCode, Snapshot(output), Snapshot(error), timedOut, stopwatch.Elapsed);
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }
}
