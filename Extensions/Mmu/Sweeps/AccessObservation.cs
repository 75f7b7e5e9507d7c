using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Sweeps;

/// <summary>
/// What the model did for one case: the result of the (last) access and the PTE/PDE read back afterwards,
/// the quantities access.c's <c>ac_test_do_access</c> checks, plus the fault address and final GPA.
/// </summary>
/// <param name="Outcome">How the (last) access ended; only <see cref="WalkOutcome.Ok"/> and
/// <see cref="WalkOutcome.PageFault"/> are right for these cases (no TDP, canonical address).</param>
/// <param name="ErrorCode">The #PF error code (0 without a fault).</param>
/// <param name="FaultAddress">CR2 of the fault (0 without a fault).</param>
/// <param name="Gpa">The translated guest-physical address when the access completed.</param>
/// <param name="Pte">The PTE after the access(es) (0 with a 2 MiB PDE, which has no PTE).</param>
/// <param name="Pde">The PDE after the access(es).</param>
public readonly record struct AccessObservation(
    WalkOutcome Outcome,
    ulong ErrorCode,
    ulong FaultAddress,
    ulong Gpa,
    ulong Pte,
    ulong Pde)
{
    /// <summary>The access ended in #PF.</summary>
    public bool Fault => Outcome == WalkOutcome.PageFault;
}

/// <summary>
/// Compares a model observation with the oracle's expectation the way access.c's <c>ac_test_do_access</c>
/// does ("unexpected fault", "unexpected access", "error code", "pte", "pde" with <c>ignore_pde</c>), and
/// additionally checks CR2 on a fault and the final GPA on success.
/// </summary>
public static class AccessChecker
{
    /// <summary>
    /// <see langword="null"/> when the observation matches; otherwise the first difference in access.c's
    /// check order, as one line.
    /// </summary>
    /// <param name="flags">The case (decides whether a PTE exists).</param>
    /// <param name="expected">The oracle's expectation.</param>
    /// <param name="observed">What the model did.</param>
    /// <param name="expectedGpa">The GPA a completed access must reach.</param>
    /// <param name="expectedFaultAddress">The CR2 a fault must report.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static string? Compare(
        AccessCase flags,
        in AccessExpectation expected,
        in AccessObservation observed,
        ulong expectedGpa,
        ulong expectedFaultAddress)
        => Agrees(flags, expected, observed, expectedGpa, expectedFaultAddress)
            ? null
            : Describe(flags, expected, observed, expectedGpa, expectedFaultAddress);

    /// <summary>
    /// Whether <see cref="Compare"/> finds no difference: the same checks as one expression of ORed differences, so
    /// that the sweep's per-case check is a handful of compares and one branch (the low flag bits change from case to
    /// case, and a branch per check would follow them).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool Agrees(
        AccessCase flags,
        in AccessExpectation expected,
        in AccessObservation observed,
        ulong expectedGpa,
        ulong expectedFaultAddress)
    {
        bool fault = observed.Outcome == WalkOutcome.PageFault;
        bool completed = observed.Outcome == WalkOutcome.Ok;
        ulong ifFault = MaskOf(fault);
        ulong ifPte = MaskOf((flags & AccessCase.PdePse) == 0);
        ulong difference = (fault | completed ? 0UL : 1UL)
            | (fault == expected.Fault ? 0UL : 1UL)
            | ((observed.Pde ^ expected.Pde) & ~expected.PdeIgnore)
            | ((observed.Pte ^ expected.Pte) & ifPte)
            | (((observed.ErrorCode ^ expected.ErrorCode) | (observed.FaultAddress ^ expectedFaultAddress)) & ifFault)
            | ((observed.Gpa ^ expectedGpa) & ~ifFault);
        return difference == 0;
    }

    /// <summary>All ones when <paramref name="condition"/>, else 0 (a compare and a negation, no branch).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong MaskOf(bool condition) => 0UL - (condition ? 1UL : 0UL);

    /// <summary>The first difference in access.c's check order (the slow path of <see cref="Compare"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static string? Describe(
        AccessCase flags,
        in AccessExpectation expected,
        in AccessObservation observed,
        ulong expectedGpa,
        ulong expectedFaultAddress)
    {
        if (observed.Outcome is not (WalkOutcome.Ok or WalkOutcome.PageFault))
        {
            return $"unexpected outcome {observed.Outcome} (only completion or #PF are possible here)";
        }

        if (observed.Fault && !expected.Fault)
        {
            return $"unexpected fault: error code {Hex(observed.ErrorCode)}, expected the access to complete";
        }

        if (!observed.Fault && expected.Fault)
        {
            return $"unexpected access: completed, expected #PF error code {Hex(expected.ErrorCode)}";
        }

        if (observed.Fault && observed.ErrorCode != expected.ErrorCode)
        {
            return $"error code {Hex(observed.ErrorCode)} expected {Hex(expected.ErrorCode)}";
        }

        if (AccessLayout.LeafLevel(flags) == 1 && observed.Pte != expected.Pte)
        {
            return $"pte {Hex(observed.Pte)} expected {Hex(expected.Pte)}";
        }

        if ((observed.Pde & ~expected.PdeIgnore) != (expected.Pde & ~expected.PdeIgnore))
        {
            string ignored = expected.PdeIgnore != 0 ? $" (ignoring {Hex(expected.PdeIgnore)})" : string.Empty;
            return $"pde {Hex(observed.Pde)} expected {Hex(expected.Pde)}{ignored}";
        }

        if (observed.Fault && observed.FaultAddress != expectedFaultAddress)
        {
            return $"fault address (CR2) {Hex(observed.FaultAddress)} expected {Hex(expectedFaultAddress)}";
        }

        if (!observed.Fault && observed.Gpa != expectedGpa)
        {
            return $"gpa {Hex(observed.Gpa)} expected {Hex(expectedGpa)}";
        }

        return null;
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}
