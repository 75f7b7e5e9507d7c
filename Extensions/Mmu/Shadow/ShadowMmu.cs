using Workbench.Mmu.Arch;
using Workbench.Mmu.Contexts;
using Workbench.Mmu.Paging;
using Workbench.Mmu.Permissions;
using Workbench.Mmu.Walk;

namespace Workbench.Mmu.Shadow
{
    /// <summary>
    /// The page tables KVM builds for a VM (the per-VM part of mmu.c and tdp_mmu.c): shadow pages in a hash keyed by
    /// (gfn, role word), TDP MMU roots with private children, write tracking of shadowed guest tables, rmaps from a
    /// GFN to the leaf SPTEs that map it, unsync pages, MMIO SPTEs. Every MMU context of every structure variant
    /// builds through here, so the SPTE rules (<c>make_spte</c>, <c>mmu_try_to_unsync_pages</c>, child roles) exist
    /// once.
    /// </summary>
    /// <remarks>
    /// Modelled host: guest memory is backed by 4 KiB host pages, so every leaf is 4K (<c>kvm_mmu_hugepage_adjust</c>
    /// never finds a larger host mapping); host pfn = guest frame (memory is mapped 1:1, which makes dumps readable);
    /// host MAXPHYADDR 52; shadow tables live at host addresses from 2^44 up; no prefetch, no NX-hugepage mitigation,
    /// no dirty logging, one vCPU, no SMM.
    /// </remarks>
    public sealed class ShadowMmu
    {
        private const ulong TableHpaBase = 1UL << 44;

        private readonly Vm _vm;
        private readonly Dictionary<(ulong Gfn, uint Role), ShadowPage> _hash = new();
        private readonly List<ShadowPage?> _byId = new();
        private readonly List<ShadowPage> _tdpRoots = new();
        private readonly Dictionary<ulong, int> _writeTracked = new();
        private readonly Rmap _rmap = new();

        // KVM for_each_gfn_valid_sp_with_gptes walks one hash bucket; this is that bucket, per GFN, for indirect pages.
        private readonly Dictionary<ulong, List<ShadowPage>> _indirectByGfn = new();

        internal ShadowMmu(Vm vm)
        {
            _vm = vm;
        }

        /// <summary>Pages in the shadow MMU hash (indirect pages and legacy direct pages).</summary>
        public IEnumerable<ShadowPage> HashedPages => _hash.Values;

        /// <summary>Roots of the TDP MMU.</summary>
        public IReadOnlyList<ShadowPage> TdpRoots => _tdpRoots;

        /// <summary>Faults handled (KVM <c>kvm_mmu_page_fault</c> calls that reached a handler).</summary>
        public int Faults { get; private set; }

        /// <summary>Writes to write-protected (shadowed) guest tables, which KVM emulates (RET_PF_WRITE_PROTECTED).</summary>
        public int EmulatedWrites { get; private set; }

        /// <summary>Faults whose fixed SPTEs still refused the retried access (must stay empty; the first 16 kept).</summary>
        public List<string> RetryFailures { get; } = new();

        /// <summary>Shadow pages created.</summary>
        public int PagesCreated { get; private set; }

        /// <summary>KVM <c>kvm_gfn_is_write_tracked</c>: an upper-level shadow page shadows this GFN.</summary>
        public bool IsWriteTracked(ulong gfn) => _writeTracked.TryGetValue(gfn, out int count) && count > 0;

        /// <summary>The page whose table is at <paramref name="hpa"/>, or null.</summary>
        public ShadowPage? PageAt(ulong hpa)
        {
            ulong id = ((hpa & SpteFormat.AddressMask) - TableHpaBase) >> 12;
            return id < (ulong)_byId.Count ? _byId[(int)id] : null;
        }

        /// <summary>Bytes of SPTE tables, translation records and rmaps held (for the memory figures).</summary>
        public long Bytes => (_byId.Count(p => p is not null) * 4096L) + (_byId.Count(p => p?.TranslationAccess is not null) * 512L) + _rmap.Bytes;

        /// <summary>Valid indirect pages shadowing <paramref name="gfn"/> (KVM <c>for_each_gfn_valid_sp_with_gptes</c>).</summary>
        public IReadOnlyList<ShadowPage> IndirectPagesOf(ulong gfn) =>
            _indirectByGfn.TryGetValue(gfn, out List<ShadowPage>? pages) ? pages : Array.Empty<ShadowPage>();

        /// <summary>Every leaf SPTE location that maps <paramref name="gfn"/> (KVM rmaps).</summary>
        public IReadOnlyList<(ShadowPage Page, int Index)> MappingsOf(ulong gfn) =>
            _rmap.Get(gfn).Select(e => (_byId[e >> 9]!, e & 0x1FF)).ToList();

        /// <summary>The SPTE format <paramref name="mmu"/> builds: EPT for Intel TDP and nested EPT, legacy otherwise.</summary>
        public SpteFormat FormatOf(MmuContext mmu) =>
            (mmu.PageFault == PageFaultHandler.Tdp && _vm.Config.Tdp == TdpMode.Ept) || mmu.PageFault == PageFaultHandler.Ept
                ? SpteFormat.Ept
                : SpteFormat.Legacy;

