namespace Workbench.Cli;

/// <summary>
/// One verb of <c>./workbench</c> (<c>run</c>, <c>sweep</c>, <c>bench</c>, <c>kernel</c>, <c>notebooks</c>, ...).
/// Each verb lives in its own file; <see cref="Program"/> finds every public implementation by reflection,
/// so adding a verb never touches a shared table.
/// </summary>
public interface ICliVerb
{
    /// <summary>The first command-line word that selects this verb.</summary>
    string Name { get; }

    /// <summary>One line for <c>./workbench help</c>.</summary>
    string Summary { get; }

    /// <summary>Runs the verb with the arguments after its name; returns the process exit code.</summary>
    int Run(string[] args);
}
