using System.Runtime.CompilerServices;

namespace Workbench.Mmu.Walk
{
    /// <summary>
    /// The 2-D step of a walk, KVM's <c>kvm_translate_gpa(vcpu, mmu, gpa, access, exception)</c>: every table GPA
    /// (access = W|U|GUEST_PAGE) and the final GPA (access = the request | GUEST_FINAL) pass through it. It is the
    /// identity unless the walker is the nested (L2) one, where it runs the L1 EPT/NPT walk
    /// (<c>translate_nested_gpa</c>). Implement it as a struct so the walker specialises and the identity is free.
    /// </summary>
    public interface IGpaTranslator
    {
        /// <summary>
        /// Translates <paramref name="gpa"/>; on failure returns false and sets <paramref name="fault"/> to the outer
        /// fault (usually <see cref="WalkOutcome.VmExit"/>), which ends the whole walk (KVM returns 0 keeping the
        /// nested walker's fault).
        /// </summary>
        /// <param name="gpa">The guest-physical address as the walker sees it (an L2 GPA in a nested walk).</param>
        /// <param name="access">PFERR bits of the request, with GUEST_PAGE (table) or GUEST_FINAL (final address).</param>
        /// <param name="observer">The walk's observer: the outer dimension's reads are traced with the inner ones.</param>
        /// <param name="realGpa">The address in the memory the walker reads (L1 GPA).</param>
        /// <param name="fault">The outer fault when the translation fails.</param>
        bool TryTranslate<TObserver>(ulong gpa, ulong access, ref TObserver observer, out ulong realGpa, out WalkResult fault)
            where TObserver : IWalkObserver;
    }

    /// <summary>The 1-D case: GPA = real GPA, never fails (KVM <c>kvm_translate_gpa</c> when the MMU is not nested).</summary>
    public struct IdentityGpaTranslator : IGpaTranslator
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool TryTranslate<TObserver>(ulong gpa, ulong access, ref TObserver observer, out ulong realGpa,
            out WalkResult fault)
            where TObserver : IWalkObserver
        {
            realGpa = gpa;
            Unsafe.SkipInit(out fault); // read only when the translation fails, which it never does
            return true;
        }
    }
}
