using System.CommandLine;

namespace Workbench.Cli;

/// <summary><c>./workbench convert IN OUT</c>: converts a notebook between <c>.dib</c> (Polyglot Notebooks) and <c>.ipynb</c>.</summary>
public sealed class ConvertVerb : ICliVerb
{
    /// <inheritdoc/>
    public string Name => "convert";

    /// <inheritdoc/>
    public string Summary => "convert a notebook between .dib (Polyglot Notebooks) and .ipynb";

    /// <inheritdoc/>
    public int Run(string[] args)
    {
        var inputArgument = new Argument<string>("input") { Description = "The notebook to read (.dib or .ipynb)." };
        var outputArgument = new Argument<string>("output") { Description = "The notebook to write (.ipynb or .dib)." };
        var kernelOption = new Option<string>("--kernel")
        {
            Description = "The kernelspec of a written .ipynb.",
            DefaultValueFactory = _ => NotebooksVerb.KernelName,
        };
        kernelOption.AcceptOnlyFromAmong(NotebooksVerb.KernelName, NotebooksVerb.DotNetInteractiveKernel);
        var command = new Command(Name,
            "Converts a notebook between .dib (Polyglot Notebooks) and .ipynb with .NET Interactive's document library: "
            + "cells, their kernel (#!csharp, #!markdown, ...) and text are kept; outputs are not (a .dib has none).")
        {
            inputArgument, outputArgument, kernelOption,
        };
        command.SetAction(parsed => Convert(parsed.GetValue(inputArgument)!, parsed.GetValue(outputArgument)!, parsed.GetValue(kernelOption)!));
        return CliCommand.Invoke(command, args);
    }

    private static int Convert(string input, string output, string kernel)
    {
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