        /// <summary>
        /// What KVM does after the running guest made a successful access: the hardware translation needs SPTEs for
        /// every address it uses, and each missing one is a fault <paramref name="mmu"/> (<c>vcpu-&gt;arch.mmu</c>)
        /// handles — for a direct (TDP) MMU each guest-physical page the CPU touched (page tables and data), for a
        /// shadow of the guest's CR3 the linear address, for a shadow of L1's EPT/NPT each L2 guest-physical page.
        /// </summary>
        /// <param name="vcpu">The vCPU (its walker and registers).</param>
        /// <param name="mmu">The MMU handling faults.</param>
        /// <param name="address">The linear address accessed.</param>
        /// <param name="pfec">The access (PFERR W, U, F).</param>
        /// <param name="walk">The successful walk.</param>
        /// <param name="trace">Every entry the walk read (both dimensions).</param>
        /// <param name="firstEntry">Index of the walk's first entry in <paramref name="trace"/>.</param>
        public void OnSuccessfulAccess(Vcpu vcpu, MmuContext mmu, ulong address, ulong pfec, in WalkResult walk, WalkTrace trace, int firstEntry = 0)
        {
            ArgumentNullException.ThrowIfNull(vcpu);
            ArgumentNullException.ThrowIfNull(mmu);
            ArgumentNullException.ThrowIfNull(trace);
            if (mmu.PageFault == PageFaultHandler.None)
            {
                return;
            }

            bool write = (pfec & (ulong)PfErr.Write) != 0;
            IReadOnlyList<TraceEntry> all = trace.Entries;
            if (mmu.IsDirect)
            {
                // The CPU reads the guest's tables through the TDP tables (and writes A/D there) and then the data.
                for (int i = firstEntry; i < all.Count; i++)
                {
                    TraceEntry entry = all[i];
                    if (entry.Kind == TraceKind.Read && entry.Dimension == 0)
                    {
                        DirectFault(mmu, entry.Gpa >> 12, write: true);
                    }
                }

                DirectFault(mmu, walk.Gpa >> 12, write);
                return;
            }


            if (mmu.PageFault == PageFaultHandler.Ept || mmu.Walker.PgdSource == GuestPgdSource.NestedCr3)
            {
                // guest_mmu shadows L1's EPT/NPT: EPT02/NPT02 must map every L2 GPA the CPU uses.
                foreach ((ulong l2Gpa, ulong access) in L2Footprint(vcpu, address, pfec, all.Skip(firstEntry)).ToList())
                {
                    var inner = new WalkTrace();
                    WalkResult translation = mmu.Walker.TranslateAsInner(l2Gpa, access, 0, inner);
                    if (translation.IsOk)
                    {
                        ShadowFault(mmu, l2Gpa, access, GuestWalkDetail.From(mmu.Walker.Mode, inner.Entries, translation), vcpu);
                    }
                }

                return;
            }

            // No fault reaches KVM when the existing SPTEs already allow the access.
            ShadowRoot root = LoadRoot(vcpu, mmu);
            if (RootPageFor(root, address) is not { } top || HardwarePermits(top, address, pfec, FormatOf(mmu)))
            {
                return;
            }

            var detail = GuestWalkDetail.From(mmu.Walker.Mode, all.Skip(firstEntry).Where(e => e.Dimension == 0), walk);
            ShadowFault(mmu, address, pfec, detail, vcpu);
        }

        /// <summary>
        /// A guest store that reached guest memory (<paramref name="gpa"/>, 8 bytes) after the access succeeded: if
        /// the page is shadowed and was not made writable (write-tracked upper-level table, or a level-1 table that may
        /// not go unsync), KVM emulated the write and <c>kvm_mmu_track_write</c> zaps the SPTEs shadowing the entry.
        /// </summary>
        public void TrackWrite(ulong gpa, int bytes)
        {
            ulong gfn = gpa >> 12;
            foreach (ShadowPage page in IndirectPagesOf(gfn).ToList())
            {
                if (page.Unsync)
                {
                    // The guest writes an unsync page directly: no exit, the SPTEs go stale until synced.
                    continue;
                }

                // detect_write_misaligned / detect_write_flooding: three writes to an upper-level table since it was
                // last used zap the whole page.
                int entrySize = page.Role.Has4ByteGpte ? 4 : 8;
                bool misaligned = (((gpa & 0xFFF) ^ ((gpa & 0xFFF) + (ulong)bytes - 1)) & ~(ulong)(entrySize - 1)) != 0 || bytes < 4;
                if (misaligned || (page.Role.Level > 1 && ++page.WriteFloodingCount >= 3))
                {
                    ZapPage(page);
                    continue;
                }

                foreach (int index in WrittenEntries(page, gpa))
                {
                    DropSpte(page, index);
                }
            }
        }

