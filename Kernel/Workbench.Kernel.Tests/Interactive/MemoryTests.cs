using CSharpKernel = Workbench.Interactive.Kernel;

namespace Workbench.Kernel.Tests.Interactive;

/// <summary>Measures the whole process's heap, so it runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "Kernel memory";
}

[Collection(MemoryCollection.Name)]
public sealed class MemoryTests
{
    [Fact]
    public async Task Memory_grows_linearly_with_cells_that_declare_variables()
    {
        CSharpKernel kernel = CSharpKernel.CreateCSharpKernel();
        await KernelRun.SubmitOkAsync(kernel, "var seed = 0;");
        long before = SettledHeap();
        for (int i = 0; i < 300; i++)
        {
            await KernelRun.SubmitOkAsync(kernel, i % 3 == 2 ? "seed + 1" : $"var declared{i} = {i};");
        }

        long growth = SettledHeap() - before;

        // Measured: about 8 MB. Repeating the default references in every submission made this about 300 MB
        // (quadratic: every cell re-bound every reference for every earlier cell).
        Assert.True(growth < 100_000_000, $"heap grew by {growth / 1_000_000} MB over 300 cells");
    }

    private static long SettledHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
