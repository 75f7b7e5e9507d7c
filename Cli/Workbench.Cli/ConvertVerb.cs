namespace Workbench.Cli;

/// <summary><c>./workbench convert IN OUT</c>: converts a notebook between <c>.dib</c> (Polyglot Notebooks) and <c>.ipynb</c>.</summary>
public sealed class ConvertVerb : ICliVerb
{
    private const string Usage =
        "usage: ./workbench convert IN.dib OUT.ipynb | IN.ipynb OUT.dib [--kernel mmu-workbench|dotnet-interactive]\n"
        + "  Converts with .NET Interactive's document library: cells, their kernel (#!csharp, #!markdown, ...) and text\n"
        + "  are kept; outputs are not (a .dib has none). --kernel sets the kernelspec of a written .ipynb\n"
        + "  (default mmu-workbench).";

    /// <inheritdoc/>
    public string Name => "convert";

    /// <inheritdoc/>
    public string Summary => "convert a notebook between .dib (Polyglot Notebooks) and .ipynb";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var files = new List<string>();
        var kernel = NotebooksVerb.KernelName;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                case "--kernel" when i + 1 < args.Length && args[i + 1] is NotebooksVerb.KernelName or NotebooksVerb.DotNetInteractiveKernel:
                    kernel = args[++i];
                    break;
                default:
                    if (args[i].StartsWith('-'))
                    {
                        Console.Error.WriteLine($"convert: unexpected option '{args[i]}'.");
                        Console.Error.WriteLine(Usage);
                        return 2;
                    }

                    files.Add(args[i]);
                    break;
            }
        }

        if (files.Count != 2)
        {
            Console.Error.WriteLine($"convert: expected an input and an output file, got {files.Count} file argument(s).");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        string input = files[0], output = files[1];
        bool dibToIpynb = HasExtension(input, ".dib") && HasExtension(output, ".ipynb");
        bool ipynbToDib = HasExtension(input, ".ipynb") && HasExtension(output, ".dib");
        if (!dibToIpynb && !ipynbToDib)
        {
            Console.Error.WriteLine($"convert: converts .dib to .ipynb or .ipynb to .dib, not '{Path.GetFileName(input)}' to '{Path.GetFileName(output)}'.");
            return 2;
        }

        if (!File.Exists(input))
        {
            Console.Error.WriteLine($"convert: no such file: {input}");
            return 2;
        }

        string converted;
        try
        {
            converted = dibToIpynb
                ? NotebookDocuments.DibToIpynb(File.ReadAllText(input), KernelSpecName(kernel), KernelDisplayName(kernel))
                : NotebookDocuments.IpynbToDib(File.ReadAllText(input));
        }
        catch (Exception problem) when (problem is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"convert: {input} is not a readable {(dibToIpynb ? ".dib" : ".ipynb")} notebook: {problem.Message}");
            return 1;
        }

        File.WriteAllText(output, converted);
        Console.WriteLine($"convert: wrote {output}");
        return 0;
    }

    /// <summary>The kernelspec name of a <c>--kernel</c> value.</summary>
    internal static string KernelSpecName(string kernel) =>
        kernel == NotebooksVerb.DotNetInteractiveKernel ? DotNetInteractiveHost.KernelName : KernelInstall.KernelName;

    /// <summary>The kernelspec display name of a <c>--kernel</c> value.</summary>
    internal static string KernelDisplayName(string kernel) =>
        kernel == NotebooksVerb.DotNetInteractiveKernel ? DotNetInteractiveHost.DisplayName : KernelInstall.DisplayName;

    private static bool HasExtension(string path, string extension) => path.EndsWith(extension, StringComparison.OrdinalIgnoreCase);
}