        /// <summary>
        /// KVM <c>kvm_mmu_invalidate_addr</c> for INVLPG: walk <paramref name="mmu"/>'s current root for
        /// <paramref name="gva"/> and resync the entry of every unsync page on the way.
        /// </summary>
        // Fully optimized from the first call: the access sweep invalidates once per case (access.c's invlpg), in
        // every job of --jobs alike.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void InvalidateAddress(Vcpu vcpu, MmuContext mmu, ulong gva)
        {
            if (!mmu.HasSyncSpte || mmu.Root is not { } root)
            {
                return;
            }

            ShadowPage? page = RootPageFor(root, gva);
            while (page is not null)
            {
                int index = IndexOf(page, gva);
                if (page.Unsync)
                {
                    SyncSpte(vcpu, mmu, page, index);
                }

                ulong spte = page.Sptes[index];
                page = page.Role.Level > 1 && SpteFormat.IsPresent(spte) && (spte & SpteFormat.PageSize) == 0 ? PageAt(spte) : null;
            }
        }

        /// <summary>
        /// KVM <c>kvm_mmu_sync_roots</c> (guest TLB flush, MOV CR3): sync every unsync page reachable from the root.
        /// </summary>
        public void SyncRoots(Vcpu vcpu, MmuContext mmu)
        {
            if (!mmu.HasSyncSpte || mmu.Root is not { } root)
            {
                return;
            }

            foreach (ShadowPage page in Reachable(root).Where(p => p.Unsync).ToList())
            {
                SyncPage(vcpu, mmu, page);
            }
        }

        /// <summary>KVM <c>kvm_mmu_zap_all_fast</c>: every page becomes obsolete; roots are dropped from every MMU.</summary>
        public void ZapAll(IEnumerable<MmuContext> mmus)
        {
            foreach (ShadowPage page in _hash.Values.ToList())
            {
                ZapPage(page);
            }

            _tdpRoots.Clear();
            _byId.Clear();
            _rmap.Clear();
            _indirectByGfn.Clear();
            _writeTracked.Clear();
            foreach (MmuContext mmu in mmus)
            {
                mmu.Root = null;
                mmu.PrevRoots.Clear();
            }
        }

        /// <summary>Every page reachable from <paramref name="root"/>, top-down.</summary>
        public IEnumerable<ShadowPage> Reachable(ShadowRoot root)
        {
            var seen = new HashSet<ShadowPage>();
            var pending = new Stack<ShadowPage>(root.Pages.Where(p => p is not null).Reverse()!);
            while (pending.Count > 0)
            {
                ShadowPage page = pending.Pop();
                if (!seen.Add(page))
                {
                    continue;
                }

                yield return page;
                if (page.Role.Level == 1)
                {
                    continue;
                }

                for (int i = 511; i >= 0; i--)
                {
                    ulong spte = page.Sptes[i];
                    if (SpteFormat.IsPresent(spte) && (spte & SpteFormat.PageSize) == 0 && PageAt(spte) is { } child)
                    {
                        pending.Push(child);
                    }
                }
            }
        }

        /// <summary>
        /// KVM <c>kvm_mmu_load</c> / <c>kvm_mmu_new_pgd</c>: the root for <paramref name="mmu"/>'s current role and guest
        /// root, reused from the current root or <c>prev_roots</c> when role word and pgd match, else built.
        /// </summary>
        public ShadowRoot LoadRoot(Vcpu vcpu, MmuContext mmu)
        {
            ulong pgd = mmu.IsDirect ? 0 : mmu.Walker.Root;
            uint role = mmu.RootRole.Word;
            if (mmu.Root is { } current && current.Pgd == pgd && current.RoleWord == role && Valid(current))
            {
                return current;
            }

            // fast_pgd_switch: look for a usable previous root; the old current one becomes prev_roots[0].
            int hit = FindPrevRoot(mmu, pgd, role);
            ShadowRoot next;
            if (hit >= 0)
            {
                next = mmu.PrevRoots[hit];
                mmu.PrevRoots.RemoveAt(hit);
            }
            else
            {
                next = BuildRoot(vcpu, mmu, pgd);
            }

            if (mmu.Root is { } old && Valid(old))
            {
                mmu.PrevRoots.Insert(0, old);
                if (mmu.PrevRoots.Count > 3)
                {
                    ReleaseRoot(mmu.PrevRoots[3]);
                    mmu.PrevRoots.RemoveAt(3);
                }
            }

            mmu.Root = next;

            // A reused root may hold unsync pages: KVM requests KVM_REQ_MMU_SYNC on a hit (and syncs new roots' pages
            // as it links them).
            SyncRoots(vcpu, mmu);
            return next;
        }

        // A separate method so that LoadRoot's fast path allocates no closure.
        private static int FindPrevRoot(MmuContext mmu, ulong pgd, uint role) =>
            mmu.PrevRoots.FindIndex(r => r.Pgd == pgd && r.RoleWord == role && Valid(r));

