using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Workbench.Cli;

/// <summary>
/// Runs a verb's System.CommandLine command the same way for every verb: <c>-h</c>/<c>--help</c> prints its help;
/// a parse error prints one line per error, naming the verb, then the help on standard error, and exits 2; otherwise
/// the command's action runs and its result is the exit code.
/// </summary>
internal static class CliCommand
{
    /// <summary>Parses <paramref name="args"/> (the words after the verb) against <paramref name="command"/> and runs it.</summary>
    public static int Invoke(Command command, string[] args)
    {
        AddHelp(command);
        ParseResult result = command.Parse(args);
        if (result.Errors.Count > 0 && result.Action is not HelpAction)
        {
            string name = string.Join(' ', result.CommandResult.Command.Parents.OfType<Command>().Reverse().Select(c => c.Name).Append(result.CommandResult.Command.Name));
            foreach (ParseError error in result.Errors)
            {
                Console.Error.WriteLine($"{name}: {error.Message}");
            }

            var helpArgs = result.CommandResult.Command == command ? new[] { "--help" } : new[] { result.CommandResult.Command.Name, "--help" };
            command.Parse(helpArgs).Invoke(new InvocationConfiguration { Output = Console.Error });
            return 2;
        }

        return result.Invoke();
    }

    /// <summary>An option that accepts only positive numbers, naming itself in the error.</summary>
    public static Option<int> PositiveInt(string name, string description, int defaultValue) =>
        IntInRange(name, description, defaultValue, 1, int.MaxValue, value => $"{name} wants a positive number, not {value}.");

    /// <summary>
    /// An int option whose value must lie in <paramref name="min"/>..<paramref name="max"/>; outside it the option reports
    /// <paramref name="message"/>(value) as its error.
    /// </summary>
    public static Option<int> IntInRange(string name, string description, int defaultValue, int min, int max, Func<int, string> message)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            // Read the token, not the value: a token that is no number at all is System.CommandLine's error to report,
            // and asking for its value would throw.
            if (result.Tokens is [{ } token] && int.TryParse(token.Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int value)
                && (value < min || value > max))
            {
                result.AddError(message(value));
            }
        });
        return option;
    }

    private static void AddHelp(Command command)
    {
        if (!command.Options.OfType<HelpOption>().Any())
        {
            command.Options.Add(new HelpOption());
        }

        foreach (Command subcommand in command.Subcommands)
        {
            AddHelp(subcommand);
        }
    }
}
