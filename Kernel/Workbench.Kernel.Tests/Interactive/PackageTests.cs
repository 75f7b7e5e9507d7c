using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NuGet.Packaging;
using NuGet.Versioning;
using Workbench.Interactive;

namespace Workbench.Kernel.Tests.Interactive;

/// <summary>
/// <c>#i "nuget: FOLDER"</c> and <c>#r "nuget: Id[, Version]"</c> in our kernel, against a local feed that the tests
/// fill with probe packages (compiled with Roslyn, packed with NuGet.Packaging). Each package id is new per run, so
/// the machine's package cache can never answer for the feed.
/// </summary>
public sealed class PackageTests : IClassFixture<PackageTests.Feed>
{
    private readonly Feed _feed;

    public PackageTests(Feed feed)
    {
        _feed = feed;
    }

    [Fact]
    public async Task a_package_from_a_local_feed_is_restored_referenced_and_usable_in_the_next_cell()
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        KernelRun restore = await KernelRun.SubmitOkAsync(kernel, $"#i \"nuget: {_feed.Directory}\"\n#r \"nuget: {_feed.LibraryId}, 1.2.3\"");
        KernelRun use = await KernelRun.SubmitOkAsync(kernel, $"{_feed.LibraryId}.Greeting.Hello(\"feed\")");