        private static bool Valid(ShadowRoot root)
        {
            foreach (ShadowPage? page in root.Pages)
            {
                if (page is not null && page.Role.Invalid)
                {
                    return false;
                }
            }

            return true;
        }

        private ShadowRoot BuildRoot(Vcpu vcpu, MmuContext mmu, ulong pgd)
        {
            PageRole role = mmu.RootRole;
            if (mmu.PageFault == PageFaultHandler.Tdp)
            {
                // kvm_tdp_mmu_alloc_root: reuse a root with the same role word in the VM's list.
                ShadowPage? existing = _tdpRoots.FirstOrDefault(r => r.Role.Word == role.Word && !r.Role.Invalid);
                if (existing is null)
                {
                    existing = NewPage(0, role, tdpMmu: true);
                    _tdpRoots.Add(existing);
                }

                existing.RootCount++;
                return new ShadowRoot(0, role.Word, [existing]);
            }

            if (role.Level >= 4 && (mmu.Walker.Mode.RootLevel() >= 4 || role.Direct))
            {
                ShadowPage top = GetPage(mmu.IsDirect ? 0 : mmu.Walker.Context.TableGpaOfRoot() >> 12, role);
                top.RootCount++;
                return new ShadowRoot(pgd, role.Word, [top]);
            }

            // mmu_alloc_shadow_roots / mmu_alloc_direct_roots with a PAE root: four level-2 tables, one per GiB.
            var pages = new ShadowPage?[4];
            PageRole level2 = role.WithLevel(2);
            for (int i = 0; i < 4; i++)
            {
                ulong gfn;
                PageRole pageRole = level2;
                if (role.Direct)
                {
                    gfn = (ulong)i << 18;
                }
                else if (mmu.Walker.Mode == PagingMode.Pae)
                {
                    ulong pdpte = mmu.Walker.Context.GetPdptr(i);
                    if ((pdpte & 1) == 0)
                    {
                        continue;
                    }

                    gfn = (pdpte & Pte64.AddressMask) >> 12;
                }
                else
                {
                    // 32-bit guest: the one guest page directory is shadowed by four PAE directories, quadrant i.
                    gfn = mmu.Walker.Context.TableGpaOfRoot() >> 12;
                    pageRole = level2.WithQuadrant(i);
                }

                ShadowPage page = GetPage(gfn, pageRole);
                page.RootCount++;
                pages[i] = page;
            }

            return new ShadowRoot(pgd, role.Word, pages);
        }

        private void ReleaseRoot(ShadowRoot root)
        {
            foreach (ShadowPage? page in root.Pages)
            {
                if (page is not null)
                {
                    page.RootCount--;
                }
            }
        }

        /// <summary>
        /// A TDP (or paging-off) fault: map <paramref name="gfn"/> through direct pages down to a 4K leaf with ACC_ALL
        /// (KVM <c>kvm_tdp_mmu_map</c> / <c>direct_map</c>); a GFN without memory gets an MMIO SPTE.
        /// </summary>
        private void DirectFault(MmuContext mmu, ulong gfn, bool write)
        {
            ShadowRoot root = LoadRoot(null!, mmu);
            ulong gpa = gfn << 12;
            ShadowPage page = RootPageFor(root, gpa)!;
            SpteFormat format = FormatOf(mmu);
            while (page.Role.Level > 1)
            {
                int index = IndexOf(page, gpa);
                ulong spte = page.Sptes[index];
                ShadowPage? child = SpteFormat.IsPresent(spte) ? PageAt(spte) : null;
                if (child is null)
                {
                    // TDP MMU: the child role is the parent's with level - 1; legacy direct: kvm_mmu_child_role(direct, ACC_ALL).
                    PageRole childRole = page.Role.WithLevel(page.Role.Level - 1);
                    ulong childGfn = gfn & ~((1UL << (9 * (page.Role.Level - 1))) - 1);
                    child = page.IsTdpMmuPage ? NewPage(childGfn, childRole, tdpMmu: true) : GetPage(childGfn, childRole);
                    Link(page, index, child, format);
                }

                page = child;
            }

            int leaf = IndexOf(page, gpa);
            if (SpteFormat.IsPresent(page.Sptes[leaf]) && (!write || (page.Sptes[leaf] & SpteFormat.Writable) != 0))
            {
                return; // spurious: the SPTE already allows the access
            }

            Faults++;
            SetLeaf(page, leaf, gfn, Acc.All, format, canUnsync: true);
            CheckRetry(RootPageFor(root, gpa)!, gpa, write ? (ulong)PfErr.Write : 0, format, gfn, mmu);
        }

