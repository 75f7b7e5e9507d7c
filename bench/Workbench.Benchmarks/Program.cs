using BenchmarkDotNet.Running;

namespace Workbench.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project bench/Workbench.Benchmarks -- --filter '*'</c>
/// (BenchmarkDotNet's switcher: <c>--list flat</c>, <c>--filter '*Walk*'</c>, <c>--job short</c>, ...).
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks the arguments select.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
