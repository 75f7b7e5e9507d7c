namespace Workbench.Jupyter.Server;

/// <summary>
/// The kernel's diagnostic log. It writes to the process's real standard error stream, opened once, so that
/// an engine redirecting <see cref="Console.Error"/> to capture a cell's output never receives kernel logs.
/// Never pass the connection key here.
/// </summary>
public sealed class KernelLog
{
    private readonly TextWriter _writer;
    private readonly object _gate = new();

    /// <summary>Creates a log over <paramref name="writer"/>, or over the process's standard error.</summary>
    public KernelLog(TextWriter? writer = null)
    {
        _writer = writer ?? new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
    }

    /// <summary>Writes one line, prefixed so it is recognisable in Jupyter's server log.</summary>
    public void Write(string line)
    {
        lock (_gate)
        {
            try
            {
                _writer.WriteLine($"[mmu-workbench kernel {DateTime.UtcNow:HH:mm:ss.fff}] {line}");
            }
            catch (IOException)
            {
                // The parent closed our stderr; logging is best effort.
            }
        }
    }
}