        /// <summary>
        /// KVM <c>FNAME(page_fault)</c> + <c>FNAME(fetch)</c> for a shadow MMU after a successful guest walk: child
        /// pages keyed by (guest table GFN, role with <c>pt_access</c>), direct pages below a guest large page, and
        /// the leaf from <c>make_spte</c> with <c>protect_clean_gpte</c> and the CR0.WP=0 supervisor-write rule.
        /// </summary>
        private void ShadowFault(MmuContext mmu, ulong address, ulong pfec, GuestWalkDetail walk, Vcpu vcpu)
        {
            ShadowRoot root = LoadRoot(vcpu, mmu);
            ShadowPage? page = RootPageFor(root, address);
            if (page is null)
            {
                return;
            }

            SpteFormat format = FormatOf(mmu);
            if (HardwarePermits(page, address, pfec, format))
            {
                // The CPU translates through the existing SPTEs: no fault reaches KVM (an unsync page's SPTEs may be
                // stale, as a TLB entry may be, until the guest flushes).
                return;
            }

            bool write = (pfec & (ulong)PfErr.Write) != 0;
            bool user = (pfec & (ulong)PfErr.User) != 0;
            Acc access = walk.PteAccess;

            // protect_clean_gpte: a read through a clean (D=0) writable gPTE maps read-only, so the first write faults
            // and KVM can set D (formats with A/D only).
            bool haveAd = !mmu.Walker.Mode.IsEpt() || !mmu.Walker.AccessedDirtyDisabled;
            int dirtyShift = mmu.Walker.Mode.IsEpt() ? EptPte.DirtyShift : Pte64.DirtyShift;
            if (!write && haveAd && ((walk.LeafEntry >> dirtyShift) & 1) == 0)
            {
                access &= ~Acc.Write;
            }

            // FNAME(page_fault): a supervisor write to a read-only page with CR0.WP=0 succeeded in the guest; the host
            // runs with WP=1, so map it writable but supervisor-only (and not executable with SMEP); a later user access
            // faults and flips it back (spec 4.5).
            CpuRole cpuRole = mmu.Walker.CpuRole;
            if (!mmu.Walker.Mode.IsEpt() && write && (access & Acc.Write) == 0 && !cpuRole.IsCr0Wp && !user)
            {
                access |= Acc.Write;
                access &= ~Acc.User;
                if (cpuRole.IsCr4Smep)
                {
                    access &= ~Acc.Exec;
                }
            }

            while (page.Role.Level > 1)
            {
                int index = IndexOf(page, address);
                ulong spte = page.Sptes[index];
                ShadowPage? child = SpteFormat.IsPresent(spte) && (spte & SpteFormat.PageSize) == 0 ? PageAt(spte) : null;
                int childLevel = page.Role.Level - 1;
                bool direct = childLevel < walk.LeafLevel;
                ulong childGfn = direct
                    ? walk.Gfn & ~((1UL << (9 * childLevel)) - 1)
                    : walk.TableGfn(childLevel);
                PageRole childRole = ChildRole(page, index, direct, direct ? walk.PteAccess : walk.PtAccess(childLevel));
                if (child is null || child.Gfn != childGfn || child.Role.Word != childRole.Word)
                {
                    if (child is not null)
                    {
                        DropSpte(page, index);
                    }

                    child = GetPage(childGfn, childRole);
                    if (child.Unsync || child.UnsyncChildren > 0)
                    {
                        SyncPage(vcpu, mmu, child);
                    }

                    Link(page, index, child, format);
                }

                page = child;
            }

            Faults++;
            SetLeaf(page, IndexOf(page, address), walk.Gfn, access, format, canUnsync: true);
            CheckRetry(RootPageFor(root, address)!, address, pfec, format, walk.Gfn, mmu);
        }

        /// <summary>
        /// After a fault is fixed the CPU retries the access through the new SPTEs. If they still do not allow it,
        /// the only legitimate reason is a write to a page KVM keeps write-protected (a shadowed guest table), which
        /// KVM emulates; anything else means the SPTE rules and the guest walk disagree, and KVM would fault forever.
        /// </summary>
        private void CheckRetry(ShadowPage root, ulong address, ulong pfec, SpteFormat format, ulong gfn, MmuContext mmu)
        {
            // (With MBEC the SPTE would carry XU from ACC_USER_EXEC, which the 3-bit ACC of this model does not have:
            // such fetches are not checked.)
            if (HardwarePermits(root, address, pfec, format) || (gfn << 12) >= _vm.Memory.Size || mmu.Walker.Mbec)
            {
                return;
            }

            bool write = (pfec & (ulong)PfErr.Write) != 0;
            if (write && (IsWriteTracked(gfn) || IndirectPagesOf(gfn).Any()))
            {
                EmulatedWrites++;
                return;
            }

            if (RetryFailures.Count < 16)
            {
                RetryFailures.Add($"{mmu.Name}: access 0x{pfec:x} at 0x{address:x} (gfn 0x{gfn:x}) is still refused by the SPTEs KVM just built");
            }
        }

