namespace Workbench.Mmu.Contexts
{
    /// <summary>
    /// Which contexts served an access, in the active organization's own names: <c>vcpu-&gt;arch.mmu</c> (faults,
    /// the loaded root), the walker that did the guest walk (<c>walk_mmu</c> in 6.12) and the root role's
    /// <c>guest_mode</c> bit.
    /// </summary>
    /// <param name="Mmu">Name of the object <c>arch.mmu</c> designates.</param>
    /// <param name="Walk">Name of the object that walked (6.12 <c>walk_mmu</c>).</param>
    /// <param name="GuestMode">The MMU's root role has <c>guest_mode</c> = 1.</param>
    public readonly record struct ServingContexts(string Mmu, string Walk, bool GuestMode);

    /// <summary>
    /// THE seam between KVM versions: which MMU and walker objects a vCPU has, how they are (re)initialised on
    /// register writes (<c>kvm_init_mmu</c>), CPUID changes (<c>kvm_mmu_after_set_cpuid</c>) and nested VM entry and
    /// exit (<c>nested_{ept,svm}_{init,uninit}_mmu_context</c>), and which object serves walk / fault / gva_to_gpa /
    /// invalidate. The walker (<see cref="PageWalker"/>, <see cref="Walk.GuestWalker{TFormat, TObserver}"/>) and
    /// the role and format rules (<see cref="RootRoles"/>, <see cref="Permissions.PageFormat"/>) are shared by
    /// every layout. 6.12 (<see cref="Kvm612Layout"/>) is the default; others register in <see cref="ContextLayouts"/>.
    /// </summary>
    public abstract class ContextLayout
    {
        /// <summary>Registry name of the organization (<c>"6.12"</c>, <c>"2010"</c>, …).</summary>
        public abstract string Name { get; }

        /// <summary>The MMU that handles faults and owns the loaded root (<c>vcpu-&gt;arch.mmu</c>).</summary>
        public abstract MmuContext ActiveMmu { get; }

        /// <summary>The walker used for gva_to_gpa of the running guest: emulated accesses, <c>load_pdptrs</c>, INVLPG.</summary>
        /// <remarks>
        /// <see cref="WalkPointer"/> by default. A layout that works it out otherwise (one wrapping another, say) overrides
        /// this and leaves <see cref="WalkPointer"/> null.
        /// </remarks>
        public virtual PageWalker ActiveWalker => WalkPointer ?? throw new InvalidOperationException($"{Name}: the layout set no walk pointer");

        /// <summary>Every MMU object the organization has, in declaration order.</summary>
        public abstract IReadOnlyList<MmuContext> Mmus { get; }

        /// <summary>Every walker the organization has, in declaration order (6.12: the walking halves of its kvm_mmus).</summary>
        public abstract IReadOnlyList<PageWalker> Walkers { get; }

        /// <summary>
        /// What <see cref="ActiveWalker"/> designates: KVM's <c>vcpu-&gt;arch.walk_mmu</c> where the organization has
        /// that pointer (moved with <see cref="Point{T}"/>), its one guest walker where it has not.
        /// </summary>
        /// <remarks><see cref="Vcpu.Access"/> reads this field, not the virtual <see cref="ActiveWalker"/>, on every access
        /// (the virtual call cost about 1 ns).</remarks>
        protected internal PageWalker? WalkPointer;

        /// <summary>How often a pointer (<c>arch.mmu</c>, <c>walk_mmu</c>, …) was made to designate another object.</summary>
        public int PointerReassignments { get; protected set; }

        /// <summary>Who serves accesses right now.</summary>
        public virtual ServingContexts Serving => new ServingContexts(ActiveMmu.Name, ActiveWalker.Name, ActiveMmu.RootRole.GuestMode);

        /// <summary>
        /// The organization's pointers and what each designates now, in its own names (6.12: <c>mmu</c> and
        /// <c>walk_mmu</c>). Layouts without a walk pointer override this.
        /// </summary>
        public virtual IReadOnlyList<Experiments.ContextPointerCard> Pointers =>
            [new Experiments.ContextPointerCard("mmu", ActiveMmu.Name), new Experiments.ContextPointerCard("walk_mmu", ActiveWalker.Name)];

        /// <summary>KVM <c>kvm_init_mmu</c>: recompute roles from the running guest's registers and refresh contexts.</summary>
        public abstract void InitMmu(Vcpu vcpu);

