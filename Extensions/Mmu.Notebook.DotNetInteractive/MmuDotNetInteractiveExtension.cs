using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Workbench.Mmu.Notebook.Commands;
using Workbench.Mmu.Notebook.Formatting;

namespace Workbench.Mmu.Notebook.DotNetInteractive;

/// <summary>
/// The MMU Workbench extension for .NET Interactive: applies the host-neutral <see cref="MmuExtension"/> (usings),
/// <see cref="MmuFormatters"/> and <see cref="MmuCommands"/> with .NET Interactive's API. It is loaded the way that host
/// loads any extension, from the NuGet package <c>MmuWorkbench</c> (<c>./workbench pack</c> writes it to
/// <c>out/nuget</c>):
/// <code>
/// #i "nuget: /path/to/repo/out/nuget"
/// #r "nuget: MmuWorkbench"
/// </code>
/// Loading again is harmless: formatters are registered once per process, directives are replaced by name.
/// </summary>
public sealed class MmuDotNetInteractiveExtension : IKernelExtension
{
    private static readonly object s_formatterGate = new();
    private static bool s_formattersRegistered;

    /// <inheritdoc/>
    public Task OnLoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        EnsureFormattersRegistered();

        // .NET Interactive routes a directive to its handler by the command *type*, so each command has its own
        // (empty) type; System.Text.Json's [JsonExtensionData] on the base collects every parameter.
        Register<MmuLoadDirective>(kernel, MmuCommands.Load);
        Register<MmuGuestDirective>(kernel, MmuCommands.Guest);
        Register<MmuNestedDirective>(kernel, MmuCommands.NestedCommand);
        Register<MmuMapDirective>(kernel, MmuCommands.Map);
        Register<MmuAccessDirective>(kernel, MmuCommands.Access);
        Register<MmuStoreDirective>(kernel, MmuCommands.Store);
        Register<MmuPeekDirective>(kernel, MmuCommands.Peek);
        Register<MmuPokeDirective>(kernel, MmuCommands.Poke);
        Register<MmuSetDirective>(kernel, MmuCommands.Set);
        Register<MmuInvlpgDirective>(kernel, MmuCommands.Invlpg);
        Register<MmuFaultDirective>(kernel, MmuCommands.Fault);
        Register<MmuWalkDirective>(kernel, MmuCommands.Walk);
        Register<MmuDumpDirective>(kernel, MmuCommands.Dump);
        Register<MmuSweepDirective>(kernel, MmuCommands.Sweep);
        Register<MmuSaveDirective>(kernel, MmuCommands.Save);
        Register<MmuRunDirective>(kernel, MmuCommands.Run);
        Register<MmuCompareDirective>(kernel, VariantCommands.Compare);
        Register<MmuNamingDirective>(kernel, VariantCommands.Naming);
        Register<MmuExplainDirective>(kernel, VariantCommands.Explain);

        // #!mmu-explain learns with ML.NET, which the host-neutral layer does not reference; this package bundles it.
        Variants.Learner ??= new Workbench.Mmu.Explain.FastTreeRuleLearner();