        /// <summary>
        /// The hardware walk of the SPTEs (host CR0.WP = 1): every level present and the leaf granting the access — W
        /// for writes, U (EPT: R) for user accesses, X / no NX for fetches. Non-leaf SPTEs grant everything.
        /// </summary>
        private bool HardwarePermits(ShadowPage page, ulong address, ulong pfec, SpteFormat format)
        {
            while (true)
            {
                ulong spte = page.Sptes[IndexOf(page, address)];
                if (!SpteFormat.IsPresent(spte))
                {
                    return false;
                }

                if (page.Role.Level == 1 || (spte & SpteFormat.PageSize) != 0)
                {
                    Acc granted = format.AccessOf(spte);
                    bool write = (pfec & (ulong)PfErr.Write) != 0;
                    bool user = (pfec & (ulong)PfErr.User) != 0 || format.IsEpt;
                    bool fetch = (pfec & (ulong)PfErr.Fetch) != 0;
                    return (!write || (granted & Acc.Write) != 0)
                        && (!user || (granted & Acc.User) != 0)
                        && (!fetch || (granted & Acc.Exec) != 0);
                }

                if (PageAt(spte) is not { } child)
                {
                    return false;
                }

                page = child;
            }
        }

        /// <summary>KVM <c>kvm_mmu_child_role</c>: level - 1, the given access and directness, passthrough and invalid cleared; 32-bit guests get a quadrant.</summary>
        private static PageRole ChildRole(ShadowPage parent, int index, bool direct, Acc access)
        {
            PageRole role = parent.Role.WithLevel(parent.Role.Level - 1).WithAccess(access).WithDirect(direct)
                .WithPassthrough(false).WithInvalid(false).WithQuadrant(0);
            if (role.Has4ByteGpte && !direct && role.Level == 1)
            {
                role = role.WithQuadrant(index & 1);
            }

            return role;
        }

        /// <summary>
        /// KVM <c>make_spte</c> + <c>mmu_set_spte</c> for a 4K leaf: present, A, X or NX, U, host-writable and the frame;
        /// W only if the GFN may be written (<c>mmu_try_to_unsync_pages</c>: not write-tracked, and any shadow page of
        /// it can go unsync), then D. A GFN without memory gets an MMIO SPTE instead.
        /// </summary>
        private void SetLeaf(ShadowPage page, int index, ulong gfn, Acc access, SpteFormat format, bool canUnsync)
        {
            if (SpteFormat.IsPresent(page.Sptes[index]))
            {
                DropSpte(page, index);
            }

            if ((gfn << 12) >= _vm.Memory.Size)
            {
                // mmu_set_spte with KVM_PFN_NOSLOT → mark_mmio_spte (generation 0): the access is emulated.
                page.Sptes[index] = format.MmioValue | ((gfn << 12) & SpteFormat.AddressMask);
                return;
            }

            ulong spte = SpteFormat.MmuPresent | format.PresentMask | format.AccessedMask | format.MemoryType | format.HostWritable;
            spte |= (access & Acc.Exec) != 0 ? format.ExecMask : format.NxMask;
            if ((access & Acc.User) != 0)
            {
                spte |= format.UserMask;
            }

            spte |= (gfn << 12) & SpteFormat.AddressMask;
            if ((access & Acc.Write) != 0)
            {
                if (TryUnsync(gfn, canUnsync))
                {
                    spte |= SpteFormat.Writable | format.MmuWritable | format.DirtyMask;
                }
            }

            page.Sptes[index] = spte;
            if (page.TranslationAccess is not null)
            {
                page.TranslationAccess[index] = (byte)access;
            }

            _rmap.Add(gfn, Rmap.Encode(page.Id, index));
        }

        /// <summary>
        /// KVM <c>mmu_try_to_unsync_pages</c>: false (write-protect) when the GFN is write-tracked or has a shadow page
        /// that may not go unsync; otherwise every valid indirect page of the GFN (all level 1) becomes unsync.
        /// </summary>
        private bool TryUnsync(ulong gfn, bool canUnsync)
        {
            if (IsWriteTracked(gfn))
            {
                return false;
            }

            foreach (ShadowPage page in IndirectPagesOf(gfn))
            {
                if (!canUnsync)
                {
                    return false;
                }

                if (!page.Unsync)
                {
                    page.Unsync = true;
                    MarkUnsyncUpwards(page);
                }
            }

            return true;
        }

        private static void MarkUnsyncUpwards(ShadowPage page)
        {
            foreach ((ShadowPage parent, _) in page.Parents)
            {
                if (parent.UnsyncChildren++ == 0)
                {
                    MarkUnsyncUpwards(parent);
                }
            }
        }

        private ShadowPage GetPage(ulong gfn, PageRole role)
        {
            if (_hash.TryGetValue((gfn, role.Word), out ShadowPage? page))
            {
                return page;
            }

            // kvm_mmu_get_shadow_page: an upper-level request zaps unsync pages of the GFN with another role.
            if (!role.Direct && role.Level > 1)
            {
                foreach (ShadowPage unsync in IndirectPagesOf(gfn).Where(p => p.Unsync).ToList())
                {
                    ZapPage(unsync);
                }
            }

            page = NewPage(gfn, role, tdpMmu: false);
            _hash[(gfn, role.Word)] = page;
            if (!role.Direct)
            {
                if (!_indirectByGfn.TryGetValue(gfn, out List<ShadowPage>? list))
                {
                    _indirectByGfn[gfn] = list = new List<ShadowPage>(1);
                }

                list.Add(page);
                Account(page);
            }

            return page;
        }

