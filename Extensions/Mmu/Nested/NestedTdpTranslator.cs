using System.Runtime.CompilerServices;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Nested
{
    /// <summary>
    /// The second dimension of a nested walk (KVM <c>kvm_translate_gpa</c> for <c>nested_mmu</c>): each L2 table GPA
    /// and the final L2 GPA go through L1's EPT or NPT walker; its reads enter the same trace as dimension 2, and a
    /// failure ends the whole walk with that walker's VM exit ("return 0 immediately, keeping the fault").
    /// The outer walker's format is a type argument, chosen once per walk: the outer walk is called directly, and on
    /// success only the GPA is passed on (the fault is not copied).
    /// </summary>
    /// <typeparam name="TOuterFormat">The format of L1's EPT/NPT walker (its <see cref="PageWalker.Mode"/>).</typeparam>
    internal readonly struct NestedTdpTranslator<TOuterFormat> : IGpaTranslator
        where TOuterFormat : struct, IPagingFormat
    {
        private readonly PageWalker _tdp;
        private readonly ulong _gva;

        /// <param name="tdp">L1's EPT/NPT walker (6.12: <c>guest_mmu</c>).</param>
        /// <param name="gva">The L2 linear address being walked (reported in exits).</param>
        public NestedTdpTranslator(PageWalker tdp, ulong gva)
        {
            _tdp = tdp;
            _gva = gva;
        }

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryTranslate<TObserver>(ulong gpa, ulong access, ref TObserver observer, out ulong realGpa, out WalkResult fault)
            where TObserver : IWalkObserver
        {
            if (typeof(TObserver) == typeof(NoTrace) && _tdp.TranslateAsInnerGpa<TOuterFormat>(gpa, access) is ulong translated)
            {
                realGpa = translated;
                Unsafe.SkipInit(out fault);
                return true;
            }

            // Traced, or faulted: the full walk (a fault is built here only).
            WalkResult result = _tdp.TranslateAsInner<TOuterFormat, TObserver>(gpa, access, _gva, ref observer);
            realGpa = result.Gpa;
            if (result.IsOk)
            {
                // The walker reads fault only on failure.
                Unsafe.SkipInit(out fault);
                return true;
            }

            fault = result;
            return false;
        }
    }
}