        // The package's lib/ assemblies are already referenced by #r "nuget:"; the usings are a C# submission that
        // runs before the next cell (the C# kernel is busy with the #r while extensions load).
        Kernel csharp = kernel.FindKernelByName("csharp") ?? kernel;
        csharp.DeferCommand(new SubmitCode(string.Concat(MmuExtension.Usings.Select(u => $"using {u};\n"))));
        return Task.CompletedTask;
    }

    /// <summary>Registers the MMU renderings with .NET Interactive's formatter table, once per process.</summary>
    public static void EnsureFormattersRegistered()
    {
        lock (s_formatterGate)
        {
            if (!s_formattersRegistered)
            {
                MmuFormatters.RegisterAll(new FormatterRegistry());
                s_formattersRegistered = true;
            }
        }
    }

    private static void Register<TDirective>(Kernel kernel, MmuCommandSpec spec)
        where TDirective : MmuDirective
    {
        kernel.AddDirective<TDirective>(ToDirective(spec), (command, context) =>
        {
            var output = new ContextOutput(context);
            var arguments = new MmuArguments((command.Arguments ?? []).Select(a => new KeyValuePair<string, string?>(a.Key, Text(a.Value))));
            if (spec == MmuCommands.Load && !arguments.Flag("h"))
            {
                output.WriteLine(MmuExtension.Summary);
            }
            else
            {
                MmuCommands.Invoke(spec, arguments, output);
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>A bound value as text: strings as they are, numbers and booleans as written.</summary>
    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    /// <summary>.NET Interactive's directive for a host-neutral command description, plus the <c>-h</c> it lacks.</summary>
    internal static KernelActionDirective ToDirective(MmuCommandSpec spec)
    {
        var parameters = new List<KernelDirectiveParameter>();
        foreach (MmuCommandParameter parameter in spec.Parameters)
        {
            var converted = new KernelDirectiveParameter(parameter.Name, parameter.Description)
            {
                AllowImplicitName = parameter.AllowImplicitName,
                // Required is checked by the handler instead, so that "-h" alone still shows the help.
                Flag = parameter.Flag,
                TypeHint = parameter.TypeHint,
            };
            if (parameter.Completions is { } completions)
            {
                converted.AddCompletions(completions);
            }

            parameters.Add(converted);
        }

        parameters.Add(new KernelDirectiveParameter("-h", "Show this help") { Flag = true });
        return new KernelActionDirective(spec.Name) { Description = spec.Description, Parameters = parameters };
    }

    private sealed class FormatterRegistry : IMmuFormatterRegistry
    {
        public void Add<T>(Func<T, string> html, Func<T, string> plainText)
        {
            Formatter.Register<T>(html, MmuFormatters.HtmlMimeType);
            Formatter.Register<T>(plainText, MmuFormatters.PlainTextMimeType);
            Formatter.SetPreferredMimeTypesFor(typeof(T), MmuFormatters.HtmlMimeType, MmuFormatters.PlainTextMimeType);
        }
    }

    private sealed class ContextOutput(KernelInvocationContext context) : IMmuCommandOutput
    {
        // Display is ambiguous between two extension classes in an extension assembly: call it by its class.
        public void Display(object value) =>
            KernelInvocationContextExtensions.Display(context, value, MmuFormatters.HtmlMimeType, MmuFormatters.PlainTextMimeType);

        public Action<object> DisplayUpdatable(object value)
        {
            DisplayedValue shown = KernelInvocationContextExtensions.Display(context, value, MmuFormatters.HtmlMimeType, MmuFormatters.PlainTextMimeType);
            return shown.Update;
        }

        public void WriteLine(string text) =>
            context.Publish(new StandardOutputValueProduced(context.Command, [new FormattedValue(MmuFormatters.PlainTextMimeType, text + "\n")]));

        public void Fail(string name, string message) => context.Fail(context.Command, message: message);
    }
}

/// <summary>
/// Binds a <c>#!mmu-*</c> command: .NET Interactive turns the parameters into JSON (kebab-case names camel-cased,
/// <c>-h</c> as <c>h</c>) and every one of them lands in <see cref="Arguments"/>. Each command derives its own type
/// (below): the host dispatches on the type.
/// </summary>
public abstract class MmuDirective : KernelDirectiveCommand
{
    /// <summary>The parameters given, as .NET Interactive bound them.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Arguments { get; set; }
}

#pragma warning disable SA1402 // One marker type per command, kept together.
/// <summary><c>#!mmu-load</c>.</summary>
public sealed class MmuLoadDirective : MmuDirective;

/// <summary><c>#!mmu-guest</c>.</summary>
public sealed class MmuGuestDirective : MmuDirective;

/// <summary><c>#!mmu-nested</c>.</summary>
public sealed class MmuNestedDirective : MmuDirective;

/// <summary><c>#!mmu-map</c>.</summary>
public sealed class MmuMapDirective : MmuDirective;

/// <summary><c>#!mmu-access</c>.</summary>
public sealed class MmuAccessDirective : MmuDirective;

/// <summary><c>#!mmu-store</c>.</summary>
public sealed class MmuStoreDirective : MmuDirective;

/// <summary><c>#!mmu-peek</c>.</summary>
public sealed class MmuPeekDirective : MmuDirective;

/// <summary><c>#!mmu-poke</c>.</summary>
public sealed class MmuPokeDirective : MmuDirective;

/// <summary><c>#!mmu-set</c>.</summary>
public sealed class MmuSetDirective : MmuDirective;

/// <summary><c>#!mmu-invlpg</c>.</summary>
public sealed class MmuInvlpgDirective : MmuDirective;

/// <summary><c>#!mmu-fault</c>.</summary>
public sealed class MmuFaultDirective : MmuDirective;

/// <summary><c>#!mmu-walk</c>.</summary>
public sealed class MmuWalkDirective : MmuDirective;

/// <summary><c>#!mmu-dump</c>.</summary>
public sealed class MmuDumpDirective : MmuDirective;

/// <summary><c>#!mmu-sweep</c>.</summary>
public sealed class MmuSweepDirective : MmuDirective;

/// <summary><c>#!mmu-save</c>.</summary>
public sealed class MmuSaveDirective : MmuDirective;

/// <summary><c>#!mmu-run</c>.</summary>
public sealed class MmuRunDirective : MmuDirective;

/// <summary><c>#!mmu-compare</c>.</summary>
public sealed class MmuCompareDirective : MmuDirective;

/// <summary><c>#!mmu-naming</c>.</summary>
public sealed class MmuNamingDirective : MmuDirective;

/// <summary><c>#!mmu-explain</c>.</summary>
public sealed class MmuExplainDirective : MmuDirective;
#pragma warning restore SA1402