        private ShadowPage NewPage(ulong gfn, PageRole role, bool tdpMmu)
        {
            int id = _byId.Count;
            var page = new ShadowPage(id, gfn, role, TableHpaBase + ((ulong)id << 12), tdpMmu);
            _byId.Add(page);
            PagesCreated++;
            return page;
        }

        /// <summary>
        /// KVM <c>account_shadowed</c>: an upper-level page write-tracks its GFN; both levels write-protect every
        /// existing mapping of the GFN, so guest writes to a shadowed table fault.
        /// </summary>
        private void Account(ShadowPage page)
        {
            if (page.Role.Level > 1)
            {
                _writeTracked[page.Gfn] = _writeTracked.GetValueOrDefault(page.Gfn) + 1;
            }

            WriteProtect(page.Gfn);
        }

        private void WriteProtect(ulong gfn)
        {
            foreach ((ShadowPage page, int index) in MappingsOf(gfn))
            {
                page.Sptes[index] &= ~(SpteFormat.Writable | SpteFormat.Legacy.MmuWritable | SpteFormat.Ept.MmuWritable);
            }
        }

        private void Link(ShadowPage parent, int index, ShadowPage child, SpteFormat format)
        {
            parent.Sptes[index] = format.NonLeaf(child.Hpa);
            child.Parents.Add((parent, index));
            if (child.Unsync || child.UnsyncChildren > 0)
            {
                if (parent.UnsyncChildren++ == 0)
                {
                    MarkUnsyncUpwards(parent);
                }
            }
        }

        private void DropSpte(ShadowPage page, int index)
        {
            ulong spte = page.Sptes[index];
            page.Sptes[index] = 0;
            if (!SpteFormat.IsPresent(spte))
            {
                return;
            }

            if (page.Role.Level > 1 && (spte & SpteFormat.PageSize) == 0)
            {
                if (PageAt(spte) is { } child)
                {
                    child.Parents.Remove((page, index));
                }

                return;
            }

            ulong gfn = (spte & SpteFormat.AddressMask) >> 12;
            _rmap.Remove(gfn, Rmap.Encode(page.Id, index));
        }

        /// <summary>KVM <c>kvm_mmu_prepare_zap_page</c>: unlink from parents, drop every SPTE, leave the hash; roots become invalid.</summary>
        private void ZapPage(ShadowPage page)
        {
            foreach ((ShadowPage parent, int index) in page.Parents.ToList())
            {
                parent.Sptes[index] = 0;
            }

            page.Parents.Clear();
            for (int i = 0; i < 512; i++)
            {
                DropSpte(page, i);
            }

            _hash.Remove((page.Gfn, page.Role.Word));
            if (!page.Role.Direct)
            {
                if (_indirectByGfn.TryGetValue(page.Gfn, out List<ShadowPage>? list) && list.Remove(page) && list.Count == 0)
                {
                    _indirectByGfn.Remove(page.Gfn);
                }

                if (page.Role.Level > 1 && _writeTracked.TryGetValue(page.Gfn, out int count))
                {
                    _writeTracked[page.Gfn] = count - 1;
                }
            }

            if (page.RootCount > 0)
            {
                page.Role = page.Role.WithInvalid(true);
            }
            else
            {
                _byId[page.Id] = null;
            }
        }

        /// <summary>KVM <c>kvm_sync_page</c>: re-derive every SPTE of an unsync page from its guest entries; the page is synced and write-protected again.</summary>
        private void SyncPage(Vcpu vcpu, MmuContext mmu, ShadowPage page)
        {
            if (page.Unsync)
            {
                for (int i = 0; i < 512; i++)
                {
                    if (SpteFormat.IsPresent(page.Sptes[i]))
                    {
                        SyncSpte(vcpu, mmu, page, i);
                    }
                }

                page.Unsync = false;
                foreach ((ShadowPage parent, _) in page.Parents)
                {
                    parent.UnsyncChildren = Math.Max(0, parent.UnsyncChildren - 1);
                }

                WriteProtect(page.Gfn);
            }

            page.UnsyncChildren = 0;
        }

