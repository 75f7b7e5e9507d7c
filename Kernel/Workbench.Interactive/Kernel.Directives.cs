using System.Reflection;
using System.Text;
using Workbench.Interactive.Commands;
using Workbench.Interactive.Directives;

namespace Workbench.Interactive;

public partial class Kernel
{
    private readonly Dictionary<string, DirectiveRegistration> _directives = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<KernelActionDirective, DirectiveRegistration> _subcommandHandlers = new();
    private KernelActionDirective _timeDirective = null!;

    /// <summary>The registered top-level directives, hidden ones included, in name order.</summary>
    public IReadOnlyList<KernelActionDirective> Directives
    {
        get
        {
            lock (_directives)
            {
                return _directives.Values.Select(r => r.Directive).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>
    /// Registers a magic command. Its parameters bind to settable properties of <typeparamref name="TCommand"/>
    /// (kebab-case to camelCase, case-insensitive). Registering a name again replaces the earlier directive, so
    /// loading an extension twice is harmless. A subcommand of an already registered directive may be registered
    /// on its own to give it its own command type and handler.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter has no matching settable property, or the command type has no public parameterless constructor.</exception>
    public void AddDirective<TCommand>(KernelActionDirective directive, Func<TCommand, KernelInvocationContext, Task> handler)
        where TCommand : KernelDirectiveCommand
    {
        ArgumentNullException.ThrowIfNull(directive);
        ArgumentNullException.ThrowIfNull(handler);
        Type commandType = typeof(TCommand);
        if (commandType.IsAbstract || commandType.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new ArgumentException($"{commandType.Name} needs a public parameterless constructor to be bound from {directive.Name}.", nameof(TCommand));
        }

        bool isSubcommand = directive.Parent is not null;
        if (!isSubcommand)
        {
            directive.NormalizeTopLevelName();
        }

        // Subcommands are checked when invoked: one may be registered later with a command type of its own.
        ValidateDirective(directive, commandType);
        var registration = new DirectiveRegistration(directive, commandType, (command, context) => handler((TCommand)command, context));
        lock (_directives)
        {
            directive.KernelCommandType = commandType;
            if (isSubcommand)
            {
                _subcommandHandlers[directive] = registration;
                return;
            }

            foreach (KernelActionDirective subcommand in directive.Subcommands)
            {
                subcommand.Parent = directive;
                subcommand.KernelCommandType ??= commandType;
            }

            _directives[directive.Name] = registration;
        }
    }

    private static void ValidateDirective(KernelActionDirective directive, Type commandType)
    {
        foreach (KernelDirectiveParameter parameter in directive.Parameters)
        {
            PropertyInfo? property = DirectiveParser.FindProperty(commandType, parameter.Name);
            if (property is null && DirectiveParser.FindExtensionData(commandType) is not null)
            {
                continue;
            }

            if (property is null)
            {
                throw new ArgumentException(
                    $"Parameter '{parameter.Name}' of {directive.Name} has no settable property '{DirectiveParser.ToCamelCase(parameter.Name)}' on {commandType.Name}.");
            }

            if (!DirectiveParser.IsSupported(property.PropertyType))
            {
                throw new ArgumentException(
                    $"Parameter '{parameter.Name}' of {directive.Name} binds to {commandType.Name}.{property.Name} of type {property.PropertyType.Name}, "
                    + "which directives cannot convert to (strings, numbers, bools, enums and arrays or lists of them).");
            }

            if (parameter.MaxOccurrences > 1 && DirectiveParser.GetCollectionElementType(property.PropertyType) is null)
            {
                throw new ArgumentException(
                    $"Parameter '{parameter.Name}' of {directive.Name} may occur {parameter.MaxOccurrences} times, so {commandType.Name}.{property.Name} must be an array or list.");
            }
        }

        if (directive.Parameters.Count(p => p.AllowImplicitName) > 1)
        {
            throw new ArgumentException($"{directive.Name} has more than one parameter with AllowImplicitName.");
        }
    }

    private bool IsTimeDirective(DirectiveLine line, out bool helpOnly)
    {
        List<DirectiveToken> tokens = DirectiveParser.Tokenize(line.Text, out _);
        helpOnly = false;
        if (tokens.Count == 0 || !string.Equals(tokens[0].Text, _timeDirective.Name, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        helpOnly = tokens.Skip(1).Any(t => t.Text is "-h" or "--help" or "-?");
        return true;
    }

    private async Task InvokeDirectiveAsync(KernelInvocationContext context, DirectiveLine line)
    {
        List<DirectiveToken> tokens = DirectiveParser.Tokenize(line.Text, out string? tokenError);
        string name = tokens.Count > 0 ? tokens[0].Text : line.Text;
        DirectiveRegistration? registration;
        lock (_directives)
        {
            _directives.TryGetValue(name, out registration);
        }

        if (registration is null)
        {
            string suggestion = SuggestDirective(name);
            context.Fail("DirectiveError", $"Unknown magic command '{name}'.{suggestion} Run #!lsmagic to list the available ones.", new[] { $"DirectiveError: Unknown magic command '{name}' (cell line {line.LineIndex + 1}).{suggestion}" });
            return;
        }

        if (tokenError is not null)
        {
            context.Fail("DirectiveError", $"{name}: {tokenError}", new[] { $"DirectiveError: {name}: {tokenError} (cell line {line.LineIndex + 1})" });
            return;
        }

        DirectiveInvocation invocation = DirectiveParser.Parse(registration.Directive, tokens.Skip(1).ToArray());
        if (invocation.HelpRequested)
        {
            context.Publish(new StandardOutputProduced(DirectiveParser.GetHelp(registration.Directive, invocation.Subcommand)));
            return;
        }

        if (invocation.Errors.Count > 0)
        {
            FailDirective(context, invocation.Errors, line);
            return;
        }

        DirectiveRegistration target = registration;
        if (invocation.Subcommand is not null)
        {
            lock (_directives)
            {
                if (_subcommandHandlers.TryGetValue(invocation.Subcommand, out DirectiveRegistration? subcommandRegistration))
                {
                    target = subcommandRegistration;
                }
            }
        }

        var bindErrors = new List<string>();
        KernelDirectiveCommand? command;
        try
        {
            command = DirectiveParser.Bind(target.CommandType, invocation, bindErrors);
            if (command is not null)
            {
                bindErrors.AddRange(command.GetValidationErrors() ?? Array.Empty<string>());
            }
        }
        catch (Exception exception) when (exception is TargetInvocationException or MissingMethodException or ArgumentException)
        {
            bindErrors.Add($"{invocation.InvokedDirective}: cannot create {target.CommandType.Name}: {(exception.InnerException ?? exception).Message}");
            command = null;
        }

        if (command is null || bindErrors.Count > 0)
        {
            FailDirective(context, bindErrors, line);
            return;
        }

        (bool completed, object? _) = await RunGuardedAsync<object>(context, async () =>
        {
            await target.Handler(command, context).ConfigureAwait(false);
            return command;
        }).ConfigureAwait(false);
        if (!completed)
        {
            ReportAbandoned(context);
        }
    }

    private static void FailDirective(KernelInvocationContext context, IReadOnlyList<string> errors, DirectiveLine line)
    {
        string message = errors.Count == 1 ? errors[0] : string.Join(" ", errors);
        var traceback = errors.Select(error => "DirectiveError: " + error).ToList();
        traceback.Add($"   at cell line {line.LineIndex + 1}: {line.Text}");
        context.Fail("DirectiveError", message, traceback);
    }

    private string SuggestDirective(string name)
    {
        string key = name.TrimStart('#', '!');
        KernelActionDirective? close = Directives
            .Where(d => !d.Hidden)
            .FirstOrDefault(d => d.Name.TrimStart('#', '!').StartsWith(key, StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith(d.Name.TrimStart('#', '!'), StringComparison.OrdinalIgnoreCase));
        return close is null || key.Length == 0 ? string.Empty : $" Did you mean {close.Name}?";
    }

    private void AddBuiltInDirectives()
    {
        AddDirective<BuiltInCommand>(
            new KernelActionDirective("#!lsmagic", "Lists the available magic commands."),
            (_, context) =>
            {
                var builder = new StringBuilder("Magic commands (add -h to any of them for its parameters):\n");
                foreach (KernelActionDirective directive in Directives.Where(d => !d.Hidden))
                {
                    builder.Append("  ").Append(directive.Name.PadRight(24)).AppendLine(directive.Description ?? string.Empty);
                    foreach (KernelActionDirective subcommand in directive.Subcommands.Where(s => !s.Hidden))
                    {
                        builder.Append("    ").Append(subcommand.Name.PadRight(22)).AppendLine(subcommand.Description ?? string.Empty);
                    }
                }

                context.Publish(new StandardOutputProduced(builder.ToString()));
                return Task.CompletedTask;
            });

        // #!time wraps the rest of the cell, so the runner handles it; it is registered for listing, help and completion.
        _timeDirective = new KernelActionDirective("#!time", "Runs the rest of the cell and reports the wall-clock time it took.");
        AddDirective<BuiltInCommand>(_timeDirective, (_, _) => Task.CompletedTask);

        AddDirective<BuiltInCommand>(
            new KernelActionDirective("#!about", "Shows the kernel's version."),
            (_, context) =>
            {
                context.Publish(new StandardOutputProduced(Banner + "\n"));
                return Task.CompletedTask;
            });

        // Cells saved by Polyglot Notebooks start with their kernel name; this kernel is C#, so accept and ignore them.
        foreach (string alias in new[] { "#!csharp", "#!c#", "#!C#" })
        {
            AddDirective<BuiltInCommand>(new KernelActionDirective(alias, "Selects the C# kernel (the only one).") { Hidden = true }, (_, _) => Task.CompletedTask);
        }
    }

    private sealed record DirectiveRegistration(KernelActionDirective Directive, Type CommandType, Func<KernelDirectiveCommand, KernelInvocationContext, Task> Handler);

    /// <summary>The command of built-in directives, which take no parameters.</summary>
    private sealed class BuiltInCommand : KernelDirectiveCommand
    {
    }
}
