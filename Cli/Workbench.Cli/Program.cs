using System.Reflection;

namespace Workbench.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var verbs = DiscoverVerbs();
        if (args.Length == 0 || args[0] is "help" or "-h" or "--help")
        {
            PrintHelp(verbs);
            return args.Length == 0 ? 2 : 0;
        }

        if (!verbs.TryGetValue(args[0], out var verb))
        {
            Console.Error.WriteLine($"workbench: unknown verb '{args[0]}'.");
            PrintHelp(verbs);
            return 2;
        }

        return verb.Run(args[1..]);
    }

    private static SortedDictionary<string, ICliVerb> DiscoverVerbs()
    {
        var verbs = new SortedDictionary<string, ICliVerb>(StringComparer.Ordinal);
        foreach (var type in typeof(Program).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.IsInterface || !typeof(ICliVerb).IsAssignableFrom(type))
            {
                continue;
            }

            if (type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is null)
            {
                continue;
            }

            var verb = (ICliVerb)Activator.CreateInstance(type)!;
            verbs[verb.Name] = verb;
        }

        return verbs;
    }

    private static void PrintHelp(SortedDictionary<string, ICliVerb> verbs)
    {
        Console.Error.WriteLine("usage: ./workbench <verb> [arguments]   (./workbench <verb> -h for a verb's help)");
        foreach (var verb in verbs.Values)
        {
            Console.Error.WriteLine($"  {verb.Name,-12} {verb.Summary}");
        }
    }
}
