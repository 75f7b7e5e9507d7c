using Workbench.Interactive;
using Workbench.Interactive.Commands;
using Workbench.Interactive.Directives;
using Workbench.Interactive.Formatting;
using Workbench.Mmu.Notebook.Commands;
using Workbench.Mmu.Notebook.Formatting;

namespace Workbench.Mmu.Notebook;

/// <summary>
/// The MMU Workbench extension for our kernel (Workbench.Interactive): applies the host-neutral
/// <see cref="MmuExtension"/> (references, usings), <see cref="MmuFormatters"/> and <see cref="MmuCommands"/> with this
/// kernel's API. The <c>mmu-workbench</c> kernelspec loads it at start-up; elsewhere load it with <c>#!mmu-load</c>
/// (once loaded), with <c>#r "/path/to/Workbench.Mmu.Notebook.Workbench.dll"</c> (the kernel loads the extensions of
/// an assembly a cell references) or with <c>#r "nuget: MmuWorkbench"</c> from the local feed <c>./workbench pack</c>
/// writes. Loading is idempotent: loading again changes nothing.
/// </summary>
public sealed class MmuKernelExtension : IKernelExtension
{
    private static readonly object s_formatterGate = new();

    /// <summary>Namespaces every cell imports once the extension is loaded.</summary>
    public static IReadOnlyList<string> Usings => MmuExtension.Usings;

    /// <summary>The one-line summary <c>#!mmu-load</c> and <see cref="LoadAsync"/> print.</summary>
    public static string Summary => MmuExtension.Summary;

    /// <inheritdoc/>
    public Task OnLoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);

        // Both calls are idempotent in the kernel (a reference or using that is already there is not added again).
        foreach (System.Reflection.Assembly assembly in MmuExtension.Assemblies)
        {
            kernel.AddAssemblyReference(assembly);
        }

        kernel.AddAssemblyReference(typeof(MmuKernelExtension).Assembly);
        kernel.AddUsings(MmuExtension.Usings.ToArray());
        EnsureFormattersRegistered();

        // #!mmu-explain learns with ML.NET, which the host-neutral layer does not reference: this adapter does, as the
        // CLI beside which the kernelspec loads it does (ML.NET's assemblies load only when a rule is learned).
        Variants.Learner ??= new Workbench.Mmu.Explain.FastTreeRuleLearner();

        // Registering a directive name again replaces it, so a second load leaves one of each. One command type
        // serves every command: its parameters land in MmuDirectiveCommand.Arguments.
        foreach (MmuCommandSpec spec in MmuCommands.All)
        {
            if (spec == MmuCommands.Load)
            {
                kernel.AddDirective<MmuDirectiveCommand>(ToDirective(spec), (_, context) => LoadAsync(context.Kernel));
                continue;
            }

            kernel.AddDirective<MmuDirectiveCommand>(ToDirective(spec), (command, context) =>
            {
                MmuCommands.Invoke(spec, new MmuArguments(command.Arguments.Select(a => new KeyValuePair<string, string?>(a.Key, a.Value))), new ContextOutput(context));
                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Loads the extension into <paramref name="kernel"/> from a cell (the script-based route for kernels that did
    /// not preload it) and prints <see cref="Summary"/> into the running cell, if any.
    /// </summary>
    public static async Task LoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        await new MmuKernelExtension().OnLoadAsync(kernel).ConfigureAwait(false);
        KernelInvocationContext.Current?.Publish(new StandardOutputProduced(Summary + "\n"));
    }

    /// <summary>
    /// Registers the MMU renderings unless they are registered already. The formatter table is process-wide, so a
    /// second load (another kernel, <c>#!mmu-load</c> again) must not stack duplicates; after
    /// <see cref="Formatter.ResetToDefault"/> the preferred MIME types are gone and this registers again.
    /// </summary>
    public static void EnsureFormattersRegistered()
    {
        lock (s_formatterGate)
        {
            if (!MmuFormatters.FormattedTypes.All(t => Formatter.GetPreferredMimeTypesFor(t).Contains(Formatter.HtmlMimeType)))
            {
                MmuFormatters.RegisterAll(new FormatterRegistry());
            }
        }
    }

    /// <summary>This kernel's directive for a host-neutral command description.</summary>
    internal static KernelActionDirective ToDirective(MmuCommandSpec spec)
    {
        var directive = new KernelActionDirective(spec.Name, spec.Description);
        foreach (MmuCommandParameter parameter in spec.Parameters)
        {
            var converted = new KernelDirectiveParameter(parameter.Name, parameter.Description)
            {
                AllowImplicitName = parameter.AllowImplicitName,
                Required = parameter.Required,
                Flag = parameter.Flag,
                TypeHint = parameter.TypeHint,
            };
            if (parameter.Completions is { } completions)
            {
                converted.AddCompletions(completions);
            }

            directive.Parameters.Add(converted);
        }

        return directive;
    }

    private sealed class FormatterRegistry : IMmuFormatterRegistry
    {
        public void Add<T>(Func<T, string> html, Func<T, string> plainText)
        {
            Formatter.Register(html, Formatter.HtmlMimeType);
            Formatter.Register(plainText, Formatter.PlainTextMimeType);
            Formatter.SetPreferredMimeTypesFor(typeof(T), Formatter.HtmlMimeType);
        }
    }

    private sealed class ContextOutput(KernelInvocationContext context) : IMmuCommandOutput
    {
        public void Display(object value) => context.Display(value);

        public Action<object> DisplayUpdatable(object value)
        {
            DisplayedValue shown = context.Display(value);
            return shown.Update;
        }

        public void WriteLine(string text) => context.Publish(new StandardOutputProduced(text + "\n"));

        public void Fail(string name, string message) =>
            context.Publish(new ErrorProduced(name, message, new[] { $"{name}: {message}" }));
    }
}

/// <summary>
/// Binds any <c>#!mmu-*</c> command: every parameter lands in <see cref="Arguments"/> by its camel-cased name, and
/// <see cref="MmuCommands.Invoke"/> reads them through <see cref="MmuArguments"/>.
/// </summary>
public sealed class MmuDirectiveCommand : KernelDirectiveCommand
{
    /// <summary>The parameters given (<c>--l1-tdp on</c> → <c>l1Tdp</c> = <c>on</c>; flags <c>true</c>).</summary>
    [DirectiveExtensionData]
    public Dictionary<string, string> Arguments { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
