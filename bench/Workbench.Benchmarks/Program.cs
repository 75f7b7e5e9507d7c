using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Workbench.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project bench/Workbench.Benchmarks -- --filter '*'</c>
/// (BenchmarkDotNet's switcher: <c>--list flat</c>, <c>--filter '*Walk*'</c>, <c>--job short</c>, <c>--inProcess</c>, ...).
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks the arguments select.</summary>
    public static void Main(string[] args)
    {
        // Reports go next to the binaries (bin/ is ignored by git) rather than into the caller's directory.
        IConfig config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
