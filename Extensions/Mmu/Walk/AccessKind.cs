using Workbench.Mmu.Arch;

namespace Workbench.Mmu.Walk
{
    /// <summary>Kind of a linear-address access.</summary>
    public enum AccessKind
    {
        /// <summary>Data read.</summary>
        Read = 0,

        /// <summary>Data write.</summary>
        Write = 1,

        /// <summary>Instruction fetch.</summary>
        Fetch = 2,
    }

    /// <summary>Turns an access description into the PFERR-style access mask the walker takes.</summary>
    public static class WalkAccess
    {
        /// <summary>
        /// The emulator's access mask (KVM x86.c <c>kvm_read_guest_virt</c>, <c>kvm_fetch_guest_virt</c>,
        /// <c>kvm_write_guest_virt_system</c>; spec 4.1): U if CPL == 3 and the access is explicit; W for writes;
        /// F for fetches; <see cref="PfErr.ImplicitAccess"/> for implicit supervisor accesses (descriptor tables,
        /// which SMAP checks even with RFLAGS.AC = 1).
        /// </summary>
        /// <param name="kind">Read, write or fetch.</param>
        /// <param name="cpl">Current privilege level 0..3.</param>
        /// <param name="implicitAccess">Implicit supervisor access (ignores CPL).</param>
        public static ulong AccessPfec(this AccessKind kind, int cpl, bool implicitAccess)
        {
            ulong pfec = kind switch
            {
                AccessKind.Write => (ulong)PfErr.Write,
                AccessKind.Fetch => (ulong)PfErr.Fetch,
                _ => 0,
            };

            if (implicitAccess)
            {
                pfec |= (ulong)PfErr.ImplicitAccess;
            }
            else if (cpl == 3)
            {
                pfec |= (ulong)PfErr.User;
            }

            return pfec;
        }
    }
}
