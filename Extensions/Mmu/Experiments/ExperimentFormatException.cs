namespace Workbench.Mmu.Experiments;

/// <summary>
/// An experiment that cannot run as written: bad JSON, an unknown field, a wrong type, a value out of range.
/// <see cref="Exception.Message"/> is <c>"&lt;field&gt;: &lt;what is wrong&gt;"</c> (e.g.
/// <c>"steps[2].gva: 0x800000000000 is not canonical ..."</c>), the text written into the result's <c>"error"</c>.
/// </summary>
public sealed class ExperimentFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="field"/>.</summary>
    /// <param name="field">JSON path of the offending field (<c>memory[3].gpa</c>, <c>vcpu.cr4</c>, <c>json</c> for syntax).</param>
    /// <param name="problem">What is wrong, one sentence without a trailing period.</param>
    /// <param name="experimentName">The experiment's <c>"name"</c> if it could be read, so results still carry it.</param>
    public ExperimentFormatException(string field, string problem, string? experimentName = null)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
        ExperimentName = experimentName;
    }

    /// <summary>JSON path of the offending field.</summary>
    public string Field { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    /// <summary>The experiment's name, when it was readable.</summary>
    public string? ExperimentName { get; }

    /// <summary>The same error, labelled with the experiment's name.</summary>
    internal ExperimentFormatException WithName(string? experimentName) =>
        experimentName is null || ExperimentName is not null ? this : new ExperimentFormatException(Field, Problem, experimentName);
}
