using System.Text;

namespace Workbench.Interactive;

/// <summary>
/// Replaces <see cref="Console.Out"/> and <see cref="Console.Error"/> once per process with writers that send
/// text to the <see cref="KernelInvocationContext"/> of the code that writes it. Code that runs outside any
/// submission (the host's own logging) still writes to the original streams.
/// </summary>
internal static class ConsoleRouter
{
    private static readonly object s_gate = new();
    private static bool s_installed;

    /// <summary>Installs the routing writers; later calls do nothing.</summary>
    public static void Install()
    {
        lock (s_gate)
        {
            if (s_installed)
            {
                return;
            }

            Console.SetOut(new RoutingWriter(Console.Out, isError: false));
            Console.SetError(new RoutingWriter(Console.Error, isError: true));
            s_installed = true;
        }
    }

    private sealed class RoutingWriter : TextWriter
    {
        private readonly TextWriter _original;
        private readonly bool _isError;

        public RoutingWriter(TextWriter original, bool isError)
        {
            _original = original;
            _isError = isError;
        }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            KernelInvocationContext? context = KernelInvocationContext.Current;
            if (context is null)
            {
                _original.Write(value);
                return;
            }

            context.WriteConsole(value, _isError);
        }

        public override void WriteLine(string? value) => Write(value + new string(CoreNewLine));

        public override void Flush()
        {
            KernelInvocationContext? context = KernelInvocationContext.Current;
            if (context is null)
            {
                _original.Flush();
            }
            else
            {
                context.Flush();
            }
        }
    }
}
