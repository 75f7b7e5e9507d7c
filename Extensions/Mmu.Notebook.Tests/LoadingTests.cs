using Workbench.Interactive;
using Workbench.Interactive.Formatting;
using Workbench.Mmu.Walk;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Notebook.Tests;

/// <summary>Loading the extension: idempotent, and enough for cells to use the model without usings.</summary>
[Collection(SessionCollection.Name)]
public class LoadingTests
{
    [Fact]
    public async Task loading_twice_is_harmless()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        string before = Formatter.ToDisplayString(new WalkTrace(), Formatter.HtmlMimeType);
        int directives = kernel.Kernel.Directives.Count;

        var events = new List<KernelEvent>();
        Assert.True(await kernel.Kernel.LoadExtensionAsync(new MmuKernelExtension(), events.Add));
        await new MmuKernelExtension().OnLoadAsync(kernel.Kernel);
        Submission again = await kernel.SubmitAsync("#!mmu-load");
        Submission cell = await kernel.SubmitAsync($"#!mmu-run {Repository.Experiment("pf-not-present.json")}");

        Assert.Empty(events.OfType<ErrorProduced>());
        Assert.True(again.Succeeded, again.ToString());
        Assert.Equal(directives, kernel.Kernel.Directives.Count);
        Assert.Single(kernel.Kernel.Directives, d => d.Name == "#!mmu-run");
        Assert.Equal(before, Formatter.ToDisplayString(new WalkTrace(), Formatter.HtmlMimeType));
        Assert.True(cell.Succeeded, cell.ToString());
        Assert.Single(cell.Displays);
    }

    [Fact]
    public async Task mmu_load_prints_what_was_loaded()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync("#!mmu-load");

        Assert.True(cell.Succeeded, cell.ToString());
        Assert.StartsWith("MMU Workbench loaded: magic commands #!mmu-load, #!mmu-guest, #!mmu-nested", cell.Output);
        Assert.Contains("WalkCharts.Levels", cell.Output);
    }

    [Fact]
    public async Task cells_use_the_model_without_extra_usings()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync();
        Submission cell = await kernel.SubmitAsync(
            "var tables = new PageTableBuilder(PagingMode.Long4).Map(0x401000, 0x200000, PageTableBuilder.Size4K, PteFlags.Present | PteFlags.Write);\n" +
            "var experiment = new Experiment { Memory = tables.ToMemory(), Vcpu = new CpuRegisters(Cr0.PE | Cr0.PG, tables.Root, Cr4.PAE, Efer.LME | Efer.LMA, Rflags.Fixed1, 0) };\n" +
            "var vm = ExperimentRunner.CreateVm(experiment);\n" +
            "var trace = new WalkTrace();\n" +
            "var walk = vm.Vcpu.Access(0x401234, AccessKind.Read, 0, false, trace);\n" +
            "display(WalkCharts.Levels(trace));\n" +
            "walk");

        Assert.True(cell.Succeeded, cell.ToString());
        Assert.StartsWith("ok gpa 0x200234", cell.ReturnedPlainText);
        Assert.Contains(cell.Displays, d => d.FormattedValues.ContainsKey("application/vnd.plotly.v1+json"));
    }

    [Fact]
    public async Task script_route_loads_from_a_bare_kernel()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync(loadExtension: false);
        string dll = typeof(MmuKernelExtension).Assembly.Location;

        Submission before = await kernel.SubmitAsync("#!mmu-run x.json");
        Submission load = await kernel.SubmitAsync($"#r \"{dll}\"\nawait Workbench.Mmu.Notebook.MmuKernelExtension.LoadAsync(KernelInvocationContext.Current!.Kernel);");
        Submission after = await kernel.SubmitAsync($"#!mmu-run {Repository.Experiment("pf-not-present.json")}");

        Assert.Contains("Unknown magic command", Assert.Single(before.Errors).Message);
        Assert.True(load.Succeeded, load.ToString());
        Assert.StartsWith("MMU Workbench loaded", load.Output);
        Assert.True(after.Succeeded, after.ToString());
    }

    [Fact]
    public async Task one_line_hash_r_loads_the_extension_in_a_bare_kernel()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync(loadExtension: false);
        string dll = typeof(MmuKernelExtension).Assembly.Location;

        Submission load = await kernel.SubmitAsync($"#r \"{dll}\"");
        Submission after = await kernel.SubmitAsync($"#!mmu-run {Repository.Experiment("pf-not-present.json")}");

        Assert.True(load.Succeeded, load.ToString());
        Assert.True(after.Succeeded, after.ToString());
        Assert.Contains(after.Displays, d => d.FormattedValues.ContainsKey("text/html"));
    }

    [Fact]
    public async Task loading_from_the_assembly_path_finds_the_extension()
    {
        MmuKernel kernel = await MmuKernel.CreateAsync(loadExtension: false);
        var events = new List<KernelEvent>();

        bool loaded = await kernel.Kernel.LoadExtensionAsync(typeof(MmuKernelExtension).Assembly.Location, events.Add);
        Submission cell = await kernel.SubmitAsync("Vm.Create(new VmConfig()).Vcpu");

        Assert.True(loaded, string.Join("\n", events));
        Assert.True(cell.Succeeded, cell.ToString());
        Assert.Contains("paging off", cell.ReturnedPlainText);
    }
}
