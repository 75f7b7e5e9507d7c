using Workbench.Mmu.Memory;

namespace Workbench.Mmu
{
    /// <summary>A modelled VM: its configuration, guest physical memory (one memslot at GPA 0) and one vCPU.</summary>
    public sealed class Vm
    {
        private Vm(VmConfig config, string layout)
        {
            Config = config;
            Memory = new GuestMemory(config.MemorySize);
            Mmu = new Shadow.ShadowMmu(this);
            Vcpu = new Vcpu(this, layout);
        }

        /// <summary>The configuration: as created, then as CPUID changes left it (<see cref="SetCpuid"/>).</summary>
        public VmConfig Config { get; private set; }

        /// <summary>Guest physical memory.</summary>
        public GuestMemory Memory { get; }

        /// <summary>The page tables KVM builds for this VM: shadow pages, TDP MMU roots, SPTEs.</summary>
        public Shadow.ShadowMmu Mmu { get; }

        /// <summary>
        /// Build SPTEs for every successful access, as KVM's fault handlers do (default). Off: walks only, for
        /// measurements of the guest walk itself (the walk benchmarks and the default access sweep).
        /// </summary>
        public bool BuildsPageTables { get; set; } = true;

        /// <summary>The vCPU, in its reset state (CR0 = CD|NW|ET, paging off).</summary>
        public Vcpu Vcpu { get; }

        /// <summary>
        /// KVM <c>kvm_vcpu_is_legal_gpa</c>: the GPA has no bit at or above MAXPHYADDR. A legal GPA may still be
        /// outside <see cref="Memory"/> (no memslot: MMIO for a final access, not-present for a page-table read).
        /// </summary>
        public bool IsLegalGpa(ulong gpa) => (gpa >> Config.MaxPhyAddr) == 0;

        /// <summary>
        /// Changes the guest CPUID bits the MMU reads (MAXPHYADDR, GBPAGES), as KVM_SET_CPUID2 does
        /// (<c>kvm_mmu_after_set_cpuid</c>: every role invalidated, contexts rebuilt). Returns the reason when the new
        /// values are invalid (memory must still fit below 2^MAXPHYADDR); nothing changes then.
        /// </summary>
        public string? SetCpuid(int maxPhyAddr, bool gbPages)
        {
            VmConfig next = Config with { MaxPhyAddr = maxPhyAddr, GbPages = gbPages };
            if (next.Validate() is { } error)
            {
                return error;
            }

            Config = next;

            // A new MAXPHYADDR changes what every SPTE may hold: KVM zaps everything (kvm_mmu_zap_all_fast via the
            // memslot/CPUID update) before the contexts are rebuilt.
            Mmu.ZapAll(Vcpu.Contexts.Mmus);
            Vcpu.AfterSetCpuid();
            return null;
        }

        /// <summary>Creates a VM. An invalid configuration (see <see cref="VmConfig.Validate"/>) is a caller error.</summary>
        /// <param name="config">The VM configuration.</param>
        /// <param name="layout">The MMU organization (structure variant, <see cref="Contexts.ContextLayouts"/>).</param>
        /// <exception cref="ArgumentException">The configuration is invalid or the layout unknown; the message names the field.</exception>
        public static Vm Create(VmConfig config, string layout = Contexts.ContextLayouts.Default)
        {
            ArgumentNullException.ThrowIfNull(config);
            string? error = config.Validate();
            if (error is not null)
            {
                throw new ArgumentException(error, nameof(config));
            }

            return new Vm(config, layout);
        }

        /// <summary>Creates a VM, or returns false with the reason when the configuration is invalid.</summary>
        public static bool TryCreate(VmConfig config, out Vm? vm, out string? error)
        {
            ArgumentNullException.ThrowIfNull(config);
            error = config.Validate();
            vm = error is null ? new Vm(config, Contexts.ContextLayouts.Default) : null;
            return vm is not null;
        }
    }
}
