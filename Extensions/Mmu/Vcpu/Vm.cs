using Workbench.Mmu.Memory;

namespace Workbench.Mmu
{
    /// <summary>A modelled VM: its configuration, guest physical memory (one memslot at GPA 0) and one vCPU.</summary>
    public sealed class Vm
    {
        private Vm(VmConfig config)
        {
            Config = config;
            Memory = new GuestMemory(config.MemorySize);
            Vcpu = new Vcpu(this);
        }

        /// <summary>The configuration the VM was created with.</summary>
        public VmConfig Config { get; }

        /// <summary>Guest physical memory.</summary>
        public GuestMemory Memory { get; }

        /// <summary>The vCPU, in its reset state (CR0 = CD|NW|ET, paging off).</summary>
        public Vcpu Vcpu { get; }

        /// <summary>
        /// KVM <c>kvm_vcpu_is_legal_gpa</c>: the GPA has no bit at or above MAXPHYADDR. A legal GPA may still be
        /// outside <see cref="Memory"/> (no memslot: MMIO for a final access, not-present for a page-table read).
        /// </summary>
        public bool IsLegalGpa(ulong gpa) => (gpa >> Config.MaxPhyAddr) == 0;

        /// <summary>Creates a VM. An invalid configuration (see <see cref="VmConfig.Validate"/>) is a caller error.</summary>
        /// <exception cref="ArgumentException">The configuration is invalid; the message names the field.</exception>
        public static Vm Create(VmConfig config)
        {
            ArgumentNullException.ThrowIfNull(config);
            string? error = config.Validate();
            if (error is not null)
            {
                throw new ArgumentException(error, nameof(config));
            }

            return new Vm(config);
        }

        /// <summary>Creates a VM, or returns false with the reason when the configuration is invalid.</summary>
        public static bool TryCreate(VmConfig config, out Vm? vm, out string? error)
        {
            ArgumentNullException.ThrowIfNull(config);
            error = config.Validate();
            vm = error is null ? new Vm(config) : null;
            return vm is not null;
        }
    }
}