        /// <summary>
        /// KVM <c>FNAME(sync_spte)</c>: re-read the guest entry; drop the SPTE if it is no longer present, accessed or
        /// valid, or maps another GFN; rebuild it (without unsyncing) if its rights changed.
        /// </summary>
        private void SyncSpte(Vcpu vcpu, MmuContext mmu, ShadowPage page, int index)
        {
            if (page.TranslationAccess is null || !SpteFormat.IsPresent(page.Sptes[index]))
            {
                return;
            }

            bool fourByte = page.Role.Has4ByteGpte;
            ulong offset = fourByte ? (ulong)((page.Role.Quadrant * 512) + index) * 4 : (ulong)index * 8;
            ulong gpteGpa = (page.Gfn << 12) + offset;
            ulong gpte = 0;
            bool readable = fourByte
                ? _vm.Memory.TryReadU32(gpteGpa, out uint small) && (gpte = small) == small
                : _vm.Memory.TryReadU64(gpteGpa, out gpte);
            bool ept = mmu.Walker.Mode.IsEpt();
            bool present = ept ? (gpte & 7) != 0 : (gpte & 1) != 0;
            int accessedShift = ept ? EptPte.AccessedShift : Pte64.AccessedShift;
            bool accessedOk = (ept && mmu.Walker.AccessedDirtyDisabled) || ((gpte >> accessedShift) & 1) != 0;
            if (!readable || !present || !accessedOk || mmu.Walker.Format.IsReserved(gpte, 1))
            {
                DropSpte(page, index);
                return;
            }

            ulong gfn = (fourByte ? gpte & 0xFFFF_F000UL : gpte & Pte64.AddressMask) >> 12;
            // sync_spte: pte_access = role.access & gpte_access(gpte), then protect_clean_gpte.
            Acc access = page.Role.Access & (ept ? EptEntries.GpteAccess(gpte) : X86Entries.GpteAccess(gpte));
            int dirtyShift = ept ? EptPte.DirtyShift : Pte64.DirtyShift;
            bool haveAd = !ept || !mmu.Walker.AccessedDirtyDisabled;
            if (haveAd && ((gpte >> dirtyShift) & 1) == 0)
            {
                access &= ~Acc.Write;
            }

            if ((page.Sptes[index] & SpteFormat.AddressMask) >> 12 != gfn)
            {
                DropSpte(page, index);
                return;
            }

            if ((Acc)page.TranslationAccess[index] == access)
            {
                return;
            }

            SetLeaf(page, index, gfn, access, FormatOf(mmu), canUnsync: false);
        }

        private static ShadowPage? RootPageFor(ShadowRoot root, ulong address) =>
            root.IsPae ? root.Pages[(int)(address >> 30) & 3] : root.Pages[0];

        /// <summary>Index of <paramref name="address"/> in <paramref name="page"/> (shadow tables are 64-bit format; PAE roots cover 1 GiB each).</summary>
        private static int IndexOf(ShadowPage page, ulong address) => (int)(address >> (12 + (9 * (page.Role.Level - 1)))) & 0x1FF;

        private static IEnumerable<int> WrittenEntries(ShadowPage page, ulong gpa)
        {
            int offset = (int)(gpa & 0xFFF);
            if (!page.Role.Has4ByteGpte)
            {
                yield return offset / 8;
                yield break;
            }

            // get_written_sptes: a 4-byte guest entry at offset o is shadowed by the entry at 2o (level 1, if its quadrant
            // matches) or the two entries at 4o (level 2).
            if (page.Role.Level == 1)
            {
                int quadrant = offset >> 11;
                if (quadrant == page.Role.Quadrant)
                {
                    yield return (offset & 0x7FF) / 4;
                }

                yield break;
            }

            int pde = offset / 4;
            if (pde >> 8 == page.Role.Quadrant)
            {
                yield return (pde & 0xFF) * 2;
                yield return ((pde & 0xFF) * 2) + 1;
            }
        }

        /// <summary>
        /// The L2 guest-physical pages an L2 access uses (its page tables and the final page) with the access the CPU
        /// makes to each: tables W|U (the walk may set A/D), the final page the access itself.
        /// </summary>
        private static IEnumerable<(ulong L2Gpa, ulong Access)> L2Footprint(Vcpu vcpu, ulong gva, ulong pfec, IEnumerable<TraceEntry> entries)
        {
            PageWalker walker = vcpu.Contexts.ActiveWalker;
            PagingMode mode = walker.Mode;
            ulong tableAccess = (ulong)(PfErr.Write | PfErr.User);
            if (mode == PagingMode.None)
            {
                yield return (gva, pfec);
                yield break;
            }

            bool fourByte = mode == PagingMode.Legacy32;
            ulong table = walker.Context.TableGpaOfRoot();
            if (mode == PagingMode.Pae)
            {
                table = walker.Context.GetPdptr((int)(gva >> 30) & 3) & Pte64.AddressMask;
            }

            TraceEntry? leaf = null;
            foreach (TraceEntry entry in entries)
            {
                if (entry.Dimension != 1 || entry.Kind != TraceKind.Read)
                {
                    continue;
                }

                yield return (table, tableAccess);
                table = (fourByte ? entry.Value & 0xFFFF_F000UL : entry.Value & Pte64.AddressMask);
                leaf = entry;
            }

            if (leaf is { } last)
            {
                int shift = 12 + ((fourByte ? 10 : 9) * (last.Level - 1));
                ulong offsetMask = (1UL << shift) - 1;
                ulong frame = fourByte && last.Level == 2
                    ? (last.Value & 0xFFC0_0000UL) | (((last.Value >> 13) & 0xFF) << 32)
                    : (fourByte ? last.Value & 0xFFFF_F000UL : last.Value & Pte64.AddressMask) & ~offsetMask;
                yield return (frame | (gva & offsetMask), pfec);
            }
        }
    }
}
