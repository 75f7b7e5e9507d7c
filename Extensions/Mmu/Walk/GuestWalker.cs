using System.Runtime.CompilerServices;
using Workbench.Mmu.Arch;
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
    /// <item>Error: add W/U from the access, I/D for fetches only with EFER.NXE or CR4.SMEP; CR2 = address.</item>
    /// </list>
    /// Not modelled: KVM's cmpxchg race and <c>retry_walk</c> (one thread), read-only memslots (all memory is
    /// writable), <c>protect_clean_gpte</c> (it only narrows the access KVM gives a shadow PTE for reads; the
    /// shadow MMU applies it to <see cref="WalkResult.PteAccess"/>).
    /// </remarks>
    public static class GuestWalker<TFormat, TObserver>
        where TFormat : struct, IPagingFormat
        where TObserver : IWalkObserver
    {
        /// <summary>Walks <paramref name="addr"/> for <paramref name="access"/> (PFERR bits) with identity GPA translation.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static WalkResult Walk(in WalkContext context, ulong addr, ulong access, ref TObserver observer)
        {
            IdentityGpaTranslator identity = default;
            return Walk(in context, addr, access, ref observer, ref identity);
        }

        /// <summary>Walks <paramref name="addr"/> for <paramref name="access"/>, passing table and final GPAs through <paramref name="translator"/>.</summary>
        public static WalkResult Walk<TTranslator>(in WalkContext context, ulong addr, ulong access, ref TObserver observer,
            ref TTranslator translator)
            where TTranslator : struct, IGpaTranslator
        {
            if (TFormat.RootLevel == 0)
            {
                // KVM nonpaging_gva_to_gpa: no tables, no permission checks, only kvm_translate_gpa.
                if (!translator.TryTranslate(addr, access | (ulong)PfErr.GuestFinal, out ulong directGpa, out WalkResult outer))
                {
                    return outer;
                }

                return WalkResult.Success(directGpa, 0, Acc.All, 4096);
            }

            ulong errcode = 0;
            ulong pte = context.Root;
            int level = TFormat.RootLevel;
            LevelArray ptes = default;
            LevelArray pteGpas = default;

            if (TFormat.UsesPdptrs)
            {
                // KVM walk_addr_generic, PTTYPE 64 with level == PT32E_ROOT_LEVEL: the PDPTE comes from
                // mmu->get_pdptr(), loaded at MOV CR (SDM 4.4.1); it is not re-read and has no A bit.
                int pdptIndex = (int)(addr >> 30) & 3;
                pte = context.GetPdptr(pdptIndex);
                observer.OnAccess(TraceKind.PdptrRegister, 3, context.PdptBase + ((ulong)pdptIndex * 8), pte, 0);
                if ((pte & Pte64.PresentMask) == 0)
                {
                    goto Error;
                }

                level--;
            }

            int maxLevel = level;
            ulong pteAccess = ~0UL;

            // nested_access: the CPU writes A/D into tables, so the outer MMU must allow W (x86 formats always have A/D).
            const ulong NestedAccess = (ulong)(PfErr.Write | PfErr.User | PfErr.GuestPage);
            while (true)
            {
                ulong tableGpa = TFormat.TableAddress(pte);
                if (!translator.TryTranslate(tableGpa, NestedAccess, out ulong realTableGpa, out WalkResult outer))
                {
                    return outer;
                }

                ulong pteGpa = realTableGpa + (ulong)(TFormat.Index(addr, level) * TFormat.EntrySize);

                // KVM: kvm_vcpu_gfn_to_hva_prot fails for a gfn with no (visible) memslot → "goto error" with
                // errcode 0, i.e. a not-present #PF. Our single memslot is [0, memory size); entries are naturally
                // aligned and memory is whole pages, so one compare covers the entry.
                if (pteGpa >= context.MemorySize)
                {
                    goto Error;
                }

                pte = TFormat.ReadEntry(context.Memory, pteGpa);
                observer.OnAccess(TraceKind.Read, level, pteGpa, pte, 0);

                // "Inverting the NX it lets us AND it like other permission bits."
                pteAccess &= pte ^ TFormat.NxMask;

                if ((pte & Pte64.PresentMask) == 0)
                {
                    goto Error;
                }

                // SDM 4.7: a reserved bit in any entry gives RSVD=1, P=1 (KVM is_rsvd_bits_set / rsvd_bits_mask).
                if (context.IsReserved(pte, level))
                {
                    errcode = (ulong)(PfErr.Rsvd | PfErr.Present);
                    goto Error;
                }

                ptes[level - 1] = pte;
                pteGpas[level - 1] = pteGpa;
                if (TFormat.IsLastGpte(level, pte, context.Cr4Pse))
                {
                    break;
                }

                level--;
            }

            uint pkey = TFormat.ProtectionKey(pte);
            Acc acc = GpteAccess(pteAccess ^ TFormat.NxMask);
            errcode = context.Format.PermissionFault(acc, pkey, access, context.Rflags, context.Pkru);
            if (errcode != 0)
            {
                return Fail(errcode, access, in context, addr, level, acc);
            }

            ulong gpa = TFormat.LeafGpa(pte, level, addr);
            if (!translator.TryTranslate(gpa, access | (ulong)PfErr.GuestFinal, out ulong realGpa, out WalkResult finalFault))
            {
                return finalFault;
            }

            // A must be set at every level (pte_access is the AND over all levels; x86 formats always have A/D); on a
            // write, "fold the dirty bit into accessed_dirty": the leaf's D, shifted down onto A.
            ulong accessedDirty = pteAccess & Pte64.AccessedMask;
            bool write = (access & (ulong)PfErr.Write) != 0;
            if (write)
            {
                accessedDirty &= pte >> (TFormat.DirtyShift - Pte64.AccessedShift);
            }

            if (accessedDirty == 0)
            {
                UpdateAccessedDirty(in context, ref ptes, ref pteGpas, maxLevel, level, write, ref observer);
            }

            return WalkResult.Success(realGpa, level, acc, TFormat.PageSize(level), pkey);

        Error:
            return Fail(errcode, access, in context, addr, level, Acc.None);
        }

        /// <summary>
        /// KVM FNAME(gpte_access) for x86 formats: W and U as they are, P stands for ACC_EXEC and is cleared by NX
        /// (the accumulated value was un-inverted by the caller, so bit 63 = "some level had XD").
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Acc GpteAccess(ulong gpte)
        {
            ulong access = gpte & (Pte64.WritableMask | Pte64.UserMask | Pte64.PresentMask);
            access ^= gpte >> 63;
            return (Acc)access;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static WalkResult Fail(ulong errcode, ulong access, in WalkContext context, ulong addr, int level, Acc acc)
        {
            // KVM walk_addr_generic "error:": W and U come from the access; I/D only if EFER.NX or CR4.SMEP
            // (SDM 4.7 has I/D "if CR4.SMEP = 1 or (CR4.PAE = 1 and IA32_EFER.NXE = 1)"; KVM's role copies EFER.NXE
            // in every paging mode, so 32-bit paging with NXE also reports I/D — the model follows KVM).
            errcode |= access & (ulong)(PfErr.Write | PfErr.User);
            if ((access & (ulong)PfErr.Fetch) != 0 && context.HasPferrFetch)
            {
                errcode |= (ulong)PfErr.Fetch;
            }

            return WalkResult.PageFault((PfErr)errcode, addr, level, acc);
        }

        /// <summary>
        /// KVM FNAME(update_accessed_dirty_bits): from the top level down to the leaf, set A where clear and, on the
        /// leaf of a write, D; write back only entries that changed (SDM 4.8: the CPU sets A on every entry used and
        /// D on the leaf of a write, never for an access that faults).
        /// </summary>
        private static void UpdateAccessedDirty(in WalkContext context, ref LevelArray ptes, ref LevelArray pteGpas,
            int maxLevel, int leafLevel, bool write, ref TObserver observer)
        {
            ulong dirtyMask = 1UL << TFormat.DirtyShift;
            for (int level = maxLevel; level >= leafLevel; level--)
            {
                ulong orig = ptes[level - 1];
                ulong pte = orig | Pte64.AccessedMask;
                if (level == leafLevel && write)
                {
                    pte |= dirtyMask;
                }

                if (pte == orig)
                {
                    continue;
                }

                TFormat.TryWriteEntry(context.Memory, pteGpas[level - 1], pte);
                observer.OnAccess(TraceKind.Write, level, pteGpas[level - 1], pte, 0);
                ptes[level - 1] = pte;
            }
        }
    }

    /// <summary>Per-level scratch storage of a walk (KVM guest_walker <c>ptes[]</c>, <c>pte_gpa[]</c>), on the stack.</summary>
    [InlineArray(5)]
    internal struct LevelArray
    {
        private ulong _element0;
    }
}