        /// <summary>KVM <c>kvm_mmu_after_set_cpuid</c>: invalidate every role, then reset the context.</summary>
        public abstract void AfterSetCpuid(Vcpu vcpu);

        /// <summary>Nested VM entry: set up the contexts for L2 (the vCPU is already in guest mode, L1's state saved).</summary>
        public abstract void EnterGuestMode(Vcpu vcpu);

        /// <summary>Nested VM exit: back to L1's contexts (the vCPU has left guest mode).</summary>
        public abstract void LeaveGuestMode(Vcpu vcpu);

        /// <summary>Reloads every active walker's root and PDPTRs from the vCPU (after CR3 / PDPTR changes).</summary>
        public abstract void LoadRoots(Vcpu vcpu);

        /// <summary>The walker with that name, or null.</summary>
        public PageWalker? FindWalker(string name)
        {
            foreach (PageWalker walker in Walkers)
            {
                if (walker.Name == name)
                {
                    return walker;
                }
            }

            return null;
        }

        /// <summary>
        /// The invalidation step of KVM <c>kvm_mmu_after_set_cpuid</c>: <c>root_role.invalid = 1</c> and
        /// <c>cpu_role.ext.valid = 0</c> in every object, so the next initialisation rebuilds everything.
        /// </summary>
        protected void InvalidateAllRoles()
        {
            foreach (MmuContext mmu in Mmus)
            {
                mmu.InvalidateRootRole();
            }

            foreach (PageWalker walker in Walkers)
            {
                walker.InvalidateRole();
            }
        }

        /// <summary>Counts a pointer reassignment when <paramref name="target"/> changes.</summary>
        protected void Point<T>(ref T pointer, T target)
            where T : class?
        {
            if (!ReferenceEquals(pointer, target))
            {
                pointer = target;
                PointerReassignments++;
            }
        }
    }

    /// <summary>The registered structure variants; <c>"6.12"</c> is the default.</summary>
    public static class ContextLayouts
    {
        /// <summary>The default organization, KVM 6.12.</summary>
        public const string Default = "6.12";

        private static readonly Dictionary<string, Func<Vm, ContextLayout>> s_factories = new(StringComparer.Ordinal)
        {
            [Default] = vm => new Kvm612Layout(vm),
            ["2010"] = vm => new Kvm2010Layout(vm),
            ["chainsaw-v1"] = vm => new ChainsawLayout(vm, 1),
            ["chainsaw-v2"] = vm => new ChainsawLayout(vm, 2),
            ["broken-nested-wp"] = vm => new BrokenLayouts.StaleNestedWp(vm),
            ["broken-cpuid-role"] = vm => new BrokenLayouts.StaleCpuidRole(vm),
        };

        /// <summary>The organizations KVM actually had or has (the others are broken on purpose or user-defined).</summary>
        public static IReadOnlyList<string> Real { get; } = ["2010", Default, "chainsaw-v1", "chainsaw-v2"];

        private static readonly object s_lock = new();

        /// <summary>Names of every registered organization, sorted.</summary>
        public static IReadOnlyList<string> Names
        {
            get
            {
                lock (s_lock)
                {
                    return s_factories.Keys.Order(StringComparer.Ordinal).ToArray();
                }
            }
        }

        /// <summary>Registers (or replaces) an organization, e.g. one a notebook cell defines to prototype a refactor.</summary>
        public static void Register(string name, Func<Vm, ContextLayout> factory)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            ArgumentNullException.ThrowIfNull(factory);
            lock (s_lock)
            {
                s_factories[name] = factory;
            }
        }

        /// <summary>True when <paramref name="name"/> is registered.</summary>
        public static bool Exists(string name)
        {
            lock (s_lock)
            {
                return s_factories.ContainsKey(name);
            }
        }

        /// <summary>Creates the organization <paramref name="name"/> for <paramref name="vm"/>.</summary>
        /// <exception cref="ArgumentException">Unknown name; the message lists the registered ones.</exception>
        public static ContextLayout Create(string name, Vm vm)
        {
            Func<Vm, ContextLayout>? factory;
            lock (s_lock)
            {
                s_factories.TryGetValue(name, out factory);
            }

            return factory is null
                ? throw new ArgumentException($"unknown structure variant \"{name}\" (registered: {string.Join(", ", Names)})", nameof(name))
                : factory(vm);
        }
    }
}
