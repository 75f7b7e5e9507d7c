using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
using Workbench.Mmu.Memory;
using Workbench.Mmu.Paging;

namespace Workbench.Mmu.Walk
{
    /// <summary>
    /// The one guest page-table walk, KVM <c>FNAME(walk_addr_generic)</c> (arch/x86/kvm/mmu/paging_tmpl.h),
    /// instantiated per paging format as paging_tmpl.h is per <c>PTTYPE</c>. <typeparamref name="TFormat"/> and
    /// <typeparamref name="TObserver"/> are structs (or, for tracing, the <see cref="WalkTrace"/> class) so the JIT
    /// emits one specialised copy per format and removes <see cref="NoTrace"/> calls.
    /// </summary>
    /// <remarks>
    /// Steps (spec 6.2):
    /// <list type="number">
    /// <item>Start from CR3; PAE takes PDPTE <c>(addr &gt;&gt; 30) &amp; 3</c> from the PDPTR registers (not present
    ///   → #PF at level 3); the PDPTE gives the directory address only.</item>
    /// <item>Per level: translate the table GPA (<see cref="IGpaTranslator"/>), read the entry (no memory → not
    ///   present, as KVM's <c>goto error</c> for a gfn without memslot), accumulate
    ///   <c>pte_access = pt_access &amp; (pte ^ nx_mask)</c>, check P, then reserved bits (RSVD|P).</item>
    /// <item>At the leaf: protection key, <c>permission_fault</c> (P, maybe PK), final GPA with large-page offset
    ///   and PSE-36 bits, final translation.</item>
    /// <item>A/D: only after the access passed every check; A on every level walked that lacks it, D on the leaf for
    ///   writes; only changed entries are written (KVM <c>update_accessed_dirty_bits</c>).</item>
    /// <item>Error: add W/U from the access, I/D for fetches only with EFER.NXE or CR4.SMEP; CR2 = address. An EPT
    ///   walk also synthesizes the EPT-violation exit qualification.</item>
    /// </list>
    /// Not modelled: KVM's cmpxchg race and <c>retry_walk</c> (one thread), read-only memslots (all memory is
    /// writable), <c>protect_clean_gpte</c> (it only narrows the access KVM gives a shadow PTE for reads; the
    /// shadow MMU applies it to <see cref="WalkResult.PteAccess"/>).
    /// </remarks>
    [SkipLocalsInit] // the per-level scratch is written before it is read; zeroing it cost ~1 ns per walk
    public static unsafe class GuestWalker<TFormat, TObserver>
        where TFormat : struct, IPagingFormat
        where TObserver : IWalkObserver
    {
        // VisitLevel's error code when translating the table's GPA through the outer dimension faulted (not a #PF code).
        private const ulong OuterFault = ~0UL;

        /// <summary>Walks <paramref name="addr"/> for <paramref name="access"/> (PFERR bits) with identity GPA translation.</summary>
        /// <param name="context">The walker's state (role, format, root).</param>
        /// <param name="addr">Linear address (or L2 GPA for an EPT/NPT walker).</param>
        /// <param name="access">PFERR bits: W, U, F, <see cref="PfErr.ImplicitAccess"/>.</param>
        /// <param name="rflags">RFLAGS of the vCPU (AC for SMAP).</param>
        /// <param name="pkru">PKRU of the vCPU.</param>
        /// <param name="observer">Receives every paging-structure access.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static WalkResult Walk(in WalkContext context, ulong addr, ulong access, ulong rflags, uint pkru, ref TObserver observer)
        {
            IdentityGpaTranslator identity = default;
            return Walk(in context, addr, access, rflags, pkru, ref observer, ref identity);
        }

        /// <summary>Walks <paramref name="addr"/> for <paramref name="access"/>, passing table and final GPAs through <paramref name="translator"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // callers call the walk below directly
        public static WalkResult Walk<TTranslator>(in WalkContext context, ulong addr, ulong access, ulong rflags, uint pkru,
            ref TObserver observer, ref TTranslator translator)
            where TTranslator : struct, IGpaTranslator
            => Walk<TTranslator, FullWalkEnd, WalkResult>(in context, addr, access, rflags, pkru, ref observer, ref translator);

        /// <summary>
        /// The walk, ending in what <typeparamref name="TEnd"/> builds: the full <see cref="WalkResult"/>, or for a 1-D
        /// x86 walk the two-register <see cref="CompactWalk"/> (see docs/benchmarks.md, "The compact 1-D result").
        /// </summary>
        // Inlined into its few entry points (PageWalker's per-format walk functions, each AggressiveOptimization: see
        // docs/benchmarks.md, "What users get"), so a walk is one frame, not a thunk around a call.
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        internal static TResult Walk<TTranslator, TEnd, TResult>(in WalkContext context, ulong addr, ulong access, ulong rflags,
            uint pkru, ref TObserver observer, ref TTranslator translator)
            where TTranslator : struct, IGpaTranslator
            where TEnd : struct, IWalkEnd<TResult>
        {
            if (TFormat.RootLevel == 0)
            {
                // KVM nonpaging_gva_to_gpa: no tables, no permission checks, only kvm_translate_gpa ("with CR0.PG=0 every
                // linear address counts as user-mode for MBEC": pte_access = ACC_ALL).
                ulong everyAddressIsUser = TFormat.IsEpt ? 0 : (ulong)PfErr.UserLinearAddress;
                if (!translator.TryTranslate(addr, access | everyAddressIsUser | (ulong)PfErr.GuestFinal, ref observer, out ulong directGpa, out WalkResult directFault))
                {
                    return TEnd.Faulted(directFault);
                }

                return TEnd.Translated(directGpa, 0, Acc.All, 4096, 0);
            }

            ulong errcode = 0;
            ulong pte = context.Root;
            int level = TFormat.RootLevel;
            int dimension = context.Dimension;
            Unsafe.SkipInit(out LevelArray ptes);
            Unsafe.SkipInit(out LevelArray pteGpas);

            // Raw AND of every entry walked (NX inverted). EPT faults report its R/W/X in the exit qualification.
            ulong pteAccess = ~0UL;

            if (TFormat.UsesPdptrs)
            {
                // KVM walk_addr_generic, PTTYPE 64 with level == PT32E_ROOT_LEVEL: the PDPTE comes from
                // mmu->get_pdptr(), loaded at MOV CR (SDM 4.4.1); it is not re-read and has no A bit.
                int pdptIndex = (int)(addr >> 30) & 3;
                if (!context.PdptrsFromMemory)
                {
                    pte = context.GetPdptr(pdptIndex);
                    observer.OnAccess(TraceKind.PdptrRegister, 3, context.PdptBase + ((ulong)pdptIndex * 8), pte, dimension);
                }
                else
                {
                    // SVM nested NPT in PAE format (KVM nested_svm_get_tdp_pdptr): read from memory at nCR3 each time.
                    ulong pdpteGpa = context.Root + ((ulong)pdptIndex * 8);
                    pte = pdpteGpa + 8 <= context.MemorySize ? TFormat.ReadEntry(context.Memory, pdpteGpa) : 0;
                    observer.OnAccess(TraceKind.Read, 3, pdpteGpa, pte, dimension);
                }

                if (!TFormat.IsPresent(pte))
                {
                    goto Error;
                }
            }

            // The first level read from memory (a constant: PAE starts below its PDPTRs).
            int maxLevel = TFormat.UsesPdptrs ? TFormat.RootLevel - 1 : TFormat.RootLevel;
            // KVM PT_HAVE_ACCESSED_DIRTY: always true for PTTYPE 32/64, the EPTP's A/D enable for EPT.
            bool haveAd = !TFormat.IsEpt || context.HaveAccessedDirty;

            // KVM nested_access: the CPU writes A/D into the tables it walks, so the outer (EPT/NPT) dimension must
            // allow writes to table pages when this format has A/D; "NPT walks are always user-walks".
            ulong nestedAccess = (haveAd ? (ulong)PfErr.Write : 0) | (ulong)(PfErr.User | PfErr.GuestPage);

            // The loop of walk_addr_generic ("do { ... } while (!is_last_gpte(...))"), unrolled: the format's levels are
            // constants, so each VisitLevel below is compiled with its level as a constant (index shift, reserved-mask
            // slot, page-size test and scratch slot fold to immediates), as the C reference's walker is unrolled by its
            // compiler. The steps and their order are the loop's.
            byte* flat = context.FlatMemory;
            ulong memorySize = context.MemorySize;

            // Whether this walk keeps each level's entry and GPA for update_accessed_dirty_bits (KVM guest_walker ptes[],
            // pte_gpa[]). The compact walk does not (no stores per level), and reads only the flat mapping: an access that
            // passed every check but must set A or D, or a walk of sparse memory, is walked (again) by WalkKeepingLevels.
            // It also ends in a copy of EndAtLeaf per level that can be a leaf and calls Fail from each level, the level a
            // constant in both; the other walks share one copy of each, the level in a register (one register fewer is one
            // callee-saved register fewer to push and pop on every walk). That choice is a typeof test at each use, which
            // the JIT folds while importing the IL, so the other walks never import the compact walk's code (a static
            // abstract property folds only after inlining, and the leaf copies it guarded used up the 2-D walks' inlining
            // budget: 85 → 115 ns).
            bool keepLevels = typeof(TEnd) != typeof(CompactWalkEnd);
            if (!keepLevels && flat == null)
            {
                // Such a walk is written for the flat mapping (no null test per level): sparse memory goes to the walk
                // that keeps its levels, which reads it either way.
                return WalkKeepingLevels<TEnd, TResult>(in context, addr, access, rflags, pkru);
            }
            Unsafe.SkipInit(out WalkResult outer);
            if (maxLevel >= 5)
            {
                level = 5;
                if (!VisitLevel(5, in context, flat, memorySize, addr, nestedAccess, dimension, ref pte, ref pteAccess,
                    keepLevels, ref ptes, ref pteGpas, ref observer, ref translator, ref errcode, ref outer))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return Fail<TEnd, TResult>(errcode, access, in context, addr, 5, pteAccess);
                    }

                    goto LevelFailed;
                }

                if (TFormat.IsLastGpte(5, pte, context.Cr4Pse))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return EndAtLeaf<TTranslator, TEnd, TResult>(5, in context, addr, access, rflags, pkru, pte, pteAccess,
                            maxLevel, haveAd, ref ptes, ref pteGpas, ref observer, ref translator);
                    }