        Assert.Equal("hello feed", use.ReturnText);
        // Progress: one display that is updated in place until the restore is done.
        DisplayedValueProduced progress = Assert.Single(restore.Events.OfType<DisplayedValueProduced>());
        Assert.StartsWith("Restoring " + _feed.LibraryId, progress.FormattedValues["text/plain"]);
        DisplayedValueUpdated done = restore.Events.OfType<DisplayedValueUpdated>().Last();
        Assert.Equal(progress.DisplayId, done.DisplayId);
        Assert.StartsWith($"Restored {_feed.LibraryId} 1.2.3 in ", done.FormattedValues["text/plain"]);
    }

    [Fact]
    public async Task a_package_with_an_interactive_extension_loads_it()
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        await KernelRun.SubmitOkAsync(kernel, $"#i \"nuget: {_feed.Directory}\"\n#r \"nuget: {_feed.ExtensionId}\"");
        KernelRun directive = await KernelRun.SubmitOkAsync(kernel, "#!probe-hello");

        Assert.Equal("hello from the package's extension\n", directive.StandardOutput);
    }

    [Fact]
    public async Task a_relative_source_folder_is_resolved_against_the_kernel_directory()
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, _feed.Directory);
        Assert.False(Path.IsPathRooted(relative));

        await KernelRun.SubmitOkAsync(kernel, $"#i \"nuget: {relative}\"\n#r \"nuget: {_feed.LibraryId}\"");
        Assert.Equal("hello relative", (await KernelRun.SubmitOkAsync(kernel, $"{_feed.LibraryId}.Greeting.Hello(\"relative\")")).ReturnText);
    }

    [Fact]
    public async Task a_missing_package_is_one_error_and_the_next_cell_runs()
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        await KernelRun.SubmitOkAsync(kernel, "var before = 41;");
        string missing = "WorkbenchNoSuchPackage" + Guid.NewGuid().ToString("N")[..8];

        KernelRun failed = await KernelRun.SubmitAsync(kernel, $"#i \"nuget: {_feed.Directory}\"\n#r \"nuget: {missing}\"\nbefore = 0;");
        KernelRun next = await KernelRun.SubmitOkAsync(kernel, "before + 1");

        Assert.False(failed.Succeeded);
        Assert.Equal("NuGetRestoreError", failed.Error.Name);
        Assert.StartsWith($"NU1101: Unable to find package {missing}", failed.Error.Message);
        Assert.Equal("42", next.ReturnText);
    }

    [Fact]
    public async Task a_missing_version_is_one_error_naming_the_version()
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        KernelRun failed = await KernelRun.SubmitAsync(kernel, $"#i \"nuget: {_feed.Directory}\"\n#r \"nuget: {_feed.LibraryId}, 9.9.9\"");

        Assert.Equal("NuGetRestoreError", failed.Error.Name);
        Assert.Contains($"Unable to find package {_feed.LibraryId} with version (>= 9.9.9)", failed.Error.Message);
        Assert.Equal("2", (await KernelRun.SubmitOkAsync(kernel, "1 + 1")).ReturnText);
    }

    [Theory]
    [InlineData("#i \"nuget: /no/such/feed/folder\"", "NuGetSourceError", "the package folder /no/such/feed/folder does not exist")]
    [InlineData("#r \"nuget: \"", "NuGetDirectiveError", "cell line 1: expected #r \"nuget: PackageId\"")]
    [InlineData("#r \"nuget: A, 1.0, extra\"", "NuGetDirectiveError", "cell line 1: expected #r \"nuget: PackageId\"")]
    public async Task bad_nuget_lines_are_one_error_naming_what_is_wrong(string cell, string name, string message)
    {
        var kernel = Workbench.Interactive.Kernel.CreateCSharpKernel();
        KernelRun failed = await KernelRun.SubmitAsync(kernel, cell);

        Assert.Equal(name, failed.Error.Name);
        Assert.Contains(message, failed.Error.Message);
        Assert.Equal("3", (await KernelRun.SubmitOkAsync(kernel, "1 + 2")).ReturnText);
    }

    /// <summary>A local feed with two probe packages, built once for the class.</summary>
    public sealed class Feed : IDisposable
    {
        public Feed()
        {
            Directory = Path.Combine(Path.GetTempPath(), "workbench-feed-" + Guid.NewGuid().ToString("N")[..8]);
            System.IO.Directory.CreateDirectory(Directory);
            string suffix = Guid.NewGuid().ToString("N")[..8];
            LibraryId = "WorkbenchProbe" + suffix;
            ExtensionId = "WorkbenchProbeExtension" + suffix;

            byte[] library = Compile(LibraryId, $$"""
                namespace {{LibraryId}};
                public static class Greeting { public static string Hello(string name) => "hello " + name; }
                """);
            Pack(LibraryId, "1.2.3", ("lib/net10.0/" + LibraryId + ".dll", library));

            byte[] extension = Compile(ExtensionId, """
                using Workbench.Interactive;
                using Workbench.Interactive.Commands;
                using Workbench.Interactive.Directives;
                public sealed class ProbeHello : KernelDirectiveCommand { }
                public sealed class ProbeExtension : IKernelExtension
                {
                    public System.Threading.Tasks.Task OnLoadAsync(Kernel kernel)
                    {
                        kernel.AddDirective<ProbeHello>(new KernelActionDirective("#!probe-hello"), (_, context) =>
                        {
                            context.Publish(new StandardOutputProduced("hello from the package's extension\n"));
                            return System.Threading.Tasks.Task.CompletedTask;
                        });
                        return System.Threading.Tasks.Task.CompletedTask;
                    }
                }
                """, typeof(IKernelExtension).Assembly);
            string file = ExtensionId + ".dll";
            Pack(ExtensionId, "1.0.0", ("lib/net10.0/" + file, extension), ("interactive-extensions/dotnet/" + file, extension));
        }

        public string Directory { get; }

        public string LibraryId { get; }

        public string ExtensionId { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

        private static byte[] Compile(string name, string source, params Assembly[] references)
        {
            var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
                .Select(p => MetadataReference.CreateFromFile(p))
                .Concat(references.Select(a => MetadataReference.CreateFromFile(a.Location)));
            var compilation = CSharpCompilation.Create(
                name,
                new[] { CSharpSyntaxTree.ParseText(source) },
                trusted,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            using var stream = new MemoryStream();
            var result = compilation.Emit(stream);
            Assert.True(result.Success, string.Join("\n", result.Diagnostics));
            return stream.ToArray();
        }

        private void Pack(string id, string version, params (string Path, byte[] Content)[] files)
        {
            var builder = new PackageBuilder
            {
                Id = id,
                Version = NuGetVersion.Parse(version),
                Description = "probe package for the kernel's #r \"nuget:\" tests",
            };
            builder.Authors.Add("MMU Workbench tests");
            foreach ((string path, byte[] content) in files)
            {
                builder.Files.Add(new PhysicalPackageFile(new MemoryStream(content)) { TargetPath = path });
            }

            using FileStream output = File.Create(System.IO.Path.Combine(Directory, $"{id}.{version}.nupkg"));
            builder.Save(output);
        }
    }
}
