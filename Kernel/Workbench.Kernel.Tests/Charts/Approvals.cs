using System.Runtime.CompilerServices;

namespace Workbench.Kernel.Tests.Charts;

/// <summary>
/// Golden-file comparison: <c>NAME.approved.json</c> next to this source file holds the reviewed output.
/// A mismatch writes <c>NAME.received.json</c> beside it, so the diff can be inspected and, if right, renamed.
/// </summary>
internal static class Approvals
{
    public static void Verify(string name, string actual, [CallerFilePath] string callerFile = "")
    {
        // The source folder, not the build output: the test project does not copy these files.
        var directory = Path.GetDirectoryName(callerFile)!;
        var approvedPath = Path.Combine(directory, name + ".approved.json");
        var receivedPath = Path.Combine(directory, name + ".received.json");
        var normalized = actual.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";

        var approved = File.Exists(approvedPath)
            ? File.ReadAllText(approvedPath).Replace("\r\n", "\n", StringComparison.Ordinal)
            : null;
        if (approved == normalized)
        {
            if (File.Exists(receivedPath))
            {
                File.Delete(receivedPath);
            }

            return;
        }

        File.WriteAllText(receivedPath, normalized);
        Assert.Fail(approved is null
            ? $"No approved file {approvedPath}; wrote {receivedPath} for review."
            : $"Output differs from {approvedPath}; wrote {receivedPath} for comparison.");
    }
}