                    goto Leaf;
                }
            }

            if (maxLevel >= 4)
            {
                level = 4;
                if (!VisitLevel(4, in context, flat, memorySize, addr, nestedAccess, dimension, ref pte, ref pteAccess,
                    keepLevels, ref ptes, ref pteGpas, ref observer, ref translator, ref errcode, ref outer))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return Fail<TEnd, TResult>(errcode, access, in context, addr, 4, pteAccess);
                    }

                    goto LevelFailed;
                }

                if (TFormat.IsLastGpte(4, pte, context.Cr4Pse))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return EndAtLeaf<TTranslator, TEnd, TResult>(4, in context, addr, access, rflags, pkru, pte, pteAccess,
                            maxLevel, haveAd, ref ptes, ref pteGpas, ref observer, ref translator);
                    }

                    goto Leaf;
                }
            }

            if (maxLevel >= 3)
            {
                level = 3;
                if (!VisitLevel(3, in context, flat, memorySize, addr, nestedAccess, dimension, ref pte, ref pteAccess,
                    keepLevels, ref ptes, ref pteGpas, ref observer, ref translator, ref errcode, ref outer))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return Fail<TEnd, TResult>(errcode, access, in context, addr, 3, pteAccess);
                    }

                    goto LevelFailed;
                }

                if (TFormat.IsLastGpte(3, pte, context.Cr4Pse))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return EndAtLeaf<TTranslator, TEnd, TResult>(3, in context, addr, access, rflags, pkru, pte, pteAccess,
                            maxLevel, haveAd, ref ptes, ref pteGpas, ref observer, ref translator);
                    }

                    goto Leaf;
                }
            }

            if (maxLevel >= 2)
            {
                level = 2;
                if (!VisitLevel(2, in context, flat, memorySize, addr, nestedAccess, dimension, ref pte, ref pteAccess,
                    keepLevels, ref ptes, ref pteGpas, ref observer, ref translator, ref errcode, ref outer))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return Fail<TEnd, TResult>(errcode, access, in context, addr, 2, pteAccess);
                    }

                    goto LevelFailed;
                }

                if (TFormat.IsLastGpte(2, pte, context.Cr4Pse))
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        return EndAtLeaf<TTranslator, TEnd, TResult>(2, in context, addr, access, rflags, pkru, pte, pteAccess,
                            maxLevel, haveAd, ref ptes, ref pteGpas, ref observer, ref translator);
                    }

                    goto Leaf;
                }
            }

            level = 1;
            if (VisitLevel(1, in context, flat, memorySize, addr, nestedAccess, dimension, ref pte, ref pteAccess,
                keepLevels, ref ptes, ref pteGpas, ref observer, ref translator, ref errcode, ref outer))
            {
                // Level 1 always ends the walk (is_last_gpte).
                if (typeof(TEnd) == typeof(CompactWalkEnd))
                {
                    return EndAtLeaf<TTranslator, TEnd, TResult>(1, in context, addr, access, rflags, pkru, pte, pteAccess,
                        maxLevel, haveAd, ref ptes, ref pteGpas, ref observer, ref translator);
                }

                goto Leaf;
            }

            if (typeof(TEnd) == typeof(CompactWalkEnd))
            {
                return Fail<TEnd, TResult>(errcode, access, in context, addr, 1, pteAccess);
            }

        LevelFailed:
            // (Tables of a 1-D walk are not translated: no outer fault to look for.)
            if (typeof(TTranslator) != typeof(IdentityGpaTranslator) && errcode == OuterFault)
            {
                return TEnd.Faulted(outer);
            }

        Error:
            return Fail<TEnd, TResult>(errcode, access, in context, addr, level, pteAccess);

        Leaf:
            return EndAtLeaf<TTranslator, TEnd, TResult>(level, in context, addr, access, rflags, pkru, pte, pteAccess, maxLevel,
                haveAd, ref ptes, ref pteGpas, ref observer, ref translator);
        }

        /// <summary>
        /// The end of a walk that reached its leaf at <paramref name="level"/> (walk_addr_generic after the loop): the
        /// protection key, <c>permission_fault</c>, the GPA, its final translation, and A/D. Inlined at each level that can
        /// be a leaf, with <paramref name="level"/> a constant, so the page size and the GPA's offset mask are immediates.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TResult EndAtLeaf<TTranslator, TEnd, TResult>(int level, in WalkContext context, ulong addr, ulong access,
            ulong rflags, uint pkru, ulong pte, ulong pteAccess, int maxLevel, bool haveAd, ref LevelArray ptes,
            ref LevelArray pteGpas, ref TObserver observer, ref TTranslator translator)
            where TTranslator : struct, IGpaTranslator
            where TEnd : struct, IWalkEnd<TResult>
        {
            uint pkey = TFormat.ProtectionKey(pte);
            Acc acc = LeafAccess(pteAccess);
            ulong checkedAccess = access;
            if (TFormat.IsEpt && context.Mbec && (access & (ulong)PfErr.Fetch) != 0)
            {
                // SDM 29.3.3.2 with mode-based execute control: a fetch from a user-mode linear address needs XU (bit 10)
                // on every level, from a supervisor-mode one XS (bit 2); reads and writes are checked as usual.
                ulong executable = (access & (ulong)PfErr.UserLinearAddress) != 0 ? EptPte.UserExecutableMask : EptPte.ExecutableMask;
                if ((pteAccess & executable) == 0)
                {
                    return Fail<TEnd, TResult>((ulong)PfErr.Present, access, in context, addr, level, pteAccess);
                }

                // The post-chainsaw permission table (the only KVM that offers MBEC) needs R only for plain reads: the
                // fetch is fully checked here, so neither F nor the "user walk" U goes to the 6.12 table.
                checkedAccess &= ~(ulong)(PfErr.Fetch | PfErr.User);
            }

            ulong errcode = context.PermissionFault(acc, pkey, checkedAccess, rflags, pkru);
            if (errcode != 0)
            {
                return Fail<TEnd, TResult>(errcode, access, in context, addr, level, pteAccess);
            }

            ulong gpa = TFormat.LeafGpa(pte, level, addr);

            // For mode-based execute control in the outer dimension: is this a user-mode linear address?
            ulong userLinear = (acc & Acc.User) != 0 && !TFormat.IsEpt ? (ulong)PfErr.UserLinearAddress : 0;
            if (!translator.TryTranslate(gpa, access | userLinear | (ulong)PfErr.GuestFinal, ref observer, out ulong realGpa, out WalkResult finalFault))
            {
                return TEnd.Faulted(finalFault);
            }

            // KVM: accessed_dirty = have_ad ? pte_access & ACCESSED : 0 — A must be set at every level; on a write,
            // "fold the dirty bit into accessed_dirty" (the leaf's D, shifted down onto A). Without A/D (EPT with
            // EPTP bit 6 clear) update_accessed_dirty_bits returns at once, so nothing is written.
            if (haveAd)
            {
                // Without a branch on the access kind (it changes from one access to the next): all ones unless a write.
                ulong write = (access / (ulong)PfErr.Write) & 1;
                ulong notWrite = write - 1;
                ulong accessedDirty = pteAccess & (1UL << TFormat.AccessedShift)
                    & ((pte >> (TFormat.DirtyShift - TFormat.AccessedShift)) | notWrite);
                if (accessedDirty == 0)
                {
                    if (typeof(TEnd) == typeof(CompactWalkEnd))
                    {
                        // The walk kept no per-level scratch: walk again keeping it, as KVM's retry_walk walks again when
                        // its cmpxchg of an A/D bit loses. Nothing changed memory in between (one thread), so the second
                        // walk reads the same entries, passes the same checks and sets A/D.
                        return WalkKeepingLevels<TEnd, TResult>(in context, addr, access, rflags, pkru);
                    }

                    UpdateAccessedDirty(in context, ref ptes, ref pteGpas, maxLevel, level, write != 0, ref observer);
                }
            }

            return TEnd.Translated(realGpa, level, acc, TFormat.PageSize(level), pkey);
        }

        /// <summary>
        /// One level of the walk, the body of walk_addr_generic's loop up to is_last_gpte: translate the table GPA,
        /// read the entry, accumulate its access bits, check P and the reserved bits, remember it for A/D. Inlined per
        /// level with <paramref name="level"/> a constant (see the unrolled walk above).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool VisitLevel<TTranslator>(int level, in WalkContext context, byte* flat, ulong memorySize,
            ulong addr, ulong nestedAccess, int dimension, ref ulong pte, ref ulong pteAccess, bool keepLevels, ref LevelArray ptes,
            ref LevelArray pteGpas, ref TObserver observer, ref TTranslator translator, ref ulong errcode, ref WalkResult outer)
            where TTranslator : struct, IGpaTranslator
        {
            ulong tableGpa = TFormat.TableAddress(pte);
            if (!translator.TryTranslate(tableGpa, nestedAccess, ref observer, out ulong realTableGpa, out WalkResult fault))
            {
                // Copied out only here: written through the reference on every level, the 72-byte result was zeroed
                // on every level of every walk.
                outer = fault;
                errcode = OuterFault;
                return false;
            }

            ulong pteGpa = realTableGpa + ((ulong)(uint)TFormat.Index(addr, level) * (ulong)TFormat.EntrySize);

            // KVM: kvm_vcpu_gfn_to_hva_prot fails for a gfn with no (visible) memslot → "goto error" with errcode 0,
            // i.e. a not-present #PF. Our single memslot is [0, memory size); entries are naturally aligned and memory
            // is whole pages, so one compare covers the entry.
            if (pteGpa >= memorySize)
            {
                errcode = 0;
                return false;
            }

            ulong entry = ReadEntry(flat, in context, pteGpa);
            pte = entry;
            observer.OnAccess(TraceKind.Read, level, pteGpa, entry, dimension);

            // "Inverting the NX it lets us AND it like other permission bits."
            pteAccess &= entry ^ TFormat.NxMask;

            if (!TFormat.IsPresent(entry) && !(TFormat.IsEpt && context.Mbec && (entry & EptPte.UserExecutableMask) != 0))
            {
                errcode = 0;
                return false;
            }

            // SDM 4.7 / 29.3.3.1: reserved bits (KVM is_rsvd_bits_set; for EPT also is_bad_mt_xwr, which the nested MMU
            // turns into an EPT misconfiguration).
            if (TFormat.IsEpt
                ? context.IsReserved(entry, level) || (context.Mbec && MbecMisconfigured(entry, context))
                : context.IsReservedX86(entry, level))
            {
                // SDM 4.7 / 29.3.3.1: a reserved bit in any entry gives RSVD=1, P=1.
                errcode = (ulong)(PfErr.Rsvd | PfErr.Present);
                return false;
            }

            if (keepLevels)
            {
                ptes.At(level) = entry;
                pteGpas.At(level) = pteGpa;
            }

            return true;
        }

        /// <summary>
        /// For the compact walk, which keeps no per-level scratch (see <c>keepLevels</c> in the walk): the same untraced 1-D
        /// walk keeping it, for an access that passed every check but must set A or D, and for sparse memory.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static TResult WalkKeepingLevels<TEnd, TResult>(in WalkContext context, ulong addr, ulong access,
            ulong rflags, uint pkru)
            where TEnd : struct, IWalkEnd<TResult>
        {
            Unsafe.SkipInit(out NoTrace none); // no state: nothing to initialize
            IdentityGpaTranslator identity = default;
            return GuestWalker<TFormat, NoTrace>.Walk<IdentityGpaTranslator, KeepingLevels<TEnd, TResult>, TResult>(in context,
                addr, access, rflags, pkru, ref none, ref identity);
        }

        /// <summary>The entry at <paramref name="pteGpa"/> (inside memory): one load from the flat mapping when there is one.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong ReadEntry(byte* flat, in WalkContext context, ulong pteGpa)
        {
            // In this order the flat load is the straight-line path of the compiled walk.
            if (flat != null)
            {
                return TFormat.EntrySize == 8 ? *(ulong*)(flat + pteGpa) : *(uint*)(flat + pteGpa);
            }

            return TFormat.ReadEntry(context.Memory, pteGpa);
        }

        // Out of the walk's line, but compiled fully optimized at once like the walk: the access sweep faults on most of
        // its cases, and tier-0 code here would run for the first part of every sweep (each job of --jobs alike).
        // Six arguments, all in registers, so that the walk's "return Fail(...)" can be a jump (a fast tail call): the
        // walk then keeps nothing alive across a call and needs no callee-saved registers. The access rights a #PF
        // reports are those of a permission fault (P without RSVD), so they are recomputed here from the raw AND.
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static TResult Fail<TEnd, TResult>(ulong errcode, ulong access, in WalkContext context, ulong addr, int level,
            ulong rawPteAccess)
            where TEnd : struct, IWalkEnd<TResult>
        {
            Acc acc = (errcode & (ulong)(PfErr.Present | PfErr.Rsvd)) == (ulong)PfErr.Present ? LeafAccess(rawPteAccess) : Acc.None;

            // KVM walk_addr_generic "error:": W and U come from the access; I/D only if EFER.NX or CR4.SMEP
            // (SDM 4.7 has I/D "if CR4.SMEP = 1 or (CR4.PAE = 1 and IA32_EFER.NXE = 1)"; KVM's role copies EFER.NXE
            // in every paging mode, so 32-bit paging with NXE also reports I/D — the model follows KVM).
            // The error code is a u16 in KVM's walker: the GUEST_* stage bits of the access never enter it.
            errcode |= access & (ulong)(PfErr.Write | PfErr.User);
            if ((access & (ulong)PfErr.Fetch) != 0 && context.HasPferrFetch)
            {
                errcode |= (ulong)PfErr.Fetch;
            }

            if (TFormat.IsEpt)
            {
                ulong qualification = EptQualification(errcode, access, rawPteAccess);
                if (context.Mbec && qualification != 0)
                {
                    // Post-chainsaw KVM / SDM table 28-7: bit 6 = XU ANDed over the entries walked.
                    qualification |= ((rawPteAccess >> 10) & 1) << 6;
                }

                return TEnd.Faulted(WalkResult.EptFault((PfErr)errcode, addr, level, qualification));
            }

            return TEnd.Faulted(WalkResult.PageFault((PfErr)errcode, addr, level, acc));
        }

        /// <summary>KVM <c>FNAME(gpte_access)</c> of the walk's raw AND (<c>pt_access &amp; (pte ^ nx_mask)</c> over every level).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Acc LeafAccess(ulong rawPteAccess) => TFormat.IsEpt
            ? TFormat.GpteAccess(rawPteAccess ^ TFormat.NxMask)
            : X86Entries.AccumulatedAccess(rawPteAccess, TFormat.NxMask != 0);

        /// <summary>
        /// KVM 6.12 paging_tmpl.h, PTTYPE_EPT "error:" (an EPT misconfiguration, RSVD, gets 0): bits 2:0 from the
        /// request (W → write, U → read: every nested walk carries U; F → fetch), bit 7 always ("assume the GVA is
        /// always valid"), bit 8 unless the access was to a guest paging structure, bits 5:3 = R/W/X ANDed over the
        /// entries walked (raw EPT bits, including the entry that stopped the walk).
        /// </summary>
        private static ulong EptQualification(ulong errcode, ulong access, ulong rawPteAccess)
        {
            if ((errcode & (ulong)PfErr.Rsvd) != 0)
            {
                return 0;
            }

            ulong qualification = EptViolation.GvaIsValid | ((rawPteAccess & EptPte.RwxMask) << EptViolation.RwxShift);
            if ((access & (ulong)PfErr.Write) != 0)
            {
                qualification |= EptViolation.AccWrite;
            }

            if ((access & (ulong)PfErr.User) != 0)
            {
                qualification |= EptViolation.AccRead;
            }

            if ((access & (ulong)PfErr.Fetch) != 0)
            {
                qualification |= EptViolation.AccInstr;
            }

            if ((access & (ulong)PfErr.GuestPage) == 0)
            {
                qualification |= EptViolation.GvaTranslated;
            }

            return qualification;
        }

        /// <summary>
        /// SDM 29.3.3.1 with mode-based execute control: XU (bit 10) without R is execute-only too, so it is a
        /// misconfiguration unless execute-only entries are supported (bits 2:0 alone are covered by bad_mt_xwr).
        /// </summary>
        private static bool MbecMisconfigured(ulong pte, in WalkContext context) =>
            (pte & EptPte.ReadableMask) == 0 && (pte & EptPte.UserExecutableMask) != 0 && !context.Format.ExecuteOnly;

        /// <summary>
        /// KVM FNAME(update_accessed_dirty_bits): from the top level down to the leaf, set A where clear and, on the
        /// leaf of a write, D; write back only entries that changed (SDM 4.8 / 29.3.5: the CPU sets A on every entry
        /// used and D on the leaf of a write, never for an access that faults).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // as Fail: every first access of a page sets A (and D)
        private static void UpdateAccessedDirty(in WalkContext context, ref LevelArray ptes, ref LevelArray pteGpas,
            int maxLevel, int leafLevel, bool write, ref TObserver observer)
        {
            ulong accessedMask = 1UL << TFormat.AccessedShift;
            ulong dirtyMask = 1UL << TFormat.DirtyShift;
            for (int level = maxLevel; level >= leafLevel; level--)
            {
                ulong orig = ptes.At(level);
                ulong pte = orig | accessedMask;
                if (level == leafLevel && write)
                {
                    pte |= dirtyMask;
                }

                if (pte == orig)
                {
                    continue;
                }

                TFormat.TryWriteEntry(context.Memory, pteGpas.At(level), pte);
                observer.OnAccess(TraceKind.Write, level, pteGpas.At(level), pte, context.Dimension);
                ptes.At(level) = pte;
            }
        }
    }

    /// <summary>Per-level scratch storage of a walk (KVM guest_walker <c>ptes[]</c>, <c>pte_gpa[]</c>), on the stack.</summary>
    [InlineArray(5)]
    internal struct LevelArray
    {
        private ulong _element0;

        /// <summary>The slot of <paramref name="level"/> (1..5), unchecked.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        [System.Diagnostics.CodeAnalysis.UnscopedRef]
        public ref ulong At(int level) => ref Unsafe.Add(ref _element0, level - 1);
    }
}
