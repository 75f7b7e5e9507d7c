using System.Numerics;
using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Walk
{
    /// <summary>
    /// What the walker hands back when it ends, chosen per caller as a type argument so the JIT builds only that:
    /// <see cref="FullWalkEnd"/> (the public <see cref="WalkResult"/>) or <see cref="CompactWalkEnd"/>.
    /// </summary>
    /// <typeparam name="TResult">The value the walk returns.</typeparam>
    internal interface IWalkEnd<TResult>
    {
        /// <summary>A successful translation.</summary>
        static abstract TResult Translated(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey);

        /// <summary>A fault, built by the walker (cold path).</summary>
        static abstract TResult Faulted(in WalkResult fault);
    }

    /// <summary>
    /// <typeparamref name="TEnd"/>'s results from a walk that keeps its per-level scratch and sets A/D itself: the second
    /// walk of a <see cref="CompactWalkEnd"/> walk (see GuestWalker.WalkKeepingLevels).
    /// </summary>
    internal struct KeepingLevels<TEnd, TResult> : IWalkEnd<TResult>
        where TEnd : struct, IWalkEnd<TResult>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TResult Translated(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey)
            => TEnd.Translated(gpa, level, pteAccess, pageSize, protectionKey);

        /// <inheritdoc/>
        public static TResult Faulted(in WalkResult fault) => TEnd.Faulted(fault);
    }

    /// <summary>The public result: every field of <see cref="WalkResult"/>.</summary>
    internal struct FullWalkEnd : IWalkEnd<WalkResult>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static WalkResult Translated(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey)
            => WalkResult.Success(gpa, level, pteAccess, pageSize, protectionKey);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static WalkResult Faulted(in WalkResult fault) => fault;
    }

    /// <summary>
    /// The 16-byte result of a 1-D x86 access (identity GPA translation, not EPT): it comes back in two registers
    /// instead of a 72-byte <see cref="WalkResult"/> written through a return buffer (cwalk's <c>gwalk</c> returns
    /// the GPA or <c>R_FAULT | code</c> the same way). Such an access can only translate, raise a #PF, or raise #GP(0)
    /// for a non-canonical address (no VM exit, no EPT qualification), so <see cref="ToResult"/> rebuilds exactly the
    /// <see cref="WalkResult"/> the full path returns.
    /// </summary>
    internal readonly struct CompactWalk
    {
        private const uint FaultBit = 1u << 31;
        private const uint GeneralProtectionBit = 1u << 30;
        private const int LevelShift = 8;
        private const int KeyShift = 12;
        private const int PageShiftShift = 16;
        private const int ErrorCodeShift = 32;

        // Success: the GPA; a fault: the (linearized) address it reports (CR2 for a #PF).
        private readonly ulong _gpaOrAddress;

        // Bits 7:0 PteAccess, 11:8 level, 15:12 protection key, 23:16 log2(page size), 30 #GP, 31 fault; 63:32 a #PF's
        // error code (KVM's walker keeps it in a u16). One 64-bit field, not two 32-bit ones: with three fields the JIT
        // kept the result in memory instead of two registers.
        private readonly ulong _details;

        private CompactWalk(ulong gpaOrAddress, ulong details)
        {
            _gpaOrAddress = gpaOrAddress;
            _details = details;
        }

        /// <summary>A successful translation (page sizes are powers of two).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static CompactWalk Translated(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey)
            => new(gpa, (uint)pteAccess | ((uint)level << LevelShift) | (protectionKey << KeyShift)
                | ((uint)BitOperations.TrailingZeroCount(pageSize) << PageShiftShift));

        /// <summary>A #PF of a 1-D x86 walk.</summary>
        public static CompactWalk PageFault(in WalkResult fault)
        {
            System.Diagnostics.Debug.Assert(fault.Outcome == WalkOutcome.PageFault && fault.ExitInfo == 0, "a 1-D x86 walk only raises #PF");
            return new(fault.FaultAddress, FaultBit | (uint)fault.PteAccess | ((uint)fault.Level << LevelShift)
                | ((ulong)(uint)fault.ErrorCode << ErrorCodeShift));
        }

        /// <summary>#GP(0) for a non-canonical <paramref name="address"/>, before any walk.</summary>
        public static CompactWalk GeneralProtection(ulong address) => new(address, FaultBit | GeneralProtectionBit);

        /// <summary>The <see cref="WalkResult"/> the full path returns for the same access.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public WalkResult ToResult()
        {
            Acc access = (Acc)(byte)_details;
            int level = (int)(_details >> LevelShift) & 0xf;
            if ((_details & FaultBit) != 0)
            {
                return (_details & GeneralProtectionBit) != 0
                    ? WalkResult.GeneralProtection(_gpaOrAddress)
                    : WalkResult.PageFault((PfErr)(_details >> ErrorCodeShift), _gpaOrAddress, level, access);
            }

            return WalkResult.Success(_gpaOrAddress, level, access, 1UL << (int)((_details >> PageShiftShift) & 0xff),
                (uint)(_details >> KeyShift) & 0xf);
        }
    }

    /// <summary>Builds <see cref="CompactWalk"/> (1-D x86 walks only; see there).</summary>
    internal struct CompactWalkEnd : IWalkEnd<CompactWalk>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static CompactWalk Translated(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey)
            => CompactWalk.Translated(gpa, level, pteAccess, pageSize, protectionKey);

        /// <inheritdoc/>
        public static CompactWalk Faulted(in WalkResult fault) => CompactWalk.PageFault(fault);
    }

    /// <summary>
    /// Only the GPA of a walk, null when it faults: for the outer dimension of an untraced 2-D walk, whose caller
    /// needs the fault's details only when there is one (then it walks again for them; see
    /// <see cref="Contexts.PageWalker.TranslateAsInnerGpa{TFormat}"/>).
    /// </summary>
    internal struct GpaOnlyEnd : IWalkEnd<ulong?>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong? Translated(ulong gpa, int level, Acc pteAccess, ulong pageSize, uint protectionKey) => gpa;

        /// <inheritdoc/>
        public static ulong? Faulted(in WalkResult fault) => null;
    }
}
